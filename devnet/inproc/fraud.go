package inproc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/challenger"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// Transfer sends wei on the L2 from Users[from] to to, through the
// sequencer's RPC, and waits up to 30 s for its successful receipt.
func (r *Rollup) Transfer(ctx context.Context, from int, to common.Address, wei *big.Int) (*types.Receipt, error) {
	u := r.Users[from]
	nonce, err := r.L2.PendingNonceAt(ctx, u.Address)
	if err != nil {
		return nil, fmt.Errorf("L2 nonce of %s: %w", u.Address, err)
	}
	head, err := r.L2.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("L2 head: %w", err)
	}
	tip, err := r.L2.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("L2 tip: %w", err)
	}
	chainID := new(big.Int).SetUint64(r.Config.L2ChainID)
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	tx, err := types.SignNewTx(u.Key, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{ChainID: chainID, Nonce: nonce,
		GasTipCap: tip, GasFeeCap: feeCap, Gas: 21_000, To: &to, Value: wei})
	if err != nil {
		return nil, fmt.Errorf("sign an L2 transfer: %w", err)
	}
	if err := r.L2.SendTransaction(ctx, tx); err != nil {
		return nil, fmt.Errorf("send L2 transfer %s: %w", tx.Hash(), err)
	}
	var rc *types.Receipt
	if err := within(ctx, 30*time.Second, func() error {
		var err error
		if rc, err = r.L2.TransactionReceipt(ctx, tx.Hash()); err != nil {
			return fmt.Errorf("receipt of L2 transfer %s: %w", tx.Hash(), err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if rc.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("L2 transfer %s failed in block %d", tx.Hash(), rc.BlockNumber)
	}
	return rc, nil
}

// Recipient returns the i-th transfer recipient: an address no one holds
// a key of, empty on both chains.
func Recipient(i int) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte("inproc recipient"), binary.BigEndian.AppendUint64(nil, uint64(i))))
}

// maxTransfers bounds the transfers PostWrongOutput sends.
const maxTransfers = 64

// PostWrongOutput sends transfers L2 transfers one at a time (each waits
// for its receipt), then starts the batcher with a wrong output of the
// given kind for the block after blocks past the last transfer's (0: that
// block, which is at least 2: the transfers go on until one lands past
// block 1). It returns the switch and the transfers' receipts.
func (r *Rollup) PostWrongOutput(ctx context.Context, transfers int, kind sequencer.BadOutputKind, after block.L2Number) (BadOutput, []*types.Receipt, error) {
	var rcs []*types.Receipt
	for i := 0; i < maxTransfers && (i < transfers || len(rcs) == 0 || rcs[len(rcs)-1].BlockNumber.Uint64() < 2); i++ {
		rc, err := r.Transfer(ctx, i%len(r.Users), Recipient(i), big.NewInt(1e15+int64(i)))
		if err != nil {
			return BadOutput{}, rcs, err
		}
		rcs = append(rcs, rc)
	}
	last := rcs[len(rcs)-1].BlockNumber.Uint64()
	if last < 2 {
		return BadOutput{}, rcs, fmt.Errorf("%d transfers all landed in L2 block 1", len(rcs))
	}
	bad := BadOutput{At: block.L2Number(last) + after, Kind: kind}
	return bad, rcs, r.StartBatcher(bad)
}

// Disputed returns the L2 block whose output a challenge against bad
// proves wrong: the first wrong output, which for a right state root on a
// wrong parent is the parent's.
func Disputed(bad BadOutput) block.L2Number {
	if bad.Kind == sequencer.BadWrongParent {
		return bad.At - 1
	}
	return bad.At
}

// WaitDispute waits, up to timeout, for the first successful challenge
// and returns its record.
func (r *Rollup) WaitDispute(ctx context.Context, timeout time.Duration) (contract.Dispute, error) {
	if err := within(ctx, timeout, func() error {
		if err := r.Err(); err != nil {
			return err
		}
		n, err := r.DisputeCount(ctx, nil)
		if err != nil {
			return err
		}
		if n == 0 {
			la, err := r.LastAccepted(ctx, nil)
			return fmt.Errorf("no dispute yet (the contract accepts up to L2 block %d, %v; L1 head %d)", la.Number, err, r.L1Head())
		}
		return nil
	}); err != nil {
		return contract.Dispute{}, fmt.Errorf("wait for a dispute: %w", err)
	}
	return r.Dispute(ctx, 0)
}

