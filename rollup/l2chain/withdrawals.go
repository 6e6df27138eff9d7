package l2chain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/store"
)

// outcome is what an L2 block's execution yields beyond its receipts, as
// stored (absent: no withdrawal, no failed operation): the withdrawals
// its output commits to, and the L1 operations recorded as failed.
type outcome struct {
	Withdrawals []block.Withdrawal
	Failed      []failedOperation
}

// failedOperation is an L1 operation the block recorded as failed.
type failedOperation struct {
	L1Block uint64
	Index   uint64
	Reason  string
}

// writeOutcome queues the outcome of block hash (nothing when it has
// neither withdrawals nor failed operations).
func writeOutcome(w store.Writer, hash common.Hash, res *execution.Result) error {
	var o outcome
	o.Withdrawals = res.Withdrawals
	for _, op := range res.Operations {
		if op.Err != nil {
			o.Failed = append(o.Failed, failedOperation{L1Block: uint64(op.ID.L1Block), Index: op.ID.Index, Reason: op.Err.Error()})
		}
	}
	if len(o.Withdrawals) == 0 && len(o.Failed) == 0 {
		return nil
	}
	enc, err := rlp.EncodeToBytes(&o)
	if err != nil {
		return fmt.Errorf("encode block outcome: %w", err)
	}
	if err := w.Put(store.WithdrawalsKey(hash), enc); err != nil {
		return fmt.Errorf("write block outcome: %w", err)
	}
	return nil
}

func (c *Chain) outcome(b *block.Block) (*outcome, error) {
	enc, err := c.db.Get(store.WithdrawalsKey(b.Hash()))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &outcome{}, nil
	case err != nil:
		return nil, fmt.Errorf("read the outcome of L2 block %d: %w", b.Number(), err)
	}
	var o outcome
	if err := rlp.DecodeBytes(enc, &o); err != nil {
		return nil, fmt.Errorf("decode the outcome of L2 block %d: %w", b.Number(), err)
	}
	return &o, nil
}

// Withdrawals returns the withdrawals block b initiated, in nonce order
// (its forced withdrawals, then its transactions'): the list its output's
// withdrawals root commits to and its batch carries.
func (c *Chain) Withdrawals(b *block.Block) ([]block.Withdrawal, error) {
	o, err := c.outcome(b)
	if err != nil {
		return nil, err
	}
	return o.Withdrawals, nil
}

// FailedOperations returns why block b recorded L1 operations as failed
// (a forced operation its sender's L2 balance could not cover), by
// operation; the others were applied.
func (c *Chain) FailedOperations(b *block.Block) (map[block.OperationID]string, error) {
	o, err := c.outcome(b)
	if err != nil {
		return nil, err
	}
	out := make(map[block.OperationID]string, len(o.Failed))
	for _, f := range o.Failed {
		out[block.OperationID{L1Block: block.L1Number(f.L1Block), Index: f.Index}] = f.Reason
	}
	return out, nil
}
