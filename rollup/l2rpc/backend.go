// Package l2rpc serves an L2 chain's Ethereum JSON-RPC: the sequencer's
// (with its pool: transactions are accepted) and the challenger's
// (read-only, at its safe head). Only committed blocks are visible.
package l2rpc

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/txpool"
)

// ErrReadOnly is returned for transactions sent to a read-only L2 RPC.
var ErrReadOnly = errors.New("this L2 RPC is read-only (a verifier's): send transactions to the sequencer")

// Heads resolves the safe and finalized block tags; nil resolves both to
// the genesis.
type Heads interface {
	// Safe is the newest L2 block whose batch the L1 accepted.
	Safe() uint64
	// Finalized is the newest L2 block whose batch outlived the
	// challenge window.
	Finalized() uint64
}

// Backend serves the Ethereum JSON-RPC of an L2 chain. With a pool it
// accepts transactions (the sequencer); without one it is read-only. Only
// committed blocks are visible: a receipt exists once its block is on disk.
type Backend struct {
	chain   *l2chain.Chain
	pool    *txpool.Pool
	heads   Heads
	onTx    func()
	version string
}

var (
	_ ethrpc.Backend           = (*Backend)(nil)
	_ ethrpc.ReceiptExtender   = (*Backend)(nil)
	_ ethrpc.SystemLogsBackend = (*Backend)(nil)
	_ ethrpc.TxPoolBackend     = (*Backend)(nil)
)

// NewBackend returns the L2 RPC backend. pool may be nil (read-only);
// onTx (may be nil) is called after a transaction enters the pool; heads
// (may be nil) resolves the safe and finalized tags.
func NewBackend(chain *l2chain.Chain, pool *txpool.Pool, heads Heads, onTx func(), version string) *Backend {
	return &Backend{chain: chain, pool: pool, heads: heads, onTx: onTx, version: version}
}

func notFound(err error) error {
	if l2chain.IsNotFound(err) {
		return fmt.Errorf("%w: %v", ethrpc.ErrNotFound, err)
	}
	return err
}

// ChainID returns the L2 chain id.
func (b *Backend) ChainID() *big.Int { return new(big.Int).Set(b.chain.Config().ChainID) }

// ClientVersion returns the web3_clientVersion string.
func (b *Backend) ClientVersion() string { return b.version }

// PeerCount is 0: the sequencer has no L2 peers.
func (b *Backend) PeerCount() int { return 0 }

// ResolveBlockNumber maps tags to heights: latest and pending to the head,
// safe and finalized to what Heads says (the genesis without it).
func (b *Backend) ResolveBlockNumber(_ context.Context, n rpc.BlockNumber) (uint64, error) {
	head := b.chain.Head().Number()
	switch {
	case n == rpc.EarliestBlockNumber:
		return 0, nil
	case n == rpc.SafeBlockNumber && b.heads != nil:
		return min(b.heads.Safe(), head), nil
	case n == rpc.FinalizedBlockNumber && b.heads != nil:
		return min(b.heads.Finalized(), head), nil
	case n == rpc.SafeBlockNumber, n == rpc.FinalizedBlockNumber:
		return 0, nil
	case n < 0:
		return head, nil
	case uint64(n) > head:
		return 0, fmt.Errorf("%w: L2 block %d is above the head %d", ethrpc.ErrNotFound, n, head)
	}
	return uint64(n), nil
}

// BlockByNumber returns the committed block at height n.
func (b *Backend) BlockByNumber(_ context.Context, n uint64) (*block.Block, error) {
	blk, err := b.chain.BlockByNumber(block.L2Number(n))
	return blk, notFound(err)
}

// BlockByHash returns the committed block with hash h.
func (b *Backend) BlockByHash(_ context.Context, h common.Hash) (*block.Block, error) {
	blk, err := b.chain.BlockByHash(h)
	return blk, notFound(err)
}

// Receipts returns the receipts of a committed block.
func (b *Backend) Receipts(_ context.Context, h common.Hash) (types.Receipts, error) {
	blk, err := b.chain.BlockByHash(h)
	if err != nil {
		return nil, notFound(err)
	}
	return b.chain.Receipts(blk)
}

// SystemLogs implements ethrpc.SystemLogsBackend: the logs of a committed
// block's forced operations (a forced withdrawal's WithdrawalInitiated).
func (b *Backend) SystemLogs(_ context.Context, h common.Hash, receipts types.Receipts) ([]*types.Log, error) {
	blk, err := b.chain.BlockByHash(h)
	if err != nil {
		return nil, notFound(err)
	}
	return b.chain.SystemLogs(blk, receipts)
}

