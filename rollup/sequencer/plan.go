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
}

// Plan is the decision for the next L2 block.
type Plan struct {
	// Attributes are the next block's inputs.
	Attributes l2chain.Attributes
	// Advance says the block moves its origin to the next L1 block.
	Advance bool
	// Forced says a block is due now even without transactions: its new
	// origin carries L1 operations (deposits wait for no one), or the
	// origin trails the L1 head by more than the allowed lag.
	Forced bool
}

// NextBlock decides the origin and time of the next L2 block (DESIGN §6):
// the time is the wall clock's whole second, never before the parent's;
// the origin advances by one L1 block whenever that block is known and not
// newer than the block's time, so deposits reach L2 as soon as possible.
// It is pure: the caller brings the clock and the L1 view.
func NextBlock(in PlanInput) Plan {
	t := max(in.Now, in.ParentTime)
	p := Plan{Attributes: l2chain.Attributes{Time: t, Origin: in.ParentOrigin, OriginTime: in.OriginTime}}
	if in.Next == nil || in.Next.Ref.Number != in.ParentOrigin.Number+1 || in.Next.Time > t {
		return p
	}
	p.Advance = true
	p.Attributes.Origin = in.Next.Ref
	p.Attributes.OriginTime = in.Next.Time
	p.Attributes.Operations = in.Next.Operations
	lag := uint64(0)
	if in.L1Head > in.ParentOrigin.Number {
		lag = uint64(in.L1Head - in.ParentOrigin.Number)
	}
	p.Forced = len(in.Next.Operations) > 0 || lag > in.MaxOriginLag
	return p
}
