package sequencer

import (
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/l2chain"
)

// L1Block is an L1 block as the sequencer sees it: its reference, its
// timestamp and the bridge operations it recorded.
type L1Block struct {
	Ref        block.L1Ref
	Time       uint64
	Operations []block.Operation
}

// PlanInput is what the sequencer knows when it considers its next block.
type PlanInput struct {
	// ParentTime is the L2 head's timestamp.
	ParentTime uint64
	// ParentOrigin is the L2 head's L1 origin and OriginTime its time.
	ParentOrigin block.L1Ref
	OriginTime   uint64
	// Next is the L1 block after ParentOrigin, or nil if the sequencer
	// has not seen it (yet).
	Next *L1Block
	// L1Head is the newest L1 block the sequencer has seen.
	L1Head block.L1Number
	// Now is the wall clock in Unix seconds.
	Now uint64
	// MaxOriginLag is how far the origin may trail the L1 head.
	MaxOriginLag uint64
	// SequencingWindow is the rollup's S (0: origins never expire) and
	// InclusionMargin the L1 blocks a batch may take to land: origin X is
	// closed once X + S ≤ L1Head + InclusionMargin.
	SequencingWindow uint64
	InclusionMargin  uint64
}

// Plan is the decision for the next L2 block.
type Plan struct {
	// Attributes are the next block's inputs.
	Attributes l2chain.Attributes
	// Advance says the block moves its origin to the next L1 block.
	Advance bool
	// Forced says a block is due now even without transactions: its new
	// origin carries L1 operations (deposits wait for no one), or the
	// origin trails the L1 head by more than the allowed lag, or its window
	// closed, or it leaves the L1 genesis (the L2's first block).
	Forced bool
	// DepositOnly says the block must have no transactions: its origin's
	// sequencing window closed, and the L1 accepts it only in the
	// deposit-only form derivation would make.
	DepositOnly bool
	// Wait says no block may be made now: the parent's origin closed and
	// the next L1 block is not known yet.
	Wait bool
}

// NextBlock decides the origin and time of the next L2 block (DESIGN §6):
// the time is the wall clock's whole second, never before the parent's;
// the origin advances by one L1 block whenever that block is known and not
// newer than the block's time, so deposits reach L2 as soon as possible.
// It is pure: the caller brings the clock and the L1 view.
//
// Once the sequencing window of an origin closed (the batch would land
// too late), the rollup contract and derivation accept exactly one
// deposit-only block for it, timed max(parent, origin): so a closed next
// origin gets that block at once, and a closed parent origin must be left
// before transactions go on.
func NextBlock(in PlanInput) Plan {
	t := max(in.Now, in.ParentTime)
	p := Plan{Attributes: l2chain.Attributes{Time: t, Origin: in.ParentOrigin, OriginTime: in.OriginTime}}
	closed := func(x block.L1Number) bool {
		return in.SequencingWindow > 0 && uint64(x)+in.SequencingWindow <= uint64(in.L1Head)+in.InclusionMargin
	}
	next := in.Next
	if next != nil && next.Ref.Number != in.ParentOrigin.Number+1 {
		next = nil
	}
	switch {
	case next != nil && closed(next.Ref.Number):
		p.Attributes = l2chain.Attributes{Time: max(in.ParentTime, next.Time), Origin: next.Ref, OriginTime: next.Time,
			Operations: next.Operations}
		p.Advance, p.Forced, p.DepositOnly = true, true, true
		return p
	case closed(in.ParentOrigin.Number) && next == nil:
		p.Wait = true
		return p
	case closed(in.ParentOrigin.Number):
		t = max(t, next.Time)
		p.Attributes.Time = t
	}
	if next == nil || next.Time > t {
		return p
	}
	p.Advance = true
	p.Attributes.Origin = next.Ref
	p.Attributes.OriginTime = next.Time
	p.Attributes.Operations = next.Operations
	lag := uint64(0)
	if in.L1Head > in.ParentOrigin.Number {
		lag = uint64(in.L1Head - in.ParentOrigin.Number)
	}
	// The first origin after the L1 genesis is taken at once: a fresh L2
	// shows its first block as soon as the L1 has one, not after the lag.
	p.Forced = len(next.Operations) > 0 || lag > in.MaxOriginLag || in.ParentOrigin.Number == 0
	return p
}
