package genesis

import (
	"errors"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/core/statedb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
)

const exampleGenesis = `{
  "chainId": 1337,
  "devnet": true,
  "timestamp": 1700000000,
  "gasLimit": 30000000,
  "blockTime": "1s",
  "alloc": {
    "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266": {"balance": "10000 ETH"},
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8": {"balance": "0x1000", "nonce": 3,
      "storage": {"0x0000000000000000000000000000000000000000000000000000000000000001":
                  "0x0000000000000000000000000000000000000000000000000000000000000002"}}
  },
  "validators": [
    {"address": "0x1000000000000000000000000000000000000001", "stake": "100 ETH", "name": "v0"},
    {"address": "0x1000000000000000000000000000000000000002", "stake": "250 ETH"}
  ]
}`

func TestExecutionConfigFollowsGenesis(t *testing.T) {
	g, err := Parse([]byte(exampleGenesis))
	if err != nil {
		t.Fatal(err)
	}
	g.BaseFee.ChangeDenominator = 50
	cfg := g.ExecutionConfig()
	if cfg.ChainID.Uint64() != 1337 || cfg.BaseFeeChangeDenominator != 50 || cfg.MinBaseFee.Cmp(DefaultMinBaseFee) != 0 {
		t.Fatalf("execution config %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParseExampleFillsDefaults(t *testing.T) {
	g, err := Parse([]byte(exampleGenesis))
	if err != nil {
		t.Fatal(err)
	}
	if g.ChainID != 1337 || !g.Devnet || g.GasLimit != 30_000_000 {
		t.Fatalf("parsed %+v", g)
	}
	if g.MaxBlockSize != DefaultMaxBlockSize || g.BaseFee.Initial.Big().Cmp(DefaultInitialBaseFee) != 0 ||
		g.Staking.EpochLength != DefaultEpochLength || g.Consensus != DefaultConsensus() {
		t.Fatal("defaults were not filled")
	}
	want := new(big.Int).Mul(big.NewInt(10_000), big.NewInt(1e18))
	if got := g.Alloc[common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")].Balance.Big(); got.Cmp(want) != 0 {
		t.Fatalf("balance %s, want %s", got, want)
	}
	vals := g.ValidatorSet()
	if len(vals) != 2 || vals[0].Power != 100 || vals[1].Power != 250 {
		t.Fatalf("validator set %+v", vals)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	g, err := Parse([]byte(exampleGenesis))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	g2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := genesisRoot(t, g), genesisRoot(t, g2)
	if r1 != r2 || g.Block(r1).Hash() != g2.Block(r2).Hash() {
		t.Fatal("genesis changed across save and load")
	}
}

func genesisRoot(t *testing.T, g *Genesis) common.Hash {
	t.Helper()
	root, err := statedb.New(rawdb.NewMemoryDatabase()).ApplyAlloc(g.StateAlloc())
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestGenesisBlockIsDeterministicAndChecksOut(t *testing.T) {
	g, err := Parse([]byte(exampleGenesis))
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := genesisRoot(t, g), genesisRoot(t, g)
	if r1 != r2 {
		t.Fatal("genesis state root differs between two fresh databases")
	}
	if r1 == types.EmptyRootHash {
		t.Fatal("allocations did not reach the state")
	}
	b := g.Block(r1)
	if err := b.CheckCommitments(); err != nil {
		t.Fatal(err)
	}
	if b.Number() != 0 || b.Header.Root != r1 {
		t.Fatal("wrong genesis header")
	}
	g.Validators[0].Stake = Ether(101)
	if g.Block(r1).Hash() == b.Hash() {
		t.Fatal("genesis hash does not commit to the validator set")
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	cases := []struct {
		field  string
		mutate func(*Genesis)
	}{
		{"chainId", func(g *Genesis) { g.ChainID = 0 }},
		{"gasLimit", func(g *Genesis) { g.GasLimit = 100 }},
		{"blockTime", func(g *Genesis) { g.BlockTime.Duration = -1 }},
		{"maxBlockSize", func(g *Genesis) { g.MaxBlockSize = 10 }},
		{"extraData", func(g *Genesis) { g.ExtraData = make([]byte, 33) }},
		{"baseFee.initial", func(g *Genesis) { g.BaseFee.Initial = NewAmount(big.NewInt(1)) }},
		{"baseFee.elasticityMultiplier", func(g *Genesis) { g.BaseFee.ElasticityMultiplier = 5000 }},
		{"baseFee.changeDenominator", func(g *Genesis) { g.BaseFee.ChangeDenominator = 5000 }},
		{"consensus.timeoutPrevote", func(g *Genesis) { g.Consensus.TimeoutPrevote.Duration = -1 }},
		{"consensus.timeoutPrecommitDelta", func(g *Genesis) { g.Consensus.TimeoutPrecommitDelta.Duration = -1 }},
		{"staking.minStake", func(g *Genesis) { g.Staking.MinStake = NewAmount(big.NewInt(5)) }},
		{"staking.unbondingPeriod", func(g *Genesis) { g.Staking.UnbondingPeriod = 1 }},
		{"staking.slashPercent", func(g *Genesis) { g.Staking.SlashPercent = 101 }},
		{"validators", func(g *Genesis) { g.Validators = nil }},
		{"validators[1].address", func(g *Genesis) { g.Validators[1].Address = common.Address{} }},
		{"validators[1].address", func(g *Genesis) { g.Validators[1].Address = g.Validators[0].Address }},
		{"validators[0].stake", func(g *Genesis) { g.Validators[0].Stake = Ether(99) }},
		{"validators[0].stake", func(g *Genesis) { g.Validators[0].Stake = nil }},
		{"validators", func(g *Genesis) { g.Validators[0].Stake = NewAmount(new(big.Int).Lsh(big.NewInt(1), 200)) }},
		{"alloc", func(g *Genesis) {
			g.Alloc[common.Address{9}] = Account{Balance: NewAmount(maxAmount)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			g, err := Parse([]byte(exampleGenesis))
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(g)
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

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"unknown field":  `{"chainId": 1, "gasLimt": 5}`,
		"bad amount":     strings.Replace(exampleGenesis, `"10000 ETH"`, `"ten ETH"`, 1),
		"negative":       strings.Replace(exampleGenesis, `"10000 ETH"`, `"-1"`, 1),
		"bad duration":   strings.Replace(exampleGenesis, `"1s"`, `"one second"`, 1),
		"trailing":       exampleGenesis + `{}`,
		"not json":       `chainId: 1337`,
		"missing fields": `{}`,
	}
	for name, input := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(input)); !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("missing file accepted")
	}
}

func TestParseAmount(t *testing.T) {
	e18 := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	good := map[string]*big.Int{
		"0":             big.NewInt(0),
		"1000":          big.NewInt(1000),
		"0x3e8":         big.NewInt(1000),
		"1 ETH":         e18,
		"1.5 ether":     new(big.Int).Div(new(big.Int).Mul(e18, big.NewInt(3)), big.NewInt(2)),
		"2 gwei":        big.NewInt(2_000_000_000),
		"0.000001 Gwei": big.NewInt(1000),
		" 7 wei ":       big.NewInt(7),
	}
	for in, want := range good {
		got, err := ParseAmount(in)
		if err != nil || got.Cmp(want) != 0 {
			t.Errorf("ParseAmount(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "-5", "1.5", "1 bitcoin", "0.1234567890123456789 ETH", "0xzz", "+5", ".5 ETH",
		"0x1" + strings.Repeat("0", 64)} {
		if _, err := ParseAmount(in); !errors.Is(err, ErrBadAmount) {
			t.Errorf("ParseAmount(%q): got %v, want ErrBadAmount", in, err)
		}
	}
}
