package node

import (
	"testing"
	"time"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestNextSlotKeepsTheSchedule: a height committed early waits for its
// successor's slot one block time after its own; one committed late lets
// the next start at once while keeping the schedule, up to maxSlotDebt
// block times behind.
func TestNextSlotKeepsTheSchedule(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	bt := time.Second
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	for _, tc := range []struct {
		name      string
		slot, now time.Time
		want      time.Time
	}{
		{"early commit waits for the block time", at(0), at(300 * time.Millisecond), at(bt)},
		{"commit at the slot's end", at(0), at(bt), at(bt)},
		{"late commit keeps the schedule", at(0), at(1400 * time.Millisecond), at(bt)},
		{"one block time behind is the most", at(0), at(2 * bt), at(bt)},
		{"a stall does not bank its time", at(0), at(5 * bt), at(4 * bt)},
		{"no slot yet counts from now", time.Time{}, at(0), at(bt)},
	} {
		if got := nextSlot(tc.slot, tc.now, bt); !got.Equal(tc.want) {
			t.Errorf("%s: nextSlot(%v, %v) = %v, want %v", tc.name, tc.slot.Sub(t0), tc.now.Sub(t0), got.Sub(t0), tc.want.Sub(t0))
		}
	}
}

// TestPacedHeightsKeepTheBlockTimeOnAverage replays heights of alternating
// length through nextSlot as the driver does (a height starts at its slot
// or when its predecessor is committed, whichever is later): heights of
// 1.4 and 0.5 block times average one block time apart, where timing each
// height from its own start gave 1.2.
func TestPacedHeightsKeepTheBlockTimeOnAverage(t *testing.T) {
	bt := time.Second
	lengths := []time.Duration{1400 * time.Millisecond, 500 * time.Millisecond}
	run := func(paced bool) time.Duration {
		start := time.Unix(0, 0) // the height's start
		slot := start
		const heights = 100
		for i := range heights {
			now := start.Add(lengths[i%len(lengths)]) // committed
			next := start.Add(bt)                     // one block time after the height's own start
			if paced {
				next = nextSlot(slot, now, bt)
			}
			start = now
			if next.After(now) {
				start = next // the timer
			}
			slot = slotOf(next, start)
		}
		return start.Sub(time.Unix(0, 0)) / heights
	}
	if got := run(false); got != 1200*time.Millisecond {
		t.Fatalf("unpaced mean interval %v, want 1.2s (the model is off)", got)
	}
	if got := run(true); got < 950*time.Millisecond || got > 1050*time.Millisecond {
		t.Fatalf("paced mean interval %v, want about the block time", got)
	}
}

// TestLateHeightKeepsTheSchedule: a height committed after one and a half
// block times from its slot moves the driver to the next height at once,
// with that height's slot one block time after the late one's (not its
// start), so the next height's timer wins the half back.
func TestLateHeightKeepsTheSchedule(t *testing.T) {
	h := newDriverHarness(t)
	self, p1, _, signers, b1, _, _ := twoHeights(h)
	id1 := consensus.BlockID(b1.Hash())
	h.start(self, memdb.New(), nil)
	bt := h.c.gen.BlockTime.Duration
	late := time.Now().Add(-bt * 3 / 2)
	h.d.heightStart, h.d.slot = late, late
	h.deliver(evMessage{msg: h.proposal(p1, b1, 0, consensus.NilRound, nil)})
	for _, typ := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
		for _, v := range h.votes(signers, typ, 1, 0, id1) {
			h.deliver(evMessage{msg: consensusMsg{vote: &v}})
		}
	}
	if h.head() != 1 || h.d.m.Height() != 2 {
		t.Fatalf("head %d, machine at height %d: want block 1 committed and height 2 started at once", h.head(), h.d.m.Height())
	}
	if want := late.Add(bt); !h.d.slot.Equal(want) {
		t.Fatalf("height 2's slot is %v after height 1's, want one block time (%v): the schedule was not kept", h.d.slot.Sub(late), bt)
	}
	if !h.d.heightStart.After(h.d.slot) {
		t.Fatalf("height 2 started at %v, its slot is %v: a late height's successor starts when it can, after its slot", h.d.heightStart, h.d.slot)
	}
}
