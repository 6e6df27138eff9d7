package config_test

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/config"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
)

var (
	sequencer = common.HexToAddress("0x5e0000000000000000000000000000000000005e")
	l1Hash    = common.HexToHash("0x1111111111111111111111111111111111111111111111111111111111111111")
)

// devnetGenesis is an L1 genesis with the devnet's rollup section: three
// accounts prefunded on L2, the bridge holding their total on L1.
func devnetGenesis(t *testing.T) *genesis.Genesis {
	t.Helper()
	g := &genesis.Genesis{
		ChainID: 1337, Timestamp: 1_700_000_000, GasLimit: 200_000_000,
		Alloc:      map[common.Address]genesis.Account{},
		Validators: []genesis.Validator{{Address: common.Address{0xaa}, Stake: genesis.Ether(1000)}},
		Rollup: &genesis.Rollup{
			L2ChainID: 1338, L2BlockTime: genesis.Duration{Duration: 250 * time.Millisecond}, L2GasLimit: 50_000_000,
			MaxTxsPerBlock: 1000, L2Alloc: map[common.Address]genesis.Account{},
			ChallengeWindow: 30, SequencingWindow: 20, MaxOriginLag: 2,
			SequencerBond: genesis.Ether(10), Sequencer: sequencer, L1FeeScalar: 16_000_000,
		},
	}
	for i := range 3 {
		g.Rollup.L2Alloc[common.Address{byte(i + 1)}] = genesis.Account{Balance: genesis.Ether(10_000)}
	}
	g.Alloc[config.BridgeAddress] = genesis.Account{Balance: genesis.Ether(30_000)}
	g.Alloc[sequencer] = genesis.Account{Balance: genesis.Ether(1000)}
	g.FillDefaults()
	return g
}

func TestFromGenesisReadsTheDevnetSection(t *testing.T) {
	g := devnetGenesis(t)
	c, err := config.FromGenesis(g, l1Hash)
	if err != nil {
		t.Fatal(err)
	}
	if c.L1ChainID != 1337 || c.L2ChainID != 1338 || c.L2BlockTime != 250*time.Millisecond || c.L2GasLimit != 50_000_000 ||
		c.MaxTxsPerBlock != 1000 || c.ChallengeWindow != 30 || c.SequencingWindow != 20 || c.MaxOriginLag != 2 ||
		c.Sequencer != sequencer || c.SequencerBond.Cmp(genesis.Ether(10).Big()) != 0 || c.L1FeeScalar != 16_000_000 ||
		c.L1GenesisTime != 1_700_000_000 || len(c.L2Alloc) != 3 || c.SequencerTimeout != 40 {
		t.Fatalf("config %+v", c)
	}
	ref := c.L1GenesisRef()
	if ref.Number != 0 || ref.Hash != l1Hash || ref.BaseFee.Cmp(genesis.DefaultInitialBaseFee) != 0 {
		t.Fatalf("L1 genesis ref %+v", ref)
	}
	ref.BaseFee.SetInt64(5)
	if c.L1GenesisRef().BaseFee.Cmp(genesis.DefaultInitialBaseFee) != 0 {
		t.Fatal("L1GenesisRef shares its base fee with the config")
	}
	ec := c.ExecutionConfig()
	if err := ec.Validate(); err != nil {
		t.Fatal(err)
	}
	if ec.ChainID.Uint64() != 1338 || ec.L2 == nil || ec.L2.FeeVault != config.FeeVault || ec.L2.L1FeeScalar != 16_000_000 ||
		ec.L2.MaxTxsPerBlock != 1000 || ec.MinBaseFee.Cmp(genesis.DefaultL2MinBaseFee) != 0 ||
		ec.BaseFeeChangeDenominator != genesis.DefaultChangeDenom {
		t.Fatalf("execution config %+v, L2 %+v", ec, ec.L2)
	}
	if config.FeeVault != common.HexToAddress("0x0000000000000000000000000000000000002002") ||
		config.BridgeAddress != common.HexToAddress("0x0000000000000000000000000000000000001003") ||
		config.WithdrawalQueueAddress != common.HexToAddress("0x0000000000000000000000000000000000002001") {
		t.Fatal("fixed addresses moved")
	}
}

