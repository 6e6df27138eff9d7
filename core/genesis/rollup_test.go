package genesis

import (
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// withRollup is exampleGenesis with a rollup section that sets only the
// required fields and one L2 prefund.
var withRollup = strings.Replace(exampleGenesis, `  "validators": [`, `  "rollup": {
    "l2ChainId": 1338,
    "challengeWindow": 30,
    "sequencingWindow": 20,
    "sequencerBond": "10 ETH",
    "sequencer": "0x2000000000000000000000000000000000000002",
    "l2Alloc": {"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": {"balance": "10000 ETH"}}
  },
  "validators": [`, 1)

func TestRollupSectionParsesWithDefaults(t *testing.T) {
	g, err := Parse([]byte(withRollup))
	if err != nil {
		t.Fatal(err)
	}
	r := g.Rollup
	if r == nil || r.L2ChainID != 1338 || r.ChallengeWindow != 30 || r.SequencingWindow != 20 ||
		r.Sequencer != common.HexToAddress("0x2000000000000000000000000000000000000002") ||
		r.SequencerBond.Big().Cmp(Ether(10).Big()) != 0 {
		t.Fatalf("rollup section %+v", r)
	}
	if r.L2BlockTime.Duration != 250*time.Millisecond || r.L2GasLimit != DefaultL2GasLimit ||
		r.MaxTxsPerBlock != DefaultMaxTxsPerBlock || r.MaxOriginLag != 2 || r.L1FeeScalar != 16_000_000 || r.SequencerTimeout != 40 ||
		r.L2BaseFee.Initial.Big().Cmp(DefaultInitialBaseFee) != 0 || r.L2BaseFee.ChangeDenominator != DefaultChangeDenom {
		t.Fatalf("rollup defaults not filled: %+v", r)
	}
	if r.L2Prefund().Cmp(Ether(10_000).Big()) != 0 || len(r.L2StateAlloc()) != 1 {
		t.Fatalf("L2 prefund %s, alloc %v", r.L2Prefund(), r.L2StateAlloc())
	}
	// The section survives a save and load unchanged.
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	g2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(g.Rollup)
	b, _ := json.Marshal(g2.Rollup)
	if string(a) != string(b) {
		t.Fatalf("rollup section changed by a round trip:\n%s\n%s", a, b)
	}
}

func TestGenesisWithoutRollupIsUnchanged(t *testing.T) {
	g, err := Parse([]byte(exampleGenesis))
	if err != nil {
		t.Fatal(err)
	}
	if g.Rollup != nil {
		t.Fatal("a genesis without a rollup section got one")
	}
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "rollup") {
		t.Fatal("a genesis without a rollup section writes one")
	}
	// The section is not part of the L1 header: the same state root gives
	// the same L1 genesis block.
	gr, err := Parse([]byte(withRollup))
	if err != nil {
		t.Fatal(err)
	}
	root := genesisRoot(t, g)
	if g.Block(root).Hash() != gr.Block(root).Hash() {
		t.Fatal("the rollup section changes the L1 genesis header")
	}
}

func TestRollupValidateNamesTheBadField(t *testing.T) {
	cases := []struct {
		field  string
		mutate func(*Rollup)
	}{
		{"rollup.l2ChainId", func(r *Rollup) { r.L2ChainID = 0 }},
		{"rollup.l2ChainId", func(r *Rollup) { r.L2ChainID = 1337 }},
		{"rollup.l2BlockTime", func(r *Rollup) { r.L2BlockTime.Duration = -time.Second }},
		{"rollup.l2GasLimit", func(r *Rollup) { r.L2GasLimit = 20_000 }},
		{"rollup.maxTxsPerBlock", func(r *Rollup) { r.MaxTxsPerBlock = MaxL2TxsPerBlock + 1 }},
		{"rollup.l2BaseFee.initial", func(r *Rollup) { r.L2BaseFee.Initial = NewAmount(big.NewInt(1)) }},
		{"rollup.l2BaseFee.changeDenominator", func(r *Rollup) { r.L2BaseFee.ChangeDenominator = 0 }},
		{"rollup.challengeWindow", func(r *Rollup) { r.ChallengeWindow = 0 }},
		{"rollup.sequencingWindow", func(r *Rollup) { r.SequencingWindow = 0 }},
		{"rollup.maxOriginLag", func(r *Rollup) { r.MaxOriginLag = r.SequencingWindow }},
		{"rollup.sequencerBond", func(r *Rollup) { r.SequencerBond = nil }},
		{"rollup.sequencerBond", func(r *Rollup) { r.SequencerBond = NewAmount(new(big.Int)) }},
		{"rollup.sequencer", func(r *Rollup) { r.Sequencer = common.Address{} }},
		{"rollup.sequencerTimeout", func(r *Rollup) { r.SequencerTimeout = r.SequencingWindow }},
		{"rollup.sequencerTimeout", func(r *Rollup) { r.SequencerTimeout = MaxRollupWindow + 1 }},
		{"rollup.l1FeeScalar", func(r *Rollup) { r.L1FeeScalar = MaxL1FeeScalar + 1 }},
		{"rollup.l2Alloc", func(r *Rollup) { r.L2Alloc[common.Address{9}] = Account{Balance: NewAmount(maxAmount)} }},
		{"rollup.l2Alloc[0x0900000000000000000000000000000000000000].storage", func(r *Rollup) {
			st := map[common.Hash]common.Hash{}
			for i := range 1<<16 + 1 {
				st[common.BigToHash(big.NewInt(int64(i)))] = common.Hash{1}
			}
			r.L2Alloc[common.Address{9}] = Account{Balance: NewAmount(big.NewInt(1)), Storage: st}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			g, err := Parse([]byte(withRollup))
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(g.Rollup)
			err = g.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("error %q does not name field %s", err, tc.field)
			}
		})
	}
}

func TestRollupSectionIsStrict(t *testing.T) {
	bad := strings.Replace(withRollup, `"l2ChainId": 1338,`, `"l2ChainId": 1338, "challengePeriod": 1,`, 1)
	if _, err := Parse([]byte(bad)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "challengePeriod") {
		t.Fatalf("unknown rollup field: got %v, want ErrInvalid naming it", err)
	}
	missing := strings.Replace(withRollup, `"sequencer": "0x2000000000000000000000000000000000000002",`, ``, 1)
	if _, err := Parse([]byte(missing)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "rollup.sequencer:") {
		t.Fatalf("missing sequencer: got %v", err)
	}
}