// Rollback is how long a wrong output stood on the L1: from the L1 block
// that accepted the batch a challenge proved wrong to the L1 block of the
// challenge, which deleted it.
type Rollback struct {
	// Dispute is the challenge's record.
	Dispute contract.Dispute
	// Accepted is the acceptance of the disputed batch.
	Accepted contract.BatchAccepted
	// Blocks is how many L1 blocks the challenge came after the
	// acceptance.
	Blocks uint64
	// Took is the time between the harness first seeing the two L1
	// blocks committed.
	Took time.Duration
}

// RollbackOf measures the rollback of dispute d.
func (r *Rollup) RollbackOf(ctx context.Context, d contract.Dispute) (Rollback, error) {
	accepted, err := r.BatchAcceptedLogs(ctx, 0, d.L1Block)
	if err != nil {
		return Rollback{}, err
	}
	rb := Rollback{Dispute: d}
	found := false
	for _, a := range accepted {
		if a.Index == d.BatchIndex && a.L1Block < d.L1Block && a.FirstBlock <= d.L2Block && d.L2Block <= a.LastBlock {
			rb.Accepted, found = a, true // the last such is the disputed one
		}
	}
	if !found {
		return Rollback{}, fmt.Errorf("no BatchAccepted of batch %d holding L2 block %d before L1 block %d", d.BatchIndex, d.L2Block, d.L1Block)
	}
	// The clock notes a block a few milliseconds after its commit, maybe
	// after a client read it.
	var t0, t1 time.Time
	if err := within(ctx, 5*time.Second, func() error {
		var ok0, ok1 bool
		t0, ok0 = r.L1BlockSeen(rb.Accepted.L1Block)
		t1, ok1 = r.L1BlockSeen(d.L1Block)
		if !ok0 || !ok1 {
			return fmt.Errorf("the harness has not seen L1 blocks %d and %d committed", rb.Accepted.L1Block, d.L1Block)
		}
		return nil
	}); err != nil {
		return Rollback{}, err
	}
	rb.Blocks = uint64(d.L1Block - rb.Accepted.L1Block)
	rb.Took = t1.Sub(t0)
	return rb, nil
}

// MeasureRollback runs the fraud scenario once on a rollup of its own
// (options o): three L2 transfers, a wrong output of the given kind for
// the last one's block, the challenger's proof; it returns how long the
// wrong batch stood. The rollup is closed before it returns.
func MeasureRollback(ctx context.Context, o Options, kind sequencer.BadOutputKind) (rb Rollback, err error) {
	r, err := Start(ctx, o)
	if err != nil {
		return Rollback{}, err
	}
	defer func() {
		if cerr := r.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	bad, _, err := r.PostWrongOutput(ctx, 3, kind, 0)
	if err != nil {
		return Rollback{}, err
	}
	// The window in time, and as much again for the batch to be posted.
	timeout := 2*time.Duration(r.Config.ChallengeWindow)*r.Config.L1BlockTime + 30*time.Second
	d, err := r.WaitDispute(ctx, timeout)
	if err != nil {
		return Rollback{}, err
	}
	if want := Disputed(bad); d.L2Block != want {
		return Rollback{}, fmt.Errorf("the challenge proved L2 block %d wrong, the switch falsified %d", d.L2Block, want)
	}
	return r.RollbackOf(ctx, d)
}

// heldL1 is the agent's L1 with its challenges held until a batch after
// the disputed one is accepted (Options.HoldChallenge), or until three L1
// blocks before the window closes.
type heldL1 struct {
	challenger.L1
	r *Rollup
}

// Challenge waits, then sends the challenge.
func (h *heldL1) Challenge(ctx context.Context, n block.L2Number, proof []byte) (*types.Receipt, error) {
	r := h.r
	idx, err := r.BatchOfBlock(ctx, n, nil)
	if err != nil {
		return nil, fmt.Errorf("hold the challenge of L2 block %d: %w", n, err)
	}
	b, err := r.Batch(ctx, idx, nil)
	if err != nil {
		return nil, fmt.Errorf("hold the challenge of L2 block %d: %w", n, err)
	}
	w := r.Config.ChallengeWindow
	last := b.L1Block + block.L1Number(max(w, 3)-3)
	log := r.log.With("module", "challenger", "part", "hold")
	log.Info("Holding the challenge until a later batch is accepted (test switch)", "l2Block", n, "batch", idx, "untilL1", last)
	err = within(ctx, 2*time.Duration(w+1)*r.Config.L1BlockTime, func() error {
		count, err := r.BatchCount(ctx, nil)
		if err != nil {
			return err
		}
		if head := r.L1Head(); count <= idx+1 && head < last {
			return fmt.Errorf("%d batches, L1 head %d", count, head)
		}
		return nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Warn("Held challenge: no later batch; sending it anyway", "err", err)
	} else if err != nil {
		return nil, err
	}
	return h.L1.Challenge(ctx, n, proof)
}
