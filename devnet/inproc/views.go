package inproc

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// L1Head returns the L1 node's last committed block.
func (r *Rollup) L1Head() block.L1Number { return r.l1.head() }

// L1BlockSeen returns when the harness first saw L1 block n committed
// (within a few milliseconds), if it has.
func (r *Rollup) L1BlockSeen(n block.L1Number) (time.Time, bool) { return r.l1.seenAt(n) }

// View calls a view of the rollup contract (calldata from the contract
// package's Pack functions) on the state after L1 block at (nil: the head).
func (r *Rollup) View(ctx context.Context, calldata []byte, at *block.L1Number) ([]byte, error) {
	ret, err := r.L1.CallContract(ctx, contract.Address, calldata, at)
	if err != nil {
		return nil, fmt.Errorf("rollup contract view: %w", err)
	}
	return ret, nil
}

// LastAccepted returns the contract's last accepted L2 block.
func (r *Rollup) LastAccepted(ctx context.Context, at *block.L1Number) (protocol.Head, error) {
	ret, err := r.View(ctx, contract.PackLastAccepted(), at)
	if err != nil {
		return protocol.Head{}, err
	}
	return contract.UnpackLastAccepted(ret)
}

// BatchCount returns how many batches the contract holds.
func (r *Rollup) BatchCount(ctx context.Context, at *block.L1Number) (uint64, error) {
	ret, err := r.View(ctx, contract.PackBatchCount(), at)
	if err != nil {
		return 0, err
	}
	return contract.UnpackBatchCount(ret)
}

// Batch returns the record of batch i.
func (r *Rollup) Batch(ctx context.Context, i uint64, at *block.L1Number) (contract.BatchInfo, error) {
	ret, err := r.View(ctx, contract.PackBatch(i), at)
	if err != nil {
		return contract.BatchInfo{}, err
	}
	return contract.UnpackBatch(i, ret)
}

// BatchOfBlock returns the index of the batch holding L2 block n; an
// error if no accepted batch holds it.
func (r *Rollup) BatchOfBlock(ctx context.Context, n block.L2Number, at *block.L1Number) (uint64, error) {
	ret, err := r.View(ctx, contract.PackBatchOfBlock(n), at)
	if err != nil {
		return 0, err
	}
	return contract.UnpackBatchOfBlock(ret)
}

// BondOf returns the bond account holds in the contract.
func (r *Rollup) BondOf(ctx context.Context, account common.Address, at *block.L1Number) (*big.Int, error) {
	ret, err := r.View(ctx, contract.PackBondOf(account), at)
	if err != nil {
		return nil, err
	}
	return contract.UnpackBondOf(ret)
}

// FinalizedBlock returns the newest L2 block whose batch is final.
func (r *Rollup) FinalizedBlock(ctx context.Context, at *block.L1Number) (block.L2Number, error) {
	ret, err := r.View(ctx, contract.PackFinalizedBlock(), at)
	if err != nil {
		return 0, err
	}
	return contract.UnpackFinalizedBlock(ret)
}

// DisputeCount returns how many challenges succeeded.
func (r *Rollup) DisputeCount(ctx context.Context, at *block.L1Number) (uint64, error) {
	ret, err := r.View(ctx, contract.PackDisputeCount(), at)
	if err != nil {
		return 0, err
	}
	return contract.UnpackDisputeCount(ret)
}

// Dispute returns the record of successful challenge i.
func (r *Rollup) Dispute(ctx context.Context, i uint64) (contract.Dispute, error) {
	ret, err := r.View(ctx, contract.PackDispute(i), nil)
	if err != nil {
		return contract.Dispute{}, err
	}
	return contract.UnpackDispute(i, ret)
}

// L1Balance returns account's L1 balance after L1 block at (nil: the
// head).
func (r *Rollup) L1Balance(ctx context.Context, account common.Address, at *block.L1Number) (*big.Int, error) {
	b, err := r.L1.BalanceAt(ctx, account, at)
	if err != nil {
		return nil, fmt.Errorf("L1 balance of %s: %w", account, err)
	}
	return b, nil
}

// ChallengedLog is a Challenged log with the transaction that emitted it.
type ChallengedLog struct {
	contract.Challenged
	// TxHash is the challenge's L1 transaction.
	TxHash common.Hash
}

// ChallengedLogs returns the contract's Challenged logs of L1 blocks from
// to to.
func (r *Rollup) ChallengedLogs(ctx context.Context, from, to block.L1Number) ([]ChallengedLog, error) {
	logs, err := r.L1.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(uint64(from)), ToBlock: new(big.Int).SetUint64(uint64(to)),
		Addresses: []common.Address{contract.Address}, Topics: [][]common.Hash{{contract.ChallengedTopic()}}})
	if err != nil {
		return nil, fmt.Errorf("Challenged logs: %w", err)
	}
	out := make([]ChallengedLog, 0, len(logs))
	for i := range logs {
		c, err := contract.ParseChallenged(&logs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, ChallengedLog{Challenged: c, TxHash: logs[i].TxHash})
	}
	return out, nil
}

// BatchAcceptedLogs returns the contract's BatchAccepted logs of L1
// blocks from to to.
func (r *Rollup) BatchAcceptedLogs(ctx context.Context, from, to block.L1Number) ([]contract.BatchAccepted, error) {
	logs, err := r.L1.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(uint64(from)), ToBlock: new(big.Int).SetUint64(uint64(to)),
		Addresses: []common.Address{contract.Address}, Topics: [][]common.Hash{{contract.BatchAcceptedTopic()}}})
	if err != nil {
		return nil, fmt.Errorf("BatchAccepted logs: %w", err)
	}
	out := make([]contract.BatchAccepted, 0, len(logs))
	for i := range logs {
		a, err := contract.ParseBatchAccepted(&logs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
