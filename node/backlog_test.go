package node

import (
	"math/big"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestBackloggedFollowsThePool: the next proposer builds ahead when the
// pool holds a full block's gas (this node's target) besides the block
// being decided, however full that block was (another proposer may have
// closed it below this node's target), and not when it holds less. Only
// the block's transactions this pool holds are set aside: a block of
// transactions other validators' clients sent (not in this pool, as under
// overload, when every pool is full of its own clients') leaves this
// pool's backlog whole.
func TestBackloggedFollowsThePool(t *testing.T) {
	chainID := big.NewInt(1337)
	signer := types.LatestSignerForChainID(chainID)
	accept := func(*types.Transaction, common.Address, txpool.StateView, *big.Int) error { return nil }
	pool := txpool.New(txpool.DefaultConfig(), signer, accept, richState{}, big.NewInt(1))
	const target = 30 * execution.TxGas // the node's gas target: 30 transfers
	d := &driver{n: &Node{pool: pool}, budget: &buildBudget{gas: target, gasLimit: 1000 * execution.TxGas, blockTime: time.Second}}
	transfer := func(key int) *types.Transaction {
		t.Helper()
		k, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(key)).Bytes(), 32))
		if err != nil {
			t.Fatal(err)
		}
		to := common.HexToAddress("0xbeef")
		tx, err := types.SignNewTx(k, signer, &types.DynamicFeeTx{ChainID: chainID, Gas: execution.TxGas,
			To: &to, Value: big.NewInt(1), GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10)})
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	add := func(n int, first int) types.Transactions {
		var txs types.Transactions
		for i := range n {
			tx := transfer(first + i + 1)
			if err := pool.Add(tx)[0]; err != nil {
				t.Fatal(err)
			}
			txs = append(txs, tx)
		}
		return txs
	}
	blockOf := func(txs types.Transactions) *block.Block {
		return &block.Block{Header: &types.Header{GasLimit: 1000 * execution.TxGas, GasUsed: uint64(len(txs)) * execution.TxGas},
			Transactions: txs}
	}
	// The block being decided: 5 transfers (a sixth of the target), whose
	// transactions are still pooled until it commits.
	decided := blockOf(add(5, 0))
	add(29, 5) // 29 more: short of a full block
	if d.backlogged(decided) {
		t.Fatal("29 transfers waiting behind the block count as a full block of 30")
	}
	// Another validator's block of 20 transfers this pool never held: the
	// 34 pooled ones all wait behind it.
	var others types.Transactions
	for i := range 20 {
		others = append(others, transfer(1000+i))
	}
	if !d.backlogged(blockOf(others)) {
		t.Fatal("34 pooled transfers behind a block of 20 this pool does not hold are not a backlog of 30")
	}
	add(1, 34) // 30 waiting: the next block is full whenever it is built
	if !d.backlogged(decided) {
		t.Fatal("a full block waiting behind a block a sixth full is not a backlog")
	}
	empty := &block.Block{Header: &types.Header{GasLimit: 1000 * execution.TxGas}}
	if !d.backlogged(empty) {
		t.Fatal("35 transfers waiting behind an empty block are not a backlog (counted at a transfer's gas)")
	}
}
