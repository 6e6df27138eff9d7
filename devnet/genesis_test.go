package devnet

import (
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/keyfile"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestNewGenesisIsAValidDevnetGenesis(t *testing.T) {
	vals := []common.Address{{1}, {2}, {3}, {4}}
	sequencer := common.HexToAddress("0x5e0000000000000000000000000000000000005e")
	g, err := NewGenesis(vals, sequencer, 1_700_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if g.ChainID != 1337 || !g.Devnet {
		t.Fatal("not a 1337 devnet genesis")
	}
	acc0 := g.Alloc[common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")]
	if acc0.Balance.Big().Cmp(DevAccountBalance.Big()) != 0 {
		t.Fatalf("dev account 0 holds %s", acc0.Balance)
	}
	if len(g.ValidatorSet()) != 4 || g.ValidatorSet()[0].Power != 1000 {
		t.Fatalf("validator set %+v", g.ValidatorSet())
	}
	// 10 dev accounts, 4 validator balances and 4 stakes, the sequencer,
	// and the bridge backing the 10 dev accounts' L2 prefunds.
	want := new(big.Int).Mul(big.NewInt(10*10_000+4*100+4*1000+1000+10*10_000), big.NewInt(1e18))
	if totalSupply(g).Cmp(want) != 0 {
		t.Fatalf("total supply %s, want %s", totalSupply(g), want)
	}
	path := filepath.Join(t.TempDir(), "genesis.json")
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	if _, err := genesis.Load(path); err != nil {
		t.Fatalf("saved devnet genesis does not load: %v", err)
	}
	if _, err := NewGenesis(nil, sequencer, 0); err == nil {
		t.Fatal("a genesis without validators was accepted")
	}
}

func TestDevnetGenesisHasTheRollupSection(t *testing.T) {
	sequencer := common.HexToAddress("0x5e0000000000000000000000000000000000005e")
	g, err := NewGenesis([]common.Address{{1}}, sequencer, 1_700_000_000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rollupconfig.FromGenesis(g, common.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	if c.L2ChainID != 1338 || c.L2BlockTime != 250*time.Millisecond || c.ChallengeWindow != 30 || c.SequencingWindow != 20 ||
		c.MaxOriginLag != 2 || c.SequencerBond.Cmp(genesis.Ether(10).Big()) != 0 || c.Sequencer != sequencer ||
		c.L1FeeScalar != 16_000_000 || c.MaxTxsPerBlock != 1000 || c.L2GasLimit != 50_000_000 || c.SequencerTimeout != 40 {
		t.Fatalf("rollup config %+v", c)
	}
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		t.Fatal(err)
	}
	l2Total := new(big.Int)
	for _, a := range accounts {
		acc, ok := c.L2Alloc[a.Address]
		if !ok || acc.Balance.Cmp(DevAccountBalance.Big()) != 0 {
			t.Fatalf("dev account %s holds %v on L2", a.Address, acc.Balance)
		}
		l2Total.Add(l2Total, acc.Balance)
	}
	if len(c.L2Alloc) != devkeys.Count || g.Alloc[bridge.Address].Balance.Big().Cmp(l2Total) != 0 {
		t.Fatalf("bridge holds %s, L2 prefunds %s", g.Alloc[bridge.Address].Balance, l2Total)
	}
	if g.Alloc[sequencer].Balance.Big().Cmp(SequencerBalance.Big()) != 0 {
		t.Fatalf("sequencer holds %s on L1", g.Alloc[sequencer].Balance)
	}
	l1Only, err := NewGenesis([]common.Address{{1}}, common.Address{}, 1_700_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l1Only.Alloc[bridge.Address]; l1Only.Rollup != nil || ok {
		t.Fatal("an L1-only devnet genesis has a rollup section or a bridge balance")
	}
	if _, err := NewGenesis([]common.Address{{1}}, accounts[0].Address, 0); err == nil {
		t.Fatal("a dev account was accepted as the sequencer")
	}
}

// standInValidator writes a shell script that answers "validator
// peer-id" (and does nothing for "init") into a new temporary directory,
// and returns the directory and the script's path; it skips the test where
// no shell runs scripts.
func standInValidator(t *testing.T) (dir, bin string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in validator is a shell script")
	}
	dir = t.TempDir()
	bin = filepath.Join(dir, "validator")
	script := "#!/bin/sh\ncase \"$1\" in\n  peer-id) echo 12D3KooWStandIn ;;\nesac\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, bin
}

// TestGenerateWritesTheSequencerKeystore runs Generate with a stand-in
// validator binary: the sequencer's keystore decrypts with the devnet
// password to the genesis's rollup.sequencer, which is funded on L1, and
// devnet.json records it.
func TestGenerateWritesTheSequencerKeystore(t *testing.T) {
	dir, bin := standInValidator(t)
	l := Layout{Dir: filepath.Join(dir, "devnet")}
	cfg, created, err := Generate(t.Context(), GenerateOptions{
		Layout: l, Validators: 2, ValidatorBin: bin, Now: time.Now, NewKey: crypto.GenerateKey,
		NewPassword: func() (string, error) { return "devnet-password", nil },
	})
	if err != nil || !created {
		t.Fatalf("Generate: created %v, %v", created, err)
	}
	if cfg.Sequencer == nil || cfg.Sequencer.Keystore != "keys/sequencer.json" {
		t.Fatalf("config records sequencer %+v", cfg.Sequencer)
	}
	pw, err := keyfile.ReadPassword(l.PasswordFile())
	if err != nil {
		t.Fatal(err)
	}
	key, err := keyfile.Load(l.SequencerKeyFile(), pw)
	if err != nil {
		t.Fatal(err)
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	g, err := genesis.Load(l.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	if g.Rollup == nil || g.Rollup.Sequencer != addr || cfg.Sequencer.Address != addr.Hex() {
		t.Fatalf("keystore holds %s, genesis names %+v, config %+v", addr, g.Rollup, cfg.Sequencer)
	}
	if g.Alloc[addr].Balance.Big().Cmp(SequencerBalance.Big()) != 0 {
		t.Fatalf("the sequencer holds %s on L1", g.Alloc[addr].Balance)
	}
	if err := rollupconfig.Validate(g); err != nil {
		t.Fatal(err)
	}
	again, err := LoadConfig(l)
	if err != nil || again.Sequencer == nil || *again.Sequencer != *cfg.Sequencer {
		t.Fatalf("devnet.json: %+v, %v", again.Sequencer, err)
	}
}

// TestLoadChainParams reads back what the summary shows of the rollup.
func TestLoadChainParams(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	g, err := NewGenesis([]common.Address{{1}}, common.Address{2}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Save(l.GenesisFile()); err != nil {
		t.Fatal(err)
	}
	p, err := LoadChainParams(l)
	if err != nil {
		t.Fatal(err)
	}
	if p.L1BlockTime != time.Second || p.L2BlockTime != L2BlockTime || p.ChallengeWindow != ChallengeWindow ||
		p.SequencingWindow != SequencingWindow || p.SequencerBond.Cmp(SequencerBond.Big()) != 0 {
		t.Errorf("chain params %+v", p)
	}
	if _, err := LoadChainParams(Layout{Dir: t.TempDir()}); err == nil {
		t.Error("LoadChainParams of a directory without a genesis succeeded")
	}
}

// TestGeneratePrefundsAccounts: Generate with Prefund funds exactly the
// PrefundAddresses (distinct, derived alike each time) with PrefundBalance
// besides the usual allocation, and refuses a count above MaxPrefund.
func TestGeneratePrefundsAccounts(t *testing.T) {
	dir, bin := standInValidator(t)
	opts := func(name string, n int) GenerateOptions {
		return GenerateOptions{Layout: Layout{Dir: filepath.Join(dir, name)}, Validators: 2, ValidatorBin: bin, Now: time.Now,
			NewKey: crypto.GenerateKey, NewPassword: func() (string, error) { return "pw", nil }, Prefund: n}
	}
	if _, _, err := Generate(t.Context(), opts("plain", 0)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Generate(t.Context(), opts("prefunded", 500)); err != nil {
		t.Fatal(err)
	}
	plain, err := genesis.Load(Layout{Dir: filepath.Join(dir, "plain")}.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	prefunded, err := genesis.Load(Layout{Dir: filepath.Join(dir, "prefunded")}.GenesisFile())
	if err != nil {
		t.Fatal(err)
	}
	if len(prefunded.Alloc) != len(plain.Alloc)+500 {
		t.Fatalf("%d accounts funded with a prefund of 500, %d without", len(prefunded.Alloc), len(plain.Alloc))
	}
	addrs := PrefundAddresses(500)
	if again := PrefundAddresses(500); !slices.Equal(addrs, again) {
		t.Fatal("the prefunded addresses differ between two derivations")
	}
	seen := map[common.Address]bool{}
	for _, a := range addrs {
		if seen[a] {
			t.Fatalf("%s derived twice", a)
		}
		seen[a] = true
		if b := prefunded.Alloc[a].Balance; b.Big().Cmp(PrefundBalance.Big()) != 0 {
			t.Fatalf("%s holds %s, want %s", a, b, PrefundBalance)
		}
	}
	if _, _, err := Generate(t.Context(), opts("too-many", MaxPrefund+1)); err == nil {
		t.Fatal("a prefund above MaxPrefund was accepted")
	}
}
