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
// closed it below this node's target), and not when it holds less.
func TestBackloggedFollowsThePool(t *testing.T) {
	chainID := big.NewInt(1337)
	signer := types.LatestSignerForChainID(chainID)
	accept := func(*types.Transaction, common.Address, txpool.StateView, *big.Int) error { return nil }
	pool := txpool.New(txpool.DefaultConfig(), signer, accept, richState{}, big.NewInt(1))
	const target = 30 * execution.TxGas // the node's gas target: 30 transfers
	d := &driver{n: &Node{pool: pool}, budget: &buildBudget{gas: target, gasLimit: 1000 * execution.TxGas, blockTime: time.Second}}
	// The block being decided: 5 transfers (a sixth of the target), whose
	// transactions are still pooled until it commits.
	decided := &block.Block{Header: &types.Header{GasLimit: 1000 * execution.TxGas, GasUsed: 5 * execution.TxGas},
		Transactions: make(types.Transactions, 5)}
	add := func(n int, first int) {
		for i := range n {
			key, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(first+i+1)).Bytes(), 32))
			if err != nil {
				t.Fatal(err)
			}
			to := common.HexToAddress("0xbeef")
			tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{ChainID: chainID, Gas: execution.TxGas,
				To: &to, Value: big.NewInt(1), GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10)})
			if err != nil {
				t.Fatal(err)
			}
			if err := pool.Add(tx)[0]; err != nil {
				t.Fatal(err)
			}
		}
	}
	add(5+29, 0) // the block's 5 and 29 more: short of a full block
	if d.backlogged(decided) {
		t.Fatal("29 transfers waiting behind the block count as a full block of 30")
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
