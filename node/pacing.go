package node

import "time"

// Height pacing (issue 17: block intervals near the block time under
// load). A height may start no sooner than one block time after the
// scheduled start of the one before it. That schedule is kept across
// heights: when a height ran late, the next one starts as soon as it is
// committed and is still scheduled one block time after its predecessor's
// slot, so a short height after a long one wins the time back and the
// chain keeps its block time on average.
//
// Timing each height from its own start instead, as before, made the
// interval the mean of max(block time, height): under a load above what
// the chain takes, heights of 0.6–1.9 s around a mean below the block
// time gave 1.2 s intervals, and the chain idled for the short heights'
// rest while the long ones had already spent it.
//
// The time won back is bounded (maxSlotDebt): after a stall of several
// block times (a failed round, a partition) the chain does not produce a
// run of back-to-back blocks to keep a schedule nobody needs; at most one
// height starts early.

// maxSlotDebt is how far behind the schedule a height's slot may be, in
// block times: one.
const maxSlotDebt = 1

// nextSlot returns the slot (scheduled start) of the height after the one
// whose slot was slot, given the time now that height was committed: one
// block time after slot, but no more than maxSlotDebt block times before
// now. A zero slot (a node that has just started) counts as now. The next
// height starts at the slot, or at once if the slot has passed.
func nextSlot(slot, now time.Time, blockTime time.Duration) time.Time {
	if slot.IsZero() {
		slot = now
	}
	next := slot.Add(blockTime)
	if floor := now.Add(-maxSlotDebt * blockTime); next.Before(floor) {
		return floor
	}
	return next
}

// slotOf returns the slot of a height that started at start, scheduled for
// next (nextSlot; zero for a node's first height or a synced block): next,
// or start if next is unset or later (a timer that fired early).
func slotOf(next, start time.Time) time.Time {
	if next.IsZero() || next.After(start) {
		return start
	}
	return next
}
