package ethrpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/core/block"
)

// blockAt returns the block a number, tag or hash names, or nil when there
// is none.
func (api *EthAPI) blockAt(ctx context.Context, at rpc.BlockNumberOrHash) (*block.Block, error) {
	var b *block.Block
	var err error
	if h, ok := at.Hash(); ok {
		b, err = api.b.BlockByHash(ctx, h)
	} else {
		n, _ := at.Number()
		var height uint64
		if height, err = api.b.ResolveBlockNumber(ctx, n); err == nil {
			b, err = api.b.BlockByNumber(ctx, height)
		}
	}
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return b, err
}

// GetBlockReceipts returns the receipts of every transaction of a block,
// each as eth_getTransactionReceipt renders it, or null for an unknown
// block (eth_getBlockReceipts).
func (api *EthAPI) GetBlockReceipts(ctx context.Context, at rpc.BlockNumberOrHash) ([]map[string]any, error) {
	release, err := api.heavy.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	w := api.newWork(ctx)
	if err := w.charge(1); err != nil {
		return nil, err
	}
	b, err := api.blockAt(ctx, at)
	if err != nil || b == nil {
		return nil, err
	}
	receipts, err := api.receipts(ctx, w, b)
	if err != nil {
		return nil, err
	}
	if len(receipts) != len(b.Transactions) {
		return nil, fmt.Errorf("block %d has %d receipts for %d transactions", b.Number(), len(receipts), len(b.Transactions))
	}
	out := make([]map[string]any, len(receipts))
	for i := range receipts {
		if out[i], err = api.receipt(b, receipts, i); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// uncleCount is 0 for a block that exists (blocks have no uncles), null
// otherwise.
func (api *EthAPI) uncleCount(ctx context.Context, at rpc.BlockNumberOrHash) (*hexutil.Uint, error) {
	b, err := api.blockAt(ctx, at)
	if err != nil || b == nil {
		return nil, err
	}
	zero := hexutil.Uint(0)
	return &zero, nil
}

// GetUncleCountByBlockNumber returns 0 (no block has uncles), or null for
// an unknown block (eth_getUncleCountByBlockNumber).
func (api *EthAPI) GetUncleCountByBlockNumber(ctx context.Context, n rpc.BlockNumber) (*hexutil.Uint, error) {
	return api.uncleCount(ctx, rpc.BlockNumberOrHashWithNumber(n))
}

// GetUncleCountByBlockHash returns 0 (no block has uncles), or null for
// an unknown block (eth_getUncleCountByBlockHash).
func (api *EthAPI) GetUncleCountByBlockHash(ctx context.Context, h common.Hash) (*hexutil.Uint, error) {
	return api.uncleCount(ctx, rpc.BlockNumberOrHashWithHash(h, false))
}

// GetUncleByBlockNumberAndIndex returns null: blocks have no uncles
// (eth_getUncleByBlockNumberAndIndex).
func (api *EthAPI) GetUncleByBlockNumberAndIndex(rpc.BlockNumber, hexutil.Uint) map[string]any {
	return nil
}

// GetUncleByBlockHashAndIndex returns null: blocks have no uncles
// (eth_getUncleByBlockHashAndIndex).
func (api *EthAPI) GetUncleByBlockHashAndIndex(common.Hash, hexutil.Uint) map[string]any {
	return nil
}

// txInBlock renders transaction index of the block at, or null.
func (api *EthAPI) txInBlock(ctx context.Context, at rpc.BlockNumberOrHash, index hexutil.Uint) (map[string]any, error) {
	b, err := api.blockAt(ctx, at)
	if err != nil || b == nil || int(index) >= len(b.Transactions) {
		return nil, err
	}
	return RPCTransaction(b.Transactions[index], api.signer,
		&TxPosition{BlockHash: b.Hash(), BlockNumber: b.Number(), Index: uint64(index), BaseFee: b.Header.BaseFee})
}

// GetTransactionByBlockNumberAndIndex returns a block's transaction by
// position, or null (eth_getTransactionByBlockNumberAndIndex).
func (api *EthAPI) GetTransactionByBlockNumberAndIndex(ctx context.Context, n rpc.BlockNumber, index hexutil.Uint) (map[string]any, error) {
	return api.txInBlock(ctx, rpc.BlockNumberOrHashWithNumber(n), index)
}

// GetTransactionByBlockHashAndIndex returns a block's transaction by
// position, or null (eth_getTransactionByBlockHashAndIndex; ethclient's
// TransactionInBlock).
func (api *EthAPI) GetTransactionByBlockHashAndIndex(ctx context.Context, h common.Hash, index hexutil.Uint) (map[string]any, error) {
	return api.txInBlock(ctx, rpc.BlockNumberOrHashWithHash(h, false), index)
}
