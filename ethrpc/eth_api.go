package ethrpc

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/core/block"
)

// EthAPI is the eth_ namespace.
type EthAPI struct {
	b      Backend
	signer types.Signer
	// heavy bounds the calls that read many blocks, across all clients.
	heavy gate
	// pending learns of the transactions this API admits (nil: none).
	pending *pendingFeed
	// conns holds the work budgets of WebSocket connections (nil: none).
	conns *connBudgets
}

// NewEthAPI returns the eth_ namespace over b.
func NewEthAPI(b Backend) *EthAPI {
	return &EthAPI{b: b, signer: types.LatestSignerForChainID(b.ChainID()), heavy: make(gate, MaxConcurrentHeavy)}
}

// ChainId returns the EIP-155 chain id (eth_chainId).
func (api *EthAPI) ChainId() *hexutil.Big { return (*hexutil.Big)(api.b.ChainID()) }

// BlockNumber returns the latest block height (eth_blockNumber).
func (api *EthAPI) BlockNumber(ctx context.Context) (hexutil.Uint64, error) {
	n, err := api.b.ResolveBlockNumber(ctx, rpc.LatestBlockNumber)
	return hexutil.Uint64(n), err
}

// Syncing returns false when in sync, else the progress (eth_syncing).
func (api *EthAPI) Syncing(ctx context.Context) (any, error) {
	p, err := api.b.Syncing(ctx)
	if err != nil || p == nil {
		return false, err
	}
	return p, nil
}

// Accounts returns no accounts: nodes hold no user keys (eth_accounts).
func (api *EthAPI) Accounts() []common.Address { return []common.Address{} }

// GetBlockByNumber returns a block by height or tag, or null.
func (api *EthAPI) GetBlockByNumber(ctx context.Context, number rpc.BlockNumber, fullTx bool) (map[string]any, error) {
	n, err := api.b.ResolveBlockNumber(ctx, number)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := api.b.BlockByNumber(ctx, n)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return RPCBlock(b, fullTx, api.signer)
}

// GetBlockByHash returns a block by hash, or null.
func (api *EthAPI) GetBlockByHash(ctx context.Context, hash common.Hash, fullTx bool) (map[string]any, error) {
	b, err := api.b.BlockByHash(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return RPCBlock(b, fullTx, api.signer)
}

// GetBlockTransactionCountByNumber returns the number of transactions in a block.
func (api *EthAPI) GetBlockTransactionCountByNumber(ctx context.Context, number rpc.BlockNumber) (*hexutil.Uint, error) {
	n, err := api.b.ResolveBlockNumber(ctx, number)
	if err != nil {
		return nil, nullIfNotFound(err)
	}
	b, err := api.b.BlockByNumber(ctx, n)
	if err != nil {
		return nil, nullIfNotFound(err)
	}
	c := hexutil.Uint(len(b.Transactions))
	return &c, nil
}

// GetBlockTransactionCountByHash returns the number of transactions in a block.
func (api *EthAPI) GetBlockTransactionCountByHash(ctx context.Context, hash common.Hash) (*hexutil.Uint, error) {
	b, err := api.b.BlockByHash(ctx, hash)
	if err != nil {
		return nil, nullIfNotFound(err)
	}
	c := hexutil.Uint(len(b.Transactions))
	return &c, nil
}

func nullIfNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// resolve turns a block number, tag or hash into a height; the default is
// the latest block.
func (api *EthAPI) resolve(ctx context.Context, at *rpc.BlockNumberOrHash) (uint64, error) {
	if at == nil {
		return api.b.ResolveBlockNumber(ctx, rpc.LatestBlockNumber)
	}
	if h, ok := at.Hash(); ok {
		b, err := api.b.BlockByHash(ctx, h)
		if errors.Is(err, ErrNotFound) {
			return 0, fmt.Errorf("block %s not found", h)
		}
		if err != nil {
			return 0, err
		}
		return b.Number(), nil
	}
	n, _ := at.Number()
	height, err := api.b.ResolveBlockNumber(ctx, n)
	if errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("block %s not found", n)
	}
	return height, err
}

// stateAt opens the state after the block a number, tag or hash names.
func (api *EthAPI) stateAt(ctx context.Context, at *rpc.BlockNumberOrHash) (*state.StateDB, error) {
	n, err := api.resolve(ctx, at)
	if err != nil {
		return nil, err
	}
	return api.b.StateAt(ctx, n)
}

// GetBalance returns the balance of an account in wei.
func (api *EthAPI) GetBalance(ctx context.Context, addr common.Address, at *rpc.BlockNumberOrHash) (*hexutil.Big, error) {
	st, err := api.stateAt(ctx, at)
	if err != nil {
		return nil, err
	}
	return (*hexutil.Big)(st.GetBalance(addr).ToBig()), nil
}

// GetTransactionCount returns an account's nonce; with "pending" it counts
// the account's pooled transactions too.
func (api *EthAPI) GetTransactionCount(ctx context.Context, addr common.Address, at *rpc.BlockNumberOrHash) (hexutil.Uint64, error) {
	if at != nil {
		if n, ok := at.Number(); ok && n == rpc.PendingBlockNumber {
			return hexutil.Uint64(api.b.PendingNonce(addr)), nil
		}
	}
	st, err := api.stateAt(ctx, at)
	if err != nil {
		return 0, err
	}
	return hexutil.Uint64(st.GetNonce(addr)), nil
}

