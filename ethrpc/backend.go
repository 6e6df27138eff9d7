package ethrpc

import (
	"context"
	"errors"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// ErrNotFound is returned by a Backend for a block, transaction or receipt
// it does not have. The API renders it as JSON null where Ethereum does.
var ErrNotFound = errors.New("not found")

// SystemLogsBackend is a Backend whose blocks also have logs no receipt
// holds (system contracts' end-of-block hooks, an L2 block's forced
// operations): eth_getLogs returns them after the receipts' logs, with
// the zero transaction hash and transaction index len(transactions).
type SystemLogsBackend interface {
	// SystemLogs returns the block's system logs, positioned after the
	// receipts' logs (receipts are the block's).
	SystemLogs(ctx context.Context, blockHash common.Hash, receipts types.Receipts) ([]*types.Log, error)
}

// Backend is what the Ethereum API needs from a chain.
type Backend interface {
	// ChainID returns the EIP-155 chain id.
	ChainID() *big.Int
	// ClientVersion returns the web3_clientVersion string.
	ClientVersion() string
	// PeerCount returns the number of connected peers.
	PeerCount() int
	// ResolveBlockNumber maps a block number or tag (latest, safe,
	// finalized, pending, earliest) to a height the Backend has.
	ResolveBlockNumber(ctx context.Context, n rpc.BlockNumber) (uint64, error)
	// BlockByNumber returns the block at height n or ErrNotFound.
	BlockByNumber(ctx context.Context, n uint64) (*block.Block, error)
	// BlockByHash returns the block with hash h or ErrNotFound.
	BlockByHash(ctx context.Context, h common.Hash) (*block.Block, error)
	// Receipts returns the receipts of a block, with every derived field
	// (block hash and number, tx hash and index, log indexes) filled.
	Receipts(ctx context.Context, blockHash common.Hash) (types.Receipts, error)
	// TxLocation returns where a committed transaction is, or ErrNotFound.
	TxLocation(ctx context.Context, txHash common.Hash) (blockNumber uint64, index int, err error)
	// StateAt returns a read-only view of the state after block n. The
	// caller must not commit it.
	StateAt(ctx context.Context, n uint64) (*state.StateDB, error)
	// SendTransaction validates tx and adds it to the pool, or returns an
	// error that tells the user what is wrong with it.
	SendTransaction(ctx context.Context, tx *types.Transaction) error
	// PendingTransaction returns a pooled transaction, or nil.
	PendingTransaction(hash common.Hash) *types.Transaction
	// PendingNonce returns the next nonce for addr counting pooled
	// transactions.
	PendingNonce(addr common.Address) uint64
	// NextBaseFee returns the base fee of the next block.
	NextBaseFee(ctx context.Context) (*big.Int, error)
	// SuggestTip returns the priority fee per gas a transaction should pay
	// to be included soon.
	SuggestTip(ctx context.Context) (*big.Int, error)
	// Call executes a read-only call on the state after block n.
	Call(ctx context.Context, args CallArgs, n uint64) ([]byte, error)
	// EstimateGas returns the gas a transaction with args needs on top of
	// the state after block n.
	EstimateGas(ctx context.Context, args CallArgs, n uint64) (uint64, error)
	// Syncing returns the sync progress, or nil when the node is in sync.
	Syncing(ctx context.Context) (*SyncProgress, error)
}

// CallArgs are the arguments of eth_call and eth_estimateGas.
type CallArgs struct {
	From                 *common.Address `json:"from"`
	To                   *common.Address `json:"to"`
	Gas                  *hexutil.Uint64 `json:"gas"`
	GasPrice             *hexutil.Big    `json:"gasPrice"`
	MaxFeePerGas         *hexutil.Big    `json:"maxFeePerGas"`
	MaxPriorityFeePerGas *hexutil.Big    `json:"maxPriorityFeePerGas"`
	Value                *hexutil.Big    `json:"value"`
	Nonce                *hexutil.Uint64 `json:"nonce"`
	// Data and Input are synonyms; Input wins when both are set and equal,
	// and setting both to different values is an error.
	Data  *hexutil.Bytes `json:"data"`
	Input *hexutil.Bytes `json:"input"`
}

// CallData returns the call's input bytes.
func (a *CallArgs) CallData() ([]byte, error) {
	if a.Input != nil && a.Data != nil && string(*a.Input) != string(*a.Data) {
		return nil, errors.New(`both "data" and "input" are set and differ; use "input"`)
	}
	if a.Input != nil {
		return *a.Input, nil
	}
	if a.Data != nil {
		return *a.Data, nil
	}
	return nil, nil
}

// SyncProgress is the eth_syncing result while a node catches up.
type SyncProgress struct {
	StartingBlock hexutil.Uint64 `json:"startingBlock"`
	CurrentBlock  hexutil.Uint64 `json:"currentBlock"`
	HighestBlock  hexutil.Uint64 `json:"highestBlock"`
}