func TestFromGenesisRefusesWithoutARollupSection(t *testing.T) {
	g := devnetGenesis(t)
	g.Rollup = nil
	if _, err := config.FromGenesis(g, l1Hash); !errors.Is(err, config.ErrNoRollup) {
		t.Fatalf("got %v, want ErrNoRollup", err)
	}
	if err := config.Validate(nil); !errors.Is(err, config.ErrNoRollup) {
		t.Fatalf("nil genesis: %v", err)
	}
}

func TestFromGenesisNamesTheBadField(t *testing.T) {
	cases := []struct {
		field  string
		mutate func(*genesis.Genesis)
	}{
		{"rollup.l2ChainId", func(g *genesis.Genesis) { g.Rollup.L2ChainID = 0 }},
		{"rollup.l2BlockTime", func(g *genesis.Genesis) { g.Rollup.L2BlockTime.Duration = 2 * time.Minute }},
		{"rollup.l2GasLimit", func(g *genesis.Genesis) { g.Rollup.L2GasLimit = 1 }},
		{"rollup.maxTxsPerBlock", func(g *genesis.Genesis) { g.Rollup.MaxTxsPerBlock = 0 }},
		{"rollup.l2BaseFee.elasticityMultiplier", func(g *genesis.Genesis) { g.Rollup.L2BaseFee.ElasticityMultiplier = 0 }},
		{"rollup.l2BaseFee", func(g *genesis.Genesis) { g.Rollup.L2BaseFee.Minimum = nil }},
		{"rollup.challengeWindow", func(g *genesis.Genesis) { g.Rollup.ChallengeWindow = 0 }},
		{"rollup.sequencingWindow", func(g *genesis.Genesis) { g.Rollup.SequencingWindow = 0 }},
		{"rollup.maxOriginLag", func(g *genesis.Genesis) { g.Rollup.MaxOriginLag = 0 }},
		{"rollup.maxOriginLag", func(g *genesis.Genesis) { g.Rollup.MaxOriginLag = 25 }},
		{"rollup.sequencerBond", func(g *genesis.Genesis) { g.Rollup.SequencerBond = genesis.NewAmount(new(big.Int)) }},
		{"rollup.sequencer", func(g *genesis.Genesis) { g.Rollup.Sequencer = common.Address{} }},
		{"rollup.sequencerTimeout", func(g *genesis.Genesis) { g.Rollup.SequencerTimeout = 20 }},
		{"rollup.l1FeeScalar", func(g *genesis.Genesis) { g.Rollup.L1FeeScalar = genesis.MaxL1FeeScalar + 1 }},
		{"rollup.l2Alloc[" + config.WithdrawalQueueAddress.Hex() + "]", func(g *genesis.Genesis) {
			g.Rollup.L2Alloc[config.WithdrawalQueueAddress] = genesis.Account{Balance: genesis.Ether(0)}
		}},
		{"alloc[" + config.BridgeAddress.Hex() + "]", func(g *genesis.Genesis) {
			acc := g.Alloc[config.BridgeAddress]
			acc.Storage = map[common.Hash]common.Hash{{1}: {1}}
			g.Alloc[config.BridgeAddress] = acc
		}},
	}
	for _, tc := range cases {
		t.Run(tc.field, func(t *testing.T) {
			g := devnetGenesis(t)
			tc.mutate(g)
			_, err := config.FromGenesis(g, l1Hash)
			if !errors.Is(err, genesis.ErrInvalid) {
				t.Fatalf("got %v, want genesis.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.field+":") {
				t.Fatalf("error %q does not name field %s", err, tc.field)
			}
		})
	}
}

func TestFromGenesisRefusesUnbackedPrefunds(t *testing.T) {
	g := devnetGenesis(t)
	g.Alloc[config.BridgeAddress] = genesis.Account{Balance: genesis.Ether(29_999)}
	_, err := config.FromGenesis(g, l1Hash)
	if !errors.Is(err, config.ErrUnbacked) || !errors.Is(err, genesis.ErrInvalid) {
		t.Fatalf("got %v, want ErrUnbacked", err)
	}
	for _, n := range []string{genesis.Ether(30_000).String(), genesis.Ether(29_999).String()} {
		if !strings.Contains(err.Error(), n) {
			t.Fatalf("error %q does not say %s", err, n)
		}
	}
	delete(g.Alloc, config.BridgeAddress)
	if _, err := config.FromGenesis(g, l1Hash); !errors.Is(err, config.ErrUnbacked) {
		t.Fatalf("no bridge balance: %v", err)
	}
	// No prefunds and no bridge balance is consistent.
	g.Rollup.L2Alloc = map[common.Address]genesis.Account{}
	if _, err := config.FromGenesis(g, l1Hash); err != nil {
		t.Fatal(err)
	}
}

func l2Genesis(t *testing.T, c *config.Config) *block.Block {
	t.Helper()
	root, err := statedb.New(rawdb.NewMemoryDatabase()).ApplyAlloc(c.L2GenesisAlloc())
	if err != nil {
		t.Fatal(err)
	}
	return c.L2GenesisBlock(root)
}

func TestL2GenesisIsDeterministicAndHashesLikeGoEthereum(t *testing.T) {
	g := devnetGenesis(t)
	c1, err := config.FromGenesis(g, l1Hash)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := config.FromGenesis(devnetGenesis(t), l1Hash)
	if err != nil {
		t.Fatal(err)
	}
	b1, b2 := l2Genesis(t, c1), l2Genesis(t, c2)
	if b1.Hash() != b2.Hash() || b1.Header.Root != b2.Header.Root {
		t.Fatal("the L2 genesis differs between two builds")
	}
	h := b1.Header
	if h.Number.Sign() != 0 || h.Time != g.Timestamp || h.GasLimit != 50_000_000 || h.Coinbase != config.FeeVault ||
		h.BaseFee.Cmp(genesis.DefaultInitialBaseFee) != 0 || h.ParentHash != (common.Hash{}) || len(b1.Transactions) != 0 {
		t.Fatalf("L2 genesis header %+v", h)
	}
	if !b1.IsL2() || b1.L2.Origin.Hash != l1Hash || b1.L2.Origin.Number != 0 || len(b1.L2.Operations) != 0 ||
		h.MixDigest != b1.L2.Hash() {
		t.Fatalf("L2 genesis extras %+v", b1.L2)
	}
	if err := b1.CheckCommitments(); err != nil {
		t.Fatal(err)
	}
	// ethclient rebuilds a header from its JSON and hashes it itself.
	data, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var rebuilt types.Header
	if err := json.Unmarshal(data, &rebuilt); err != nil {
		t.Fatal(err)
	}
	if rebuilt.Hash() != b1.Hash() {
		t.Fatalf("go-ethereum hashes the L2 genesis header as %s, the block says %s", rebuilt.Hash(), b1.Hash())
	}
	// The state holds the prefunds and the withdrawal queue's account.
	db := statedb.New(rawdb.NewMemoryDatabase())
	root, err := db.ApplyAlloc(c1.L2GenesisAlloc())
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	if st.GetNonce(config.WithdrawalQueueAddress) != 1 || string(st.GetCode(config.WithdrawalQueueAddress)) != string(syscontract.MarkerCode()) {
		t.Fatal("the withdrawal queue has no system-contract account")
	}
	if st.GetBalance(common.Address{1}).ToBig().Cmp(genesis.Ether(10_000).Big()) != 0 || st.Exist(config.FeeVault) {
		t.Fatal("wrong L2 genesis balances")
	}
	// Another L1 genesis gives another L2 genesis.
	c3, err := config.FromGenesis(devnetGenesis(t), common.Hash{2})
	if err != nil {
		t.Fatal(err)
	}
	if l2Genesis(t, c3).Hash() == b1.Hash() {
		t.Fatal("the L2 genesis does not commit to its L1 origin")
	}
}
