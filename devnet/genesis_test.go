package devnet

import (
	"math/big"
	"path/filepath"
	"testing"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/ethereum/go-ethereum/common"
)

func TestNewGenesisIsAValidDevnetGenesis(t *testing.T) {
	vals := []common.Address{{1}, {2}, {3}, {4}}
	g, err := NewGenesis(vals, 1_700_000_000)
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
	// 10 dev accounts, 4 validator balances and 4 stakes.
	want := new(big.Int).Mul(big.NewInt(10*10_000+4*100+4*1000), big.NewInt(1e18))
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
	if _, err := NewGenesis(nil, 0); err == nil {
		t.Fatal("a genesis without validators was accepted")
	}
}
