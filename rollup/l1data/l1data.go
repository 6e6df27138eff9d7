// Package l1data reads what derivation needs from the L1 over JSON-RPC:
// each L1 block's reference and time, the operations the bridge recorded
// in it, and the batches the rollup contract accepted in it (their data
// taken from the accepting transactions' calldata). The sequencer (its
// safe head, its recovery) and the challenger derive from it; tests give
// derivation an in-memory L1 instead.
package l1data

import (
	"context"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/derive"
	"github.com/bilayer/bilayer/rollup/l1"
)

// Reader builds derive.L1Blocks from an L1 node's JSON-RPC.
type Reader struct {
	client *l1.Client
	limits batch.Limits
}

// New returns a Reader over client, decoding batches within limits (the
// contract decoded them with the same limits before accepting them).
func New(client *l1.Client, limits batch.Limits) *Reader {
	return &Reader{client: client, limits: limits}
}

// HeadNumber returns the newest L1 block.
func (r *Reader) HeadNumber(ctx context.Context) (block.L1Number, error) {
	return r.client.HeadNumber(ctx)
}

// L1Block reads L1 block n as derivation sees it.
func (r *Reader) L1Block(ctx context.Context, n block.L1Number) (*derive.L1Block, error) {
	ref, err := r.client.BlockRef(ctx, n)
	if err != nil {
		return nil, err
	}
	ret, err := r.client.CallContract(ctx, bridge.Address, bridge.PackOperationsCall(n), &n)
	if err != nil {
		return nil, fmt.Errorf("bridge operations of L1 block %d: %w", n, err)
	}
	ops, err := bridge.UnpackOperations(ret)
	if err != nil {
		return nil, fmt.Errorf("bridge operations of L1 block %d: %w", n, err)
	}
	batches, err := r.acceptedBatches(ctx, n, ref.Hash)
	if err != nil {
		return nil, err
	}
	rollbacks, err := r.rollbacks(ctx, n, ref.Hash)
	if err != nil {
		return nil, err
	}
	return &derive.L1Block{Ref: ref.L1Ref, Time: ref.Time, Operations: ops, Batches: batches, Rollbacks: rollbacks}, nil
}

// rollbacks reads the successful challenges of block n (Challenged logs):
// each deleted the outputs from its block on.
func (r *Reader) rollbacks(ctx context.Context, n block.L1Number, hash common.Hash) ([]derive.Rollback, error) {
	logs, err := r.client.FilterLogs(ctx, ethereum.FilterQuery{BlockHash: &hash, Addresses: []common.Address{contract.Address},
		Topics: [][]common.Hash{{contract.ChallengedTopic()}}})
	if err != nil {
		return nil, fmt.Errorf("challenges of L1 block %d: %w", n, err)
	}
	out := make([]derive.Rollback, 0, len(logs))
	for i := range logs {
		ev, err := contract.ParseChallenged(&logs[i])
		if err != nil {
			return nil, fmt.Errorf("L1 block %d log %d: %w", n, logs[i].Index, err)
		}
		out = append(out, derive.Rollback{TxIndex: ev.TxIndex, To: ev.L2Block - 1})
	}
	return out, nil
}

// acceptedBatches finds the contract's BatchAccepted logs of block n and
// decodes each accepted batch from its transaction's calldata.
func (r *Reader) acceptedBatches(ctx context.Context, n block.L1Number, hash common.Hash) ([]derive.AcceptedBatch, error) {
	logs, err := r.client.FilterLogs(ctx, ethereum.FilterQuery{BlockHash: &hash, Addresses: []common.Address{contract.Address},
		Topics: [][]common.Hash{{contract.BatchAcceptedTopic()}}})
	if err != nil {
		return nil, fmt.Errorf("accepted batches of L1 block %d: %w", n, err)
	}
	if len(logs) == 0 {
		return nil, nil
	}
	blk, err := r.block(ctx, n)
	if err != nil {
		return nil, err
	}
	out := make([]derive.AcceptedBatch, 0, len(logs))
	for i := range logs {
		lg := &logs[i]
		ev, err := contract.ParseBatchAccepted(lg)
		if err != nil {
			return nil, fmt.Errorf("L1 block %d log %d: %w", n, lg.Index, err)
		}
		if int(lg.TxIndex) >= len(blk.Transactions()) {
			return nil, fmt.Errorf("L1 block %d: BatchAccepted log of tx %d, the block has %d", n, lg.TxIndex, len(blk.Transactions()))
		}
		tx := blk.Transactions()[lg.TxIndex]
		data, err := contract.UnpackSubmitBatchInput(tx.Data())
		if err != nil {
			return nil, fmt.Errorf("L1 block %d tx %s: %w", n, tx.Hash(), err)
		}
		b, err := batch.Decode(data, r.limits)
		if err != nil {
			return nil, fmt.Errorf("L1 block %d: batch %d, accepted by the contract, does not decode: %w", n, ev.Index, err)
		}
		out = append(out, derive.AcceptedBatch{Index: ev.Index, TxIndex: lg.TxIndex, Batch: b})
	}
	return out, nil
}

// block reads L1 block n with its transactions (ethclient rebuilds the
// header from JSON and hashes it itself: our L1 headers are go-ethereum's).
func (r *Reader) block(ctx context.Context, n block.L1Number) (*types.Block, error) {
	b, err := ethclient.NewClient(r.client.RPC()).BlockByNumber(ctx, new(big.Int).SetUint64(uint64(n)))
	if err != nil {
		return nil, fmt.Errorf("L1 block %d with transactions: %w", n, err)
	}
	return b, nil
}
