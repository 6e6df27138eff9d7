package node

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	rollupcontract "github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/holiman/uint256"
)

// TestBridgePayerIsTheRollupContract: the node builds the bridge with the
// rollup contract as its only payer: payWithdrawal called as the rollup
// contract pays, called by anyone else reverts.
func TestBridgePayerIsTheRollupContract(t *testing.T) {
	g := &genesis.Genesis{ChainID: 1337, GasLimit: 30_000_000, Timestamp: 1_700_000_000,
		Alloc:      map[common.Address]genesis.Account{},
		Validators: []genesis.Validator{{Address: common.Address{0xaa}, Stake: genesis.Ether(1000)}}}
	rollupGenesis(genesis.Ether(30))(g)
	g.FillDefaults()
	reg, _, err := systemContracts(g)
	if err != nil {
		t.Fatal(err)
	}
	alloc := reg.Accounts()
	acc := alloc[bridge.Address]
	acc.Balance = genesis.Ether(30).Big()
	alloc[bridge.Address] = acc
	db := statedb.New(rawdb.NewMemoryDatabase())
	root, err := db.ApplyAlloc(alloc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	info := syscontract.BlockInfo{ChainID: big.NewInt(1337), Number: 5, GasLimit: 30_000_000, BaseFee: big.NewInt(1)}
	to := common.HexToAddress("0xbeef")
	one := uint256.NewInt(1e18)
	if _, _, err := reg.Run(st, info, to, bridge.Address, nil, bridge.PackPayWithdrawal(0, to, one), 1_000_000); !errors.Is(err, bridge.ErrNotPayer) {
		t.Fatalf("payWithdrawal from another account: %v", err)
	}
	if _, _, err := reg.Run(st, info, rollupcontract.Address, bridge.Address, nil, bridge.PackPayWithdrawal(0, to, one), 1_000_000); err != nil {
		t.Fatalf("payWithdrawal as the rollup contract: %v", err)
	}
	if !st.GetBalance(to).Eq(one) {
		t.Fatalf("recipient holds %s", st.GetBalance(to))
	}
}
