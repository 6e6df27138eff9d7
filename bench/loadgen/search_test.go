package loadgen

import (
	"context"
	"math"
	"strings"
	"testing"
)

// TestSearchRefinesBetweenTheBestAndTheFirstMiss runs the search against a
// chain that carries up to 2,000 tx/s and collapses to 1,300 above
// 2,200: the ×1.5 ramp goes 500 … 1,688 (best) and 2,531 (collapse); the
// first refinement at 2,067 keeps up and becomes the best, the second at
// 2,287 collapses. A ramp whose last step still gained a little is
// refined above that step.
func TestSearchRefinesBetweenTheBestAndTheFirstMiss(t *testing.T) {
	var offered []float64
	sc := SearchConfig{StartRate: 500, Factor: 1.5, MaxSteps: 7, Refine: 2}
	sc.step = func(rate float64, _ uint64) (Result, error) {
		offered = append(offered, rate)
		fin := min(rate, 2_000)
		if rate > 2_200 {
			fin = 1_300
		}
		return Result{OfferedRate: rate, FinalizedTPS: fin}, nil
	}
	found, err := Search(context.Background(), sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps, best := found.Steps, found.Best
	if found.StillGaining {
		t.Fatal("a search whose ramp stopped gaining says it still gained")
	}
	want := []float64{500, 750, 1125, 1687.5, 2531.25, math.Sqrt(1687.5 * 2531.25), math.Sqrt(math.Sqrt(1687.5*2531.25) * 2531.25)}
	if len(offered) != len(want) || len(steps) != len(want) {
		t.Fatalf("offered %v, want %v", offered, want)
	}
	for i := range want {
		if math.Abs(offered[i]-want[i]) > 0.01 {
			t.Fatalf("step %d offered %.2f, want %.2f (all: %v)", i, offered[i], want[i], offered)
		}
	}
	if math.Abs(best.OfferedRate-want[5]) > 0.01 || best.FinalizedTPS != 2_000 {
		t.Fatalf("best %+v, want the first refinement (%.0f tx/s offered, 2000 finalized)", best, want[5])
	}
	// The best's place among the steps (its history: the five ramp steps
	// before it) and each step's seed: the search's, then the ramp's
	// step count plus the refinement's.
	if found.BestIndex != 5 || steps[5].Seed != best.Seed {
		t.Fatalf("best index %d (seed %d), want 5 (seed %d)", found.BestIndex, best.Seed, steps[5].Seed)
	}
	for i, wantSeed := range []uint64{0, 1, 2, 3, 4, 7, 8} {
		if steps[i].Seed != wantSeed {
			t.Fatalf("step %d seed %d, want %d", i, steps[i].Seed, wantSeed)
		}
	}

	// Without refinement the ramp's best stands.
	offered = nil
	sc.Refine = 0
	if found, _ = Search(context.Background(), sc, nil); found.Best.OfferedRate != 1687.5 || len(offered) != 5 {
		t.Fatalf("no refinement: best %+v after %d steps", found.Best, len(offered))
	}

	// The last step of the ramp gains, but under 5 %: the peak may lie
	// above it, so the refinement looks between it and the next step up.
	offered = nil
	sc.Refine = 2
	sc.step = func(rate float64, _ uint64) (Result, error) {
		offered = append(offered, rate)
		fin := min(rate, 1_650)
		switch {
		case rate > 3_200:
			fin = 1_000
		case rate > 2_800:
			fin = 1_760
		case rate > 2_000:
			fin = 1_700
		}
		return Result{OfferedRate: rate, FinalizedTPS: fin}, nil
	}
	if found, err = Search(context.Background(), sc, nil); err != nil {
		t.Fatal(err)
	}
	best = found.Best
	up := 2531.25 * 1.5
	want = []float64{500, 750, 1125, 1687.5, 2531.25, math.Sqrt(2531.25 * up), math.Sqrt(math.Sqrt(2531.25*up) * up)}
	if len(offered) != len(want) {
		t.Fatalf("offered %v, want %v", offered, want)
	}
	for i := range want {
		if math.Abs(offered[i]-want[i]) > 0.01 {
			t.Fatalf("step %d offered %.2f, want %.2f (all: %v)", i, offered[i], want[i], offered)
		}
	}
	if best.FinalizedTPS != 1_760 || found.BestIndex != 5 {
		t.Fatalf("best %+v at %d, want the refinement above the ramp (1760 finalized) at 5", best, found.BestIndex)
	}
}

// TestSearchWithFactorOneIsASoak: a Factor of 1 offers the start rate
// MaxSteps times, whatever each step finalized, and refines nothing.
func TestSearchWithFactorOneIsASoak(t *testing.T) {
	var offered []float64
	sc := SearchConfig{StartRate: 800, Factor: 1, MaxSteps: 4, Refine: 2}
	finalized := []float64{800, 790, 700, 600}
	sc.step = func(rate float64, _ uint64) (Result, error) {
		fin := finalized[len(offered)]
		offered = append(offered, rate)
		return Result{OfferedRate: rate, FinalizedTPS: fin}, nil
	}
	found, err := Search(context.Background(), sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps, best := found.Steps, found.Best
	if found.StillGaining {
		t.Fatal("a soak says its ramp ran out of steps")
	}
	if len(steps) != 4 || len(offered) != 4 {
		t.Fatalf("%d steps offered %v, want 4 at 800 tx/s", len(steps), offered)
	}
	for i, r := range offered {
		if r != 800 {
			t.Fatalf("step %d offered %.0f tx/s, want 800", i, r)
		}
	}
	if best.FinalizedTPS != 800 {
		t.Fatalf("best %+v, want the first step's 800 tx/s", best)
	}
}

// TestSearchSaysWhenItRanOutOfSteps: a chain that carries whatever is
// offered up to 5,000 tx/s outruns a ramp of four ×1.5 steps from 500
// (500 … 1,688): the ramp runs out still gaining, so the refinement
// looks above its last step (between 1,688 and 2,531, where it gains
// again) and the search says the peak may lie higher. Given a ceiling
// the refinement reaches, it does not.
func TestSearchSaysWhenItRanOutOfSteps(t *testing.T) {
	var offered []float64
	capacity := 5_000.0
	var logged []string
	sc := SearchConfig{StartRate: 500, Factor: 1.5, MaxSteps: 4, Refine: 2, Log: func(s string) { logged = append(logged, s) }}
	sc.step = func(rate float64, _ uint64) (Result, error) {
		offered = append(offered, rate)
		return Result{OfferedRate: rate, FinalizedTPS: min(rate, capacity)}, nil
	}
	found, err := Search(context.Background(), sc, nil)
	if err != nil {
		t.Fatal(err)
	}
	last, next := 1687.5, 1687.5*1.5
	mid := math.Sqrt(last * next)
	want := []float64{500, 750, 1125, last, mid, math.Sqrt(mid * next)}
	if len(offered) != len(want) {
		t.Fatalf("offered %v, want %v", offered, want)
	}
	for i := range want {
		if math.Abs(offered[i]-want[i]) > 0.01 {
			t.Fatalf("step %d offered %.2f, want %.2f (all: %v)", i, offered[i], want[i], offered)
		}
	}
	if !found.StillGaining || math.Abs(found.LastGain-0.5) > 1e-9 {
		t.Fatalf("still gaining %v (last gain %.3f), want true and 0.5", found.StillGaining, found.LastGain)
	}
	if n := len(logged); n == 0 || !strings.Contains(logged[n-1], "ran out of steps") {
		t.Fatalf("the log does not say the ramp ran out of steps: %q", logged)
	}

	// A ceiling just above the last ramp step: the first refinement gains,
	// the second does no better, so the peak is bracketed.
	offered, logged = nil, nil
	capacity = 1_800
	if found, err = Search(context.Background(), sc, nil); err != nil {
		t.Fatal(err)
	}
	if found.StillGaining {
		t.Fatalf("a refinement above the ramp did no better (offered %v), yet the search says it still gained", offered)
	}
	if found.Best.FinalizedTPS != 1_800 {
		t.Fatalf("best %+v, want the 1800 tx/s ceiling", found.Best)
	}
	for _, l := range logged {
		if strings.Contains(l, "ran out of steps") {
			t.Fatalf("logged %q for a bracketed peak", l)
		}
	}
}
