package sequencer

import (
	"context"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// OwnPosting is an optional extension of RollupL1: where the sequencer's
// own posting ends on the L1. The batcher uses it when the L1's last
// accepted block is not on the own chain and it does not remember its
// last safe head (after a restart). RPCRollup implements it.
type OwnPosting interface {
	// LastOwnBlock returns the last L2 block of the newest accepted batch
	// this sequencer posted (0, the L2 genesis, if none stands), and false
	// if it cannot tell.
	LastOwnBlock(ctx context.Context) (block.L2Number, bool, error)
}

// maxOwnBatchScan bounds how many accepted batches LastOwnBlock reads,
// newest first, to find the sequencer's own.
const maxOwnBatchScan = 256

var _ OwnPosting = (*RPCRollup)(nil)

// LastOwnBlock reads the accepted batches, newest first, up to
// maxOwnBatchScan, and returns the last block of the newest one whose
// poster is the sender (a record naming no poster was the sequencer's).
func (r *RPCRollup) LastOwnBlock(ctx context.Context) (block.L2Number, bool, error) {
	ret, err := r.view(ctx, contract.PackBatchCount())
	if err != nil {
		return 0, false, fmt.Errorf("rollup contract batchCount: %w", err)
	}
	count, err := contract.UnpackBatchCount(ret)
	if err != nil {
		return 0, false, err
	}
	for i := count; i > 0 && count-i < maxOwnBatchScan; i-- {
		ret, err := r.view(ctx, contract.PackBatch(i-1))
		if err != nil {
			return 0, false, fmt.Errorf("rollup contract batch(%d): %w", i-1, err)
		}
		b, err := contract.UnpackBatch(i-1, ret)
		if err != nil {
			return 0, false, err
		}
		if b.Poster == r.Sender.Address() || b.Poster == (common.Address{}) {
			return b.LastBlock(), true, nil
		}
	}
	return 0, count <= maxOwnBatchScan, nil
}

// followL1 is called when the L1's last accepted block la is not on the
// own chain. If the L1 went on past the sequencer's own posting (a
// fallback proposer posted the deposit-only blocks of expired origins
// while the sequencer was silent), it re-sequences the own unposted
// blocks after the last own posted block as resequenceExpired does after
// la: the first one whose origin expired and that is not in the
// deposit-only form is rewound, its transactions return to the pool, and
// the producer makes the deposit-only blocks derivation made, which are
// the ones the L1 holds. It reports whether it rewound the chain.
func (s *Sequencer) followL1(ctx context.Context, rl RollupL1, la protocol.Head, l1Head block.L1Number) (bool, error) {
	base, ok, err := s.ownPostedBase(ctx, rl)
	if err != nil || !ok {
		return false, err
	}
	head := s.chain.Head()
	if base >= la.Number || uint64(base) > head.Number() {
		return false, nil // the L1 holds nothing after the own posting that the own chain lacks
	}
	if err := s.resequenceExpired(ctx, protocol.Head{Number: base}, l1Head); err != nil {
		return false, fmt.Errorf("follow the L1's blocks after own L2 block %d: %w", base, err)
	}
	if s.chain.Head().Hash() == head.Hash() {
		return false, nil
	}
	s.log.Warn("The L1 holds L2 blocks this sequencer did not post (a fallback proposer's, while it was silent): following them",
		"ownPostedUpTo", base, "l1AcceptedUpTo", la.Number, "rewoundTo", s.chain.Head().Number())
	return true, nil
}

// ownPostedBase returns the last own block known to be on the L1's chain:
// the later of the safe head the batcher last checked (if the own chain
// still holds it) and the last block of the newest own batch on the L1
// (OwnPosting; after a restart the only one known, and the right one if
// own batches landed after the last check).
func (s *Sequencer) ownPostedBase(ctx context.Context, rl RollupL1) (block.L2Number, bool, error) {
	s.mu.Lock()
	safe := s.heads.safe
	s.mu.Unlock()
	var base block.L2Number
	found := false
	if own, err := s.chain.BlockByNumber(safe.Number); err == nil && own.Hash() == safe.Hash {
		base, found = safe.Number, true
	}
	if op, ok := rl.(OwnPosting); ok {
		n, ok, err := op.LastOwnBlock(ctx)
		if err != nil {
			return 0, false, err
		}
		if ok && (!found || n > base) {
			base, found = n, true
		}
	}
	return base, found, nil
}
