package node

import (
	"testing"
	"time"
)

// TestBuildBudgetFollowsTheChain: the gas target starts at an eighth of
// the gas limit (at least a thousand transfers, at most the limit); after
// a height decided in a later round, or a slow one with another among the
// two before it, with a heavy block it becomes three quarters of itself, or
// of the block's gas if that is more, never below the minimum; holds after a height a little over the block time or one whose
// block left the target mostly unused; takes a larger block's gas after a
// healthy height; grows back after healthy heights with full blocks, in
// proportion to the room they left, never above the gas limit; and ignores
// late heights with light blocks.
func TestBuildBudgetFollowsTheChain(t *testing.T) {
	const blockTime, gasLimit = time.Second, 200_000_000
	b := newBuildBudget(400*time.Millisecond, blockTime, gasLimit)
	if b.gasTarget() != gasLimit/8 || b.fillTime() != 400*time.Millisecond {
		t.Fatalf("starts at %d gas, %s; want %d, 400ms", b.gasTarget(), b.fillTime(), gasLimit/8)
	}
	for b.gasTarget() < gasLimit { // healthy, full heights raise it to the limit
		b.observe(0, 500*time.Millisecond, 200*time.Millisecond, b.gasTarget())
	}
	const heavy = 200 * time.Millisecond            // the block took this node 200 ms to execute
	b.observe(0, 3*time.Second, heavy, 100_000_000) // a slow height with a 100M-gas block, alone: held
	if b.gasTarget() != gasLimit {
		t.Fatalf("after one slow height %d, want it held at %d", b.gasTarget(), gasLimit)
	}
	b.observe(0, 3*time.Second, heavy, 100_000_000) // a second: three quarters of the target
	if want := uint64(150_000_000); b.gasTarget() != want {
		t.Fatalf("after a slow height %d, want %d", b.gasTarget(), want)
	}
	b.observe(1, 500*time.Millisecond, heavy, 80_000_000) // decided in round 1: another proposer's 80M-gas block
	if want := uint64(112_500_000); b.gasTarget() != want {
		t.Fatalf("after a round-1 height %d, want %d", b.gasTarget(), want)
	}
	b.observe(0, 2*time.Second, heavy, 160_000_000) // a late block above the target: three quarters of the block
	if want := uint64(120_000_000); b.gasTarget() != want {
		t.Fatalf("after a late height with a block above the target %d, want %d", b.gasTarget(), want)
	}
	b.observe(0, 2*time.Second, heavy, 100_000_000) // blocks near the target shrink it as fast as ever
	b.observe(1, 2*time.Second, heavy, 90_000_000)
	if want := uint64(67_500_000); b.gasTarget() != want {
		t.Fatalf("after two more late heights with blocks near the target %d, want %d", b.gasTarget(), want)
	}
	held := b.gasTarget()
	b.observe(0, 1200*time.Millisecond, heavy, held)  // a little late: hold
	b.observe(0, 500*time.Millisecond, heavy, held/2) // healthy, but the block used half the target: hold
	if b.gasTarget() != held {
		t.Fatalf("after a height of 1.2 block times and a half-full one %d, want it held at %d", b.gasTarget(), held)
	}
	b.observe(0, 800*time.Millisecond, heavy, held+5_000_000) // another proposer's larger block went through
	if want := held + 5_000_000; b.gasTarget() != want {
		t.Fatalf("after a healthy height with a larger block %d, want its gas %d", b.gasTarget(), want)
	}
	// Growth follows the room a healthy, full height left, over the
	// block's gas: a quarter more than the block after one that took 0.4
	// of the block time (0.8 / 0.4, capped at 1.25), 0.8 / 0.7 after 0.7,
	// and a tenth over the target at least.
	for _, c := range []struct {
		took time.Duration
		used float64 // of the target
		want float64 // of the target
	}{{400 * time.Millisecond, 1, 1.25}, {400 * time.Millisecond, 0.95, 0.95 * 1.25}, {700 * time.Millisecond, 1, 0.8 / 0.7},
		{400 * time.Millisecond, 0.85, 1.1}, {950 * time.Millisecond, 1, 1.1}} {
		before := b.gasTarget()
		b.observe(0, c.took, heavy, uint64(float64(before)*c.used))
		want := uint64(float64(before) * c.want)
		if got := b.gasTarget(); got < want-2 || got > want+2 {
			t.Fatalf("after a height of %s using %.1f of the target: %d, want %d", c.took, c.used, got, want)
		}
	}
	for range 40 {
		b.observe(2, 5*time.Second, heavy, b.gasTarget())
	}
	if b.gasTarget() != minBlockGas {
		t.Fatalf("after many failed heights %d, want the minimum %d", b.gasTarget(), minBlockGas)
	}
	healthy := 0
	for b.gasTarget() < gasLimit {
		b.observe(0, 900*time.Millisecond, heavy, b.gasTarget())
		healthy++
		if healthy > 200 {
			t.Fatalf("the target did not grow back: %d", b.gasTarget())
		}
	}
	if b.gasTarget() != gasLimit {
		t.Fatalf("grew past the gas limit: %d", b.gasTarget())
	}
	// A late height with a light block (peers connecting, a partition)
	// leaves the target alone, and so does one whose block used less than
	// half the target however long this node took to execute it (a burst
	// of admissions slowed the height, not the block's size).
	b.observe(3, 10*time.Second, 2*time.Millisecond, gasLimit)
	if b.gasTarget() != gasLimit {
		t.Fatalf("a late height with a light block shrank the target to %d", b.gasTarget())
	}
	b.observe(0, 2*time.Second, time.Second, gasLimit/3)
	if b.gasTarget() != gasLimit {
		t.Fatalf("a late height with a third of the target shrank it to %d", b.gasTarget())
	}
	b.observe(0, 2*time.Second, time.Second, gasLimit/2) // the first heavy one in three heights: held
	if b.gasTarget() != gasLimit {
		t.Fatalf("one late height with half the target shrank it to %d", b.gasTarget())
	}
	b.observe(0, 2*time.Second, time.Second, gasLimit/2)
	if want := uint64(float64(gasLimit) * blockGasShrink); b.gasTarget() != want {
		t.Fatalf("a late height with half the target: %d, want %d", b.gasTarget(), want)
	}
	if tiny := newBuildBudget(time.Millisecond, blockTime, 1); tiny.gasTarget() != minBlockGas {
		t.Errorf("a gas limit below the minimum gives %d, want %d", tiny.gasTarget(), minBlockGas)
	}
	if small := newBuildBudget(time.Millisecond, blockTime, 30_000_000); small.gasTarget() != initialBlockGas {
		t.Errorf("a 30M gas limit starts at %d, want a thousand transfers (%d)", small.gasTarget(), initialBlockGas)
	}
	if below := newBuildBudget(time.Millisecond, blockTime, 5_000_000); below.gasTarget() != 5_000_000 {
		t.Errorf("a 5M gas limit starts at %d, want the limit", below.gasTarget())
	}
}

