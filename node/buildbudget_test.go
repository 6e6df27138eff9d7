package node

import (
	"testing"
	"time"
)

// TestBuildBudgetFollowsTheChain: the budget shrinks after a slow or
// multi-round height, never below the minimum, holds after a height a
// little over the block time, and grows back after healthy ones, never
// above its limit.
func TestBuildBudgetFollowsTheChain(t *testing.T) {
	const limit, blockTime = 250 * time.Millisecond, time.Second
	b := newBuildBudget(limit, blockTime)
	if b.current() != limit {
		t.Fatalf("starts at %s, want %s", b.current(), limit)
	}
	const heavy = 200 * time.Millisecond // the block took this node 200 ms to execute
	shrink := func(d time.Duration) time.Duration { return time.Duration(float64(d) * buildBudgetShrink) }
	b.observe(0, 3*time.Second, heavy) // a slow height
	if want := shrink(limit); b.current() != want {
		t.Fatalf("after a slow height %s, want %s", b.current(), want)
	}
	b.observe(1, 500*time.Millisecond, heavy) // decided in round 1
	if want := shrink(shrink(limit)); b.current() != want {
		t.Fatalf("after a round-1 height %s, want %s", b.current(), want)
	}
	held := b.current()
	b.observe(0, 1200*time.Millisecond, heavy) // a little late: hold
	if b.current() != held {
		t.Fatalf("after a height of 1.2 block times %s, want it held at %s", b.current(), held)
	}
	for range 20 {
		b.observe(2, 5*time.Second, heavy)
	}
	if b.current() != minBuildBudget {
		t.Fatalf("after many failed heights %s, want the minimum %s", b.current(), minBuildBudget)
	}
	healthy := 0
	for b.current() < limit {
		b.observe(0, 900*time.Millisecond, heavy)
		healthy++
		if healthy > 100 {
			t.Fatalf("the budget did not grow back: %s", b.current())
		}
	}
	if b.current() != limit {
		t.Fatalf("grew past the limit: %s", b.current())
	}
	if healthy > 20 {
		t.Errorf("took %d healthy heights to grow back from the minimum, want a few", healthy)
	}
	// A late height with a light block (peers connecting, a partition)
	// leaves the budget alone.
	b.observe(3, 10*time.Second, 2*time.Millisecond)
	if b.current() != limit {
		t.Fatalf("a late height with a light block shrank the budget to %s", b.current())
	}
	if tiny := newBuildBudget(time.Millisecond, blockTime); tiny.current() != minBuildBudget {
		t.Errorf("a limit below the minimum gives %s, want %s", tiny.current(), minBuildBudget)
	}
}
