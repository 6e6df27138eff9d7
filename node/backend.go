package node

import (
	"context"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// DefaultTip is the priority fee suggested when recent blocks had room.
var DefaultTip = ethrpc.DefaultTip

// rpcBackend serves the Ethereum JSON-RPC API from the node's chain and
// mempool.
type rpcBackend struct {
	chain   *chain.Chain
	pool    *txpool.Pool
	gate    *execGate // nil: admission never waits
	metrics *Metrics  // nil: no metrics
	peers   func() int
	onTx    func(*types.Transaction)
	syncing func() *ethrpc.SyncProgress
	version string
}

var (
	_ ethrpc.Backend           = (*rpcBackend)(nil)
	_ ethrpc.SystemLogsBackend = (*rpcBackend)(nil)
	_ ethrpc.TxPoolBackend     = (*rpcBackend)(nil)
	_ ethrpc.TxPoolCounter     = (*rpcBackend)(nil)
)

func notFound(err error) error {
	if chain.IsNotFound(err) {
		return fmt.Errorf("%w: %v", ethrpc.ErrNotFound, err)
	}
	return err
}

func (b *rpcBackend) ChainID() *big.Int     { return new(big.Int).SetUint64(b.chain.Genesis().ChainID) }
func (b *rpcBackend) ClientVersion() string { return b.version }
func (b *rpcBackend) PeerCount() int        { return b.peers() }

// ResolveBlockNumber maps tags to heights: every tag but earliest is the
// last committed block, which BFT finality makes final at once.
func (b *rpcBackend) ResolveBlockNumber(_ context.Context, n rpc.BlockNumber) (uint64, error) {
	head := b.chain.Head().Number()
	switch {
	case n == rpc.EarliestBlockNumber:
		return 0, nil
	case n < 0:
		return head, nil
	case uint64(n) > head:
		return 0, fmt.Errorf("%w: block %d is above the head %d", ethrpc.ErrNotFound, n, head)
	}
	return uint64(n), nil
}

func (b *rpcBackend) BlockByNumber(_ context.Context, n uint64) (*block.Block, error) {
	blk, err := b.chain.BlockByNumber(n)
	return blk, notFound(err)
}

func (b *rpcBackend) BlockByHash(_ context.Context, h common.Hash) (*block.Block, error) {
	blk, err := b.chain.BlockByHash(h)
	return blk, notFound(err)
}

func (b *rpcBackend) Receipts(_ context.Context, h common.Hash) (types.Receipts, error) {
	blk, err := b.chain.BlockByHash(h)
	if err != nil {
		return nil, notFound(err)
	}
	return b.chain.Receipts(blk)
}

// SystemLogs implements ethrpc.SystemLogsBackend: the end-of-block hooks'
// logs (withdrawal payouts, batch finalizations) of a committed block.
func (b *rpcBackend) SystemLogs(_ context.Context, h common.Hash, receipts types.Receipts) ([]*types.Log, error) {
	blk, err := b.chain.BlockByHash(h)
	if err != nil {
		return nil, notFound(err)
	}
	return b.chain.SystemLogs(blk, receipts)
}

func (b *rpcBackend) TxLocation(_ context.Context, h common.Hash) (uint64, int, error) {
	loc, err := b.chain.TxLocation(h)
	if err != nil {
		return 0, 0, notFound(err)
	}
	return loc.Height, int(loc.Index), nil
}

func (b *rpcBackend) StateAt(_ context.Context, n uint64) (*state.StateDB, error) {
	st, err := b.chain.StateAt(n)
	return st, notFound(err)
}

// SendTransaction admits tx to the pool and gossips it. The pool's errors
// (from the state transition's checks) tell the user what is wrong. A full
// pool that would refuse tx anyway says so before its sender is recovered
// (issue 17: under a load above what the chain finalizes, refusing must
// cost little).
func (b *rpcBackend) SendTransaction(_ context.Context, tx *types.Transaction) error {
	if err := b.pool.CheckSubmitRoom(tx); err != nil {
		b.metrics.admitted("rpc", admissionRefused)
		return err
	}
	// The state transition's own checks next, so a wrong chain id or a
	// bad signature is reported in its words ("invalid chain id: want
	// 1337, have 1"), not as a failed sender recovery (a full pool says
	// "txpool is full" first, whatever else is wrong).
	var err error
	b.gate.admit(func() { _, err = b.chain.CheckTx(tx) })
	if err != nil {
		b.metrics.admitted("rpc", admissionInvalid)
		return err
	}
	if err := b.pool.Add(tx)[0]; err != nil {
		b.metrics.admitted("rpc", admissionRecoveredRefused)
		return err
	}
	b.metrics.admitted("rpc", admissionAdded)
	if b.onTx != nil {
		b.onTx(tx)
	}
	return nil
}

func (b *rpcBackend) PendingTransaction(h common.Hash) *types.Transaction { return b.pool.Get(h) }

// TxPoolContent implements ethrpc.TxPoolBackend (txpool_*, and the
// newPendingTransactions subscription's view of transactions gossiped in).
func (b *rpcBackend) TxPoolContent() ethrpc.PoolContent {
	return ethrpc.PoolContentOf(b.pool)
}

// TxPoolCounts implements ethrpc.TxPoolCounter (txpool_status).
func (b *rpcBackend) TxPoolCounts() (pending, queued int) { return b.pool.Counts() }

func (b *rpcBackend) PendingNonce(a common.Address) uint64 { return b.pool.PendingNonce(a) }

func (b *rpcBackend) NextBaseFee(context.Context) (*big.Int, error) {
	return b.chain.NextBaseFee(b.chain.Head().Header), nil
}

// SuggestTip returns DefaultTip, or, when the last block was nearly full,
// the median tip it paid plus 10 %.
func (b *rpcBackend) SuggestTip(context.Context) (*big.Int, error) {
	return ethrpc.SuggestTipAfter(b.chain.Head()), nil
}

// callEnv is the state and block of a call on top of block n.
func (b *rpcBackend) callEnv(n uint64) (ethrpc.CallEnv, error) {
	header, err := b.chain.HeaderByNumber(n)
	if err != nil {
		return ethrpc.CallEnv{}, notFound(err)
	}
	st, err := b.chain.StateAt(n)
	if err != nil {
		return ethrpc.CallEnv{}, err
	}
	return ethrpc.CallEnv{State: st, Block: syscontract.BlockInfoFromHeader(b.ChainID(), header), Registry: b.chain.Registry()}, nil
}

// Call runs a system contract method read-only.
func (b *rpcBackend) Call(_ context.Context, args ethrpc.CallArgs, n uint64) ([]byte, error) {
	env, err := b.callEnv(n)
	if err != nil {
		return nil, err
	}
	return ethrpc.CallSystem(env, args)
}

// EstimateGas returns the gas a transaction with args needs.
func (b *rpcBackend) EstimateGas(_ context.Context, args ethrpc.CallArgs, n uint64) (uint64, error) {
	env, err := b.callEnv(n)
	if err != nil {
		return 0, err
	}
	return ethrpc.EstimateSystemGas(env, args)
}

func (b *rpcBackend) Syncing(context.Context) (*ethrpc.SyncProgress, error) {
	if b.syncing == nil {
		return nil, nil
	}
	return b.syncing(), nil
}