// GetCode returns an account's code: a system contract's marker code, or
// nothing.
func (api *EthAPI) GetCode(ctx context.Context, addr common.Address, at *rpc.BlockNumberOrHash) (hexutil.Bytes, error) {
	st, err := api.stateAt(ctx, at)
	if err != nil {
		return nil, err
	}
	return st.GetCode(addr), nil
}

// GetStorageAt returns one storage slot of an account.
func (api *EthAPI) GetStorageAt(ctx context.Context, addr common.Address, slot common.Hash, at *rpc.BlockNumberOrHash) (hexutil.Bytes, error) {
	st, err := api.stateAt(ctx, at)
	if err != nil {
		return nil, err
	}
	v := st.GetState(addr, slot)
	return v[:], nil
}

// Call executes a read-only call, such as a system contract's view method.
func (api *EthAPI) Call(ctx context.Context, args CallArgs, at *rpc.BlockNumberOrHash) (hexutil.Bytes, error) {
	n, err := api.resolve(ctx, at)
	if err != nil {
		return nil, err
	}
	return api.b.Call(ctx, args, n)
}

// EstimateGas returns the gas a transaction needs.
func (api *EthAPI) EstimateGas(ctx context.Context, args CallArgs, at *rpc.BlockNumberOrHash) (hexutil.Uint64, error) {
	n, err := api.resolve(ctx, at)
	if err != nil {
		return 0, err
	}
	g, err := api.b.EstimateGas(ctx, args, n)
	return hexutil.Uint64(g), err
}

// SendRawTransaction decodes a signed transaction, submits it and returns
// its hash.
func (api *EthAPI) SendRawTransaction(ctx context.Context, raw hexutil.Bytes) (common.Hash, error) {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return common.Hash{}, fmt.Errorf("invalid transaction encoding: %w", err)
	}
	if err := api.b.SendTransaction(ctx, tx); err != nil {
		return common.Hash{}, err
	}
	api.pending.announce(tx.Hash())
	return tx.Hash(), nil
}

// GetTransactionByHash returns a committed or pooled transaction, or null.
func (api *EthAPI) GetTransactionByHash(ctx context.Context, hash common.Hash) (map[string]any, error) {
	number, index, err := api.b.TxLocation(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		if tx := api.b.PendingTransaction(hash); tx != nil {
			return RPCTransaction(tx, api.signer, nil)
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := api.b.BlockByNumber(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("block %d of tx %s: %w", number, hash, err)
	}
	if index >= len(b.Transactions) {
		return nil, fmt.Errorf("tx %s: index %d out of range in block %d", hash, index, number)
	}
	return RPCTransaction(b.Transactions[index], api.signer,
		&TxPosition{BlockHash: b.Hash(), BlockNumber: number, Index: uint64(index), BaseFee: b.Header.BaseFee})
}

// GetTransactionReceipt returns a committed transaction's receipt, or null.
func (api *EthAPI) GetTransactionReceipt(ctx context.Context, hash common.Hash) (map[string]any, error) {
	number, index, err := api.b.TxLocation(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := api.b.BlockByNumber(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("block %d of tx %s: %w", number, hash, err)
	}
	receipts, err := api.b.Receipts(ctx, b.Hash())
	if err != nil {
		return nil, fmt.Errorf("receipts of block %d: %w", number, err)
	}
	if index >= len(receipts) || index >= len(b.Transactions) {
		return nil, fmt.Errorf("tx %s: index %d out of range in block %d", hash, index, number)
	}
	return api.receipt(b, receipts, index)
}

// GasPrice returns a gas price that gets a legacy transaction included
// soon: the next block's base fee plus the suggested tip.
func (api *EthAPI) GasPrice(ctx context.Context) (*hexutil.Big, error) {
	tip, err := api.b.SuggestTip(ctx)
	if err != nil {
		return nil, err
	}
	base, err := api.b.NextBaseFee(ctx)
	if err != nil {
		return nil, err
	}
	return (*hexutil.Big)(new(big.Int).Add(tip, base)), nil
}

// MaxPriorityFeePerGas returns the suggested tip.
func (api *EthAPI) MaxPriorityFeePerGas(ctx context.Context) (*hexutil.Big, error) {
	tip, err := api.b.SuggestTip(ctx)
	return (*hexutil.Big)(tip), err
}

// receipt renders receipt index of block b, with a ReceiptExtender
// backend's extra fields.
func (api *EthAPI) receipt(b *block.Block, receipts types.Receipts, index int) (map[string]any, error) {
	fields, err := RPCReceipt(receipts[index], b.Transactions[index], api.signer)
	if err != nil {
		return nil, err
	}
	if ext, ok := api.b.(ReceiptExtender); ok {
		extra, err := ext.ReceiptFields(b, index)
		if err != nil {
			return nil, fmt.Errorf("receipt %d of block %d: %w", index, b.Number(), err)
		}
		maps.Copy(fields, extra)
	}
	return fields, nil
}
