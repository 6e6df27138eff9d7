package node

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/mempool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/holiman/uint256"
)

// DefaultTip is the priority fee suggested when recent blocks had room.
var DefaultTip = big.NewInt(1_000_000_000)

// rpcBackend serves the Ethereum JSON-RPC API from the node's chain and
// mempool.
type rpcBackend struct {
	chain   *chain.Chain
	pool    *mempool.Pool
	peers   func() int
	onTx    func(*types.Transaction)
	syncing func() *ethrpc.SyncProgress
	version string
}

var _ ethrpc.Backend = (*rpcBackend)(nil)

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
// (from the state transition's checks) tell the user what is wrong.
func (b *rpcBackend) SendTransaction(_ context.Context, tx *types.Transaction) error {
	// The state transition's own checks first, so a wrong chain id or a
	// bad signature is reported in its words ("invalid chain id: want
	// 1337, have 1"), not as a failed sender recovery.
	if _, err := execution.CheckTx(b.chain.Config(), b.chain.Signer(), b.chain.Registry(), tx, nil, b.chain.Genesis().GasLimit); err != nil {
		return err
	}
	if err := b.pool.Add(tx)[0]; err != nil {
		return err
	}
	if b.onTx != nil {
		b.onTx(tx)
	}
	return nil
}

func (b *rpcBackend) PendingTransaction(h common.Hash) *types.Transaction { return b.pool.Get(h) }
func (b *rpcBackend) PendingNonce(a common.Address) uint64                { return b.pool.PendingNonce(a) }

func (b *rpcBackend) NextBaseFee(context.Context) (*big.Int, error) {
	return b.chain.NextBaseFee(b.chain.Head().Header), nil
}

// SuggestTip returns DefaultTip, or, when the last block was nearly full,
// the median tip it paid plus 10 %.
func (b *rpcBackend) SuggestTip(context.Context) (*big.Int, error) {
	head := b.chain.Head()
	h := head.Header
	if h.GasLimit == 0 || h.GasUsed*10 < h.GasLimit*9 || len(head.Transactions) == 0 {
		return new(big.Int).Set(DefaultTip), nil
	}
	tips := make([]*big.Int, len(head.Transactions))
	for i, tx := range head.Transactions {
		tip := new(big.Int).Sub(tx.GasFeeCap(), h.BaseFee)
		if tip.Cmp(tx.GasTipCap()) > 0 {
			tip.Set(tx.GasTipCap())
		}
		tips[i] = tip
	}
	slices.SortFunc(tips, (*big.Int).Cmp)
	out := new(big.Int).Mul(tips[len(tips)/2], big.NewInt(11))
	out.Quo(out, big.NewInt(10))
	if out.Cmp(DefaultTip) < 0 {
		out.Set(DefaultTip)
	}
	return out, nil
}

// callContext resolves the parts of a call every path needs.
func (b *rpcBackend) callContext(args ethrpc.CallArgs, n uint64) (*state.StateDB, syscontract.BlockInfo, []byte, common.Address, *uint256.Int, error) {
	data, err := args.CallData()
	if err != nil {
		return nil, syscontract.BlockInfo{}, nil, common.Address{}, nil, err
	}
	blk, err := b.chain.BlockByNumber(n)
	if err != nil {
		return nil, syscontract.BlockInfo{}, nil, common.Address{}, nil, notFound(err)
	}
	st, err := b.chain.StateAt(n)
	if err != nil {
		return nil, syscontract.BlockInfo{}, nil, common.Address{}, nil, err
	}
	var from common.Address
	if args.From != nil {
		from = *args.From
	}
	value := new(uint256.Int)
	if args.Value != nil {
		v, overflow := uint256.FromBig(args.Value.ToInt())
		if overflow {
			return nil, syscontract.BlockInfo{}, nil, common.Address{}, nil, errors.New("value does not fit 256 bits")
		}
		value = v
	}
	return st, syscontract.BlockInfoFromHeader(b.ChainID(), blk.Header), data, from, value, nil
}

// Call runs a system contract method read-only. A call to a plain account
// returns nothing, as Ethereum does for an account without code.
func (b *rpcBackend) Call(_ context.Context, args ethrpc.CallArgs, n uint64) ([]byte, error) {
	if args.To == nil {
		return nil, execution.ErrContractCreation
	}
	st, info, data, from, value, err := b.callContext(args, n)
	if err != nil {
		return nil, err
	}
	reg := b.chain.Registry()
	if !reg.IsSystemContract(*args.To) {
		return nil, nil
	}
	gas := info.GasLimit
	if args.Gas != nil {
		gas = uint64(*args.Gas)
	}
	ret, _, err := reg.Call(st, info, from, *args.To, value, data, gas)
	return ret, err
}

// EstimateGas returns the intrinsic gas, plus, for a system contract, what
// the method uses (methods have fixed costs, so one run tells).
func (b *rpcBackend) EstimateGas(_ context.Context, args ethrpc.CallArgs, n uint64) (uint64, error) {
	if args.To == nil {
		return 0, execution.ErrContractCreation
	}
	st, info, data, from, value, err := b.callContext(args, n)
	if err != nil {
		return 0, err
	}
	intrinsic := execution.IntrinsicGas(data)
	reg := b.chain.Registry()
	if !reg.IsSystemContract(*args.To) {
		if len(data) > 0 {
			return 0, fmt.Errorf("%w: %s", execution.ErrCalldataToAccount, args.To)
		}
		if args.From != nil && st.GetBalance(from).Lt(value) {
			return 0, fmt.Errorf("%w: balance %s, value %s", execution.ErrInsufficientFunds, st.GetBalance(from), value)
		}
		return intrinsic, nil
	}
	_, used, err := reg.Call(st, info, from, *args.To, value, data, info.GasLimit-min(intrinsic, info.GasLimit))
	if err != nil {
		return 0, err
	}
	return intrinsic + used, nil
}

func (b *rpcBackend) Syncing(context.Context) (*ethrpc.SyncProgress, error) {
	if b.syncing == nil {
		return nil, nil
	}
	return b.syncing(), nil
}