// TestFillTimeIsTwoFifthsOfTheShorter: a proposer fills for two fifths of
// the block time, or of the propose timeout if that is shorter: the
// devnet's 2 s timeout and 1 s blocks give a 400 ms fill.
func TestFillTimeIsTwoFifthsOfTheShorter(t *testing.T) {
	for _, c := range []struct{ timeout, block, want time.Duration }{
		{2 * time.Second, time.Second, 400 * time.Millisecond},
		{600 * time.Millisecond, time.Second, 240 * time.Millisecond},
		{time.Second, 2 * time.Second, 400 * time.Millisecond},
	} {
		if got := fillTimeOf(c.timeout, c.block); got != c.want {
			t.Errorf("timeout %s, block time %s: fill %s, want %s", c.timeout, c.block, got, c.want)
		}
	}
}

// TestBuildBudgetCutsOnlyForLateHeightsTogether: a slow round-0 height
// with a heavy block cuts the target only when another such height is
// among the two before it; one alone, with fast heights around it (a
// stall, not a block too large), leaves the target where it was, however
// often that happens; a height decided in a later round cuts at once.
func TestBuildBudgetCutsOnlyForLateHeightsTogether(t *testing.T) {
	const blockTime, gasLimit = time.Second, 200_000_000
	const heavy = 200 * time.Millisecond
	slow, usual := 2*time.Second, 1200*time.Millisecond // usual: over the block time, not late (holds)
	b := newBuildBudget(400*time.Millisecond, blockTime, gasLimit)
	start := b.gasTarget()
	for i := range 10 { // a slow height every third: never two within three
		b.observe(0, slow, heavy, b.gasTarget())
		b.observe(0, usual, heavy, b.gasTarget())
		b.observe(0, usual, heavy, b.gasTarget())
		if b.gasTarget() != start {
			t.Fatalf("round %d: isolated slow heights moved the target from %d to %d", i, start, b.gasTarget())
		}
	}
	b.observe(0, slow, heavy, start)
	b.observe(0, usual, heavy, start)
	b.observe(0, slow, heavy, start) // two slow ones in three heights: cut
	want := uint64(float64(start) * blockGasShrink)
	if b.gasTarget() != want {
		t.Fatalf("after two slow heights in three: %d, want %d", b.gasTarget(), want)
	}
	b.observe(0, slow, heavy, want) // every height slow: cut each time
	if want = uint64(float64(want) * blockGasShrink); b.gasTarget() != want {
		t.Fatalf("after a third slow height: %d, want %d", b.gasTarget(), want)
	}
	for range 3 {
		b.observe(0, usual, heavy, b.gasTarget())
	}
	b.observe(1, usual, heavy, want) // a later round, alone: cut at once
	if want = uint64(float64(want) * blockGasShrink); b.gasTarget() != want {
		t.Fatalf("after a round-1 height: %d, want %d", b.gasTarget(), want)
	}
	b.observe(0, slow, heavy, want) // a slow height right after it: cut too
	if want = uint64(float64(want) * blockGasShrink); b.gasTarget() != want {
		t.Fatalf("after a slow height behind a round-1 one: %d, want %d", b.gasTarget(), want)
	}
}

// TestBuildBudgetLateFromAQuarterOverTheBlockTime: a height counts as late
// past 1.25 block times: two of 1.3 in three heights cut the target, two
// of 1.2 do not.
func TestBuildBudgetLateFromAQuarterOverTheBlockTime(t *testing.T) {
	const blockTime, heavy = time.Second, 200 * time.Millisecond
	b := newBuildBudget(400*time.Millisecond, blockTime, 200_000_000)
	start := b.gasTarget()
	for range 4 {
		b.observe(0, 1200*time.Millisecond, heavy, start)
	}
	if b.gasTarget() != start {
		t.Fatalf("heights of 1.2 block times moved the target from %d to %d", start, b.gasTarget())
	}
	b.observe(0, 1300*time.Millisecond, heavy, start)
	b.observe(0, 1300*time.Millisecond, heavy, start)
	if want := uint64(float64(start) * blockGasShrink); b.gasTarget() != want {
		t.Fatalf("after two heights of 1.3 block times: %d, want %d", b.gasTarget(), want)
	}
}