// ReceiptFields adds the L1 data fee the transaction paid (l1Fee, as the
// OP Stack names it) and the origin base fee it was priced at.
func (b *Backend) ReceiptFields(blk *block.Block, index int) (map[string]any, error) {
	if blk.L2 == nil || index >= len(blk.Transactions) {
		return nil, nil
	}
	fee, err := execution.L1DataFee(b.chain.Config().L2, blk.Transactions[index], blk.L2.Origin.BaseFee)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"l1Fee":         (*hexutil.Big)(fee),
		"l1GasPrice":    (*hexutil.Big)(blk.L2.Origin.BaseFee),
		"l1FeeScalar":   hexutil.Uint64(b.chain.Config().L2.L1FeeScalar),
		"l1OriginBlock": hexutil.Uint64(blk.L2.Origin.Number),
	}, nil
}

// TxLocation returns where a committed transaction is.
func (b *Backend) TxLocation(_ context.Context, h common.Hash) (uint64, int, error) {
	loc, err := b.chain.TxLocation(h)
	if err != nil {
		return 0, 0, notFound(err)
	}
	return loc.Height, int(loc.Index), nil
}

// StateAt returns the state after block n.
func (b *Backend) StateAt(_ context.Context, n uint64) (*state.StateDB, error) {
	st, err := b.chain.StateAt(block.L2Number(n))
	return st, notFound(err)
}

// SendTransaction checks tx with the state transition's own words (so a
// wrong chain id reads "invalid chain id: want 1338, have 1337"), then
// admits it to the pool and wakes the producer.
func (b *Backend) SendTransaction(_ context.Context, tx *types.Transaction) error {
	if b.pool == nil {
		return ErrReadOnly
	}
	if _, err := execution.CheckTx(b.chain.Config(), b.chain.Signer(), b.chain.Registry(), tx, nil, b.chain.Head().Header.GasLimit); err != nil {
		return err
	}
	if err := b.pool.Add(tx)[0]; err != nil {
		return err
	}
	if b.onTx != nil {
		b.onTx()
	}
	return nil
}

// PendingTransaction returns a pooled transaction, or nil.
func (b *Backend) PendingTransaction(h common.Hash) *types.Transaction {
	if b.pool == nil {
		return nil
	}
	return b.pool.Get(h)
}

// TxPoolContent implements ethrpc.TxPoolBackend: the sequencer's pool
// (txpool_*, newPendingTransactions); a read-only backend's is empty.
func (b *Backend) TxPoolContent() ethrpc.PoolContent {
	return ethrpc.PoolContentOf(b.pool)
}

// TxPoolCounts implements ethrpc.TxPoolCounter (txpool_status); a
// read-only backend's pool is empty.
func (b *Backend) TxPoolCounts() (pending, queued int) {
	if b.pool == nil {
		return 0, 0
	}
	return b.pool.Counts()
}

// PendingNonce returns the next nonce of a counting pooled transactions.
func (b *Backend) PendingNonce(a common.Address) uint64 {
	if b.pool == nil {
		st, err := b.chain.HeadState()
		if err != nil {
			return 0
		}
		return st.GetNonce(a)
	}
	return b.pool.PendingNonce(a)
}

// NextBaseFee returns the base fee of the next L2 block.
func (b *Backend) NextBaseFee(context.Context) (*big.Int, error) {
	return b.chain.NextBaseFee(b.chain.Head().Header), nil
}

// SuggestTip returns the tip that gets a transaction in soon.
func (b *Backend) SuggestTip(context.Context) (*big.Int, error) {
	return ethrpc.SuggestTipAfter(b.chain.Head()), nil
}

func (b *Backend) callEnv(n uint64) (ethrpc.CallEnv, error) {
	blk, err := b.chain.BlockByNumber(block.L2Number(n))
	if err != nil {
		return ethrpc.CallEnv{}, notFound(err)
	}
	st, err := b.chain.StateAt(block.L2Number(n))
	if err != nil {
		return ethrpc.CallEnv{}, err
	}
	return ethrpc.CallEnv{State: st, Block: syscontract.BlockInfoFromHeader(b.ChainID(), blk.Header), Registry: b.chain.Registry()}, nil
}

// Call runs an L2 system contract method read-only.
func (b *Backend) Call(_ context.Context, args ethrpc.CallArgs, n uint64) ([]byte, error) {
	env, err := b.callEnv(n)
	if err != nil {
		return nil, err
	}
	return ethrpc.CallSystem(env, args)
}

// EstimateGas returns the L2 gas a transaction needs (the L1 data fee is
// paid in wei on top, not in gas).
func (b *Backend) EstimateGas(_ context.Context, args ethrpc.CallArgs, n uint64) (uint64, error) {
	env, err := b.callEnv(n)
	if err != nil {
		return 0, err
	}
	return ethrpc.EstimateSystemGas(env, args)
}

// Syncing is nil: the sequencer is the source of the L2 head.
func (b *Backend) Syncing(context.Context) (*ethrpc.SyncProgress, error) { return nil, nil }
