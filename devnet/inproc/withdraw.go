package inproc

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// Withdrawals and bridge operations as the two layers show them: the L2
// queue's WithdrawalInitiated logs, the L1 bridge's operation and
// WithdrawalPaid logs, the rollup contract's payout views, the
// sequencer's rollup_depositStatus.

// Initiated is a withdrawal as the L2 initiated it: its
// WithdrawalInitiated log.
type Initiated struct {
	block.Withdrawal
	// L2Block and L2BlockHash name the L2 block of the log.
	L2Block     uint64
	L2BlockHash common.Hash
	// TxHash is the L2 transaction that initiated it; zero for a forced
	// withdrawal (a system log).
	TxHash common.Hash
}

// InitiatedWithdrawals returns the WithdrawalInitiated logs of the
// sequencer's L2 blocks from to to, in chain order.
func (r *Rollup) InitiatedWithdrawals(ctx context.Context, from, to uint64) ([]Initiated, error) {
	var out []Initiated
	for lo := from; lo <= to; lo += ethrpc.MaxLogRange {
		hi := min(to, lo+ethrpc.MaxLogRange-1)
		logs, err := r.L2.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(lo), ToBlock: new(big.Int).SetUint64(hi),
			Addresses: []common.Address{withdrawalqueue.Address}, Topics: [][]common.Hash{{withdrawalqueue.InitiatedTopic()}}})
		if err != nil {
			return nil, fmt.Errorf("L2 WithdrawalInitiated logs of blocks %d-%d: %w", lo, hi, err)
		}
		for i := range logs {
			w, err := withdrawalqueue.ParseInitiated(&logs[i])
			if err != nil {
				return nil, fmt.Errorf("L2 block %d: %w", logs[i].BlockNumber, err)
			}
			out = append(out, Initiated{Withdrawal: w, L2Block: logs[i].BlockNumber, L2BlockHash: logs[i].BlockHash, TxHash: logs[i].TxHash})
		}
	}
	return out, nil
}

// WithdrawalPaidLogs returns the bridge's WithdrawalPaid logs of L1
// blocks from to to (the payouts of those blocks' end-of-block hooks).
func (r *Rollup) WithdrawalPaidLogs(ctx context.Context, from, to block.L1Number) ([]bridge.WithdrawalPaid, error) {
	logs, err := r.L1.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(uint64(from)), ToBlock: new(big.Int).SetUint64(uint64(to)),
		Addresses: []common.Address{bridge.Address}, Topics: [][]common.Hash{{bridge.WithdrawalPaidTopic()}}})
	if err != nil {
		return nil, fmt.Errorf("WithdrawalPaid logs: %w", err)
	}
	out := make([]bridge.WithdrawalPaid, 0, len(logs))
	for i := range logs {
		p, err := bridge.ParseWithdrawalPaid(&logs[i])
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// OperationLogs returns the bridge operations (deposits, forced
// withdrawals and forced transfers) that L1 blocks from to to recorded,
// from their logs.
func (r *Rollup) OperationLogs(ctx context.Context, from, to block.L1Number) ([]block.Operation, error) {
	logs, err := r.L1.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(uint64(from)), ToBlock: new(big.Int).SetUint64(uint64(to)),
		Addresses: []common.Address{bridge.Address}})
	if err != nil {
		return nil, fmt.Errorf("bridge logs: %w", err)
	}
	var out []block.Operation
	for i := range logs {
		if logs[i].Topics[0] == bridge.WithdrawalPaidTopic() {
			continue
		}
		op, err := bridge.ParseOperation(&logs[i])
		if err != nil {
			return nil, fmt.Errorf("L1 block %d: %w", logs[i].BlockNumber, err)
		}
		out = append(out, op)
	}
	return out, nil
}

// WithdrawalStatus returns what the rollup contract says of withdrawal
// nonce after L1 block at (nil: the head).
func (r *Rollup) WithdrawalStatus(ctx context.Context, nonce uint64, at *block.L1Number) (contract.WithdrawalInfo, error) {
	ret, err := r.View(ctx, contract.PackWithdrawalStatus(nonce), at)
	if err != nil {
		return contract.WithdrawalInfo{}, err
	}
	return contract.UnpackWithdrawalStatus(nonce, ret)
}

// PaidWithdrawals returns how many withdrawals the L1 has paid after L1
// block at (nil: the head): the nonce of the next one to pay.
func (r *Rollup) PaidWithdrawals(ctx context.Context, at *block.L1Number) (uint64, error) {
	ret, err := r.View(ctx, contract.PackPaidWithdrawals(), at)
	if err != nil {
		return 0, err
	}
	return contract.UnpackPaidWithdrawals(ret)
}

// BridgeTotals returns the bridge's totalDeposited and totalWithdrawn
// after L1 block at (nil: the head).
func (r *Rollup) BridgeTotals(ctx context.Context, at *block.L1Number) (deposited, withdrawn *big.Int, err error) {
	ret, err := r.L1.CallContract(ctx, bridge.Address, bridge.PackTotalDeposited(), at)
	if err != nil {
		return nil, nil, fmt.Errorf("bridge totalDeposited: %w", err)
	}
	if deposited, err = bridge.UnpackTotalDeposited(ret); err != nil {
		return nil, nil, err
	}
	if ret, err = r.L1.CallContract(ctx, bridge.Address, bridge.PackTotalWithdrawn(), at); err != nil {
		return nil, nil, fmt.Errorf("bridge totalWithdrawn: %w", err)
	}
	if withdrawn, err = bridge.UnpackTotalWithdrawn(ret); err != nil {
		return nil, nil, err
	}
	return deposited, withdrawn, nil
}

// DepositStatus asks the sequencer where L1 operation index of L1 block
// l1Block is (rollup_depositStatus).
func (r *Rollup) DepositStatus(ctx context.Context, l1Block block.L1Number, index uint64) (*sequencer.DepositStatus, error) {
	var st sequencer.DepositStatus
	if err := r.L2.Client().CallContext(ctx, &st, "rollup_depositStatus", hexutil.Uint64(l1Block), hexutil.Uint64(index)); err != nil {
		return nil, fmt.Errorf("rollup_depositStatus(%d, %d): %w", l1Block, index, err)
	}
	return &st, nil
}

// WaitWithdrawalsPaid waits up to timeout until the L1 has paid the
// withdrawals with nonces below n, and returns the L1 head it saw them
// paid at.
func (r *Rollup) WaitWithdrawalsPaid(ctx context.Context, n uint64, timeout time.Duration) (block.L1Number, error) {
	var at block.L1Number
	err := within(ctx, timeout, func() error {
		if err := r.Err(); err != nil {
			return err
		}
		at = r.L1Head()
		paid, err := r.PaidWithdrawals(ctx, &at)
		if err != nil {
			return err
		}
		if paid < n {
			fin, _ := r.FinalizedBlock(ctx, &at)
			la, _ := r.LastAccepted(ctx, &at)
			return fmt.Errorf("%d of %d withdrawals paid at L1 block %d (L2 accepted up to %d, final up to %d)", paid, n, at, la.Number, fin)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("wait for %d withdrawals paid: %w", n, err)
	}
	return at, nil
}
