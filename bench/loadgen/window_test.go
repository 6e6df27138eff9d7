package loadgen

import (
	"math"
	"testing"
	"time"
)

// TestResultCountsTheSteadyState checks the throughput window: a chain
// that keeps up with 1,000 tx/s, whose first loaded block comes 1.5 s after
// the first send, reads 1,000 tx/s (the whole send window read 15 % less);
// one with no loaded block after the first reads over the whole window.
func TestResultCountsTheSteadyState(t *testing.T) {
	start := time.Unix(1_000, 0)
	sendEnd := start.Add(10 * time.Second)
	w := &watcher{}
	// Blocks every second from 1.5 s: the first holds what came in its
	// first 1.5 s (minus the pipeline), each later one a second's worth.
	w.blocks = append(w.blocks, start.Add(500*time.Millisecond)) // before the load
	w.txsIn = append(w.txsIn, 0)
	for i := range 10 {
		w.blocks = append(w.blocks, start.Add(1500*time.Millisecond+time.Duration(i)*time.Second))
		w.txsIn = append(w.txsIn, 1_000)
	}
	res := w.result(start, sendEnd)
	if math.Abs(res.FinalizedTPS-1_000) > 1 {
		t.Fatalf("steady state read %.1f tx/s, want 1000", res.FinalizedTPS)
	}
	if res.FirstBlockAfter != 1500*time.Millisecond {
		t.Fatalf("first loaded block after %s, want 1.5s", res.FirstBlockAfter)
	}
	if res.HalvesTPS != [2]float64{1_000, 1_000} {
		t.Fatalf("halves %v, want 1000 each", res.HalvesTPS)
	}

	// Only one loaded block inside the window: the whole window counts.
	w = &watcher{blocks: []time.Time{start.Add(9 * time.Second), start.Add(11 * time.Second)}, txsIn: []int{5_000, 5_000}}
	if got := w.result(start, sendEnd).FinalizedTPS; math.Abs(got-500) > 1 {
		t.Fatalf("one loaded block in the window read %.1f tx/s, want 500", got)
	}

	// Nothing included: no throughput.
	if got := (&watcher{}).result(start, sendEnd).FinalizedTPS; got != 0 {
		t.Fatalf("no block read %.1f tx/s", got)
	}
}

// TestResultHalvesTheSteadyState: a chain that finalizes 1,200 tx/s for
// the first half of a 20 s step and 900 for the second reads so in its
// halves, their mean weighted by time in its finalized rate; a step too
// short to halve leaves them zero.
func TestResultHalvesTheSteadyState(t *testing.T) {
	start := time.Unix(1_000, 0)
	sendEnd := start.Add(20 * time.Second)
	w := &watcher{}
	// The first loaded block at 1 s, then one a second up to 19 s: 18 s
	// of steady state, split at 10 s.
	for i := range 19 {
		w.blocks = append(w.blocks, start.Add(time.Duration(1+i)*time.Second))
		n := 1_200
		if i > 9 {
			n = 900
		}
		w.txsIn = append(w.txsIn, n)
	}
	res := w.result(start, sendEnd)
	if math.Abs(res.HalvesTPS[0]-1_200) > 1e-6 || math.Abs(res.HalvesTPS[1]-900) > 1e-6 {
		t.Fatalf("halves %v, want [1200 900]", res.HalvesTPS)
	}
	if want := (9*1_200 + 9*900) / 18.0; math.Abs(res.FinalizedTPS-want) > 1e-6 {
		t.Fatalf("finalized %.1f, want %.1f", res.FinalizedTPS, want)
	}
	// Three loaded blocks: no halves of two blocks each.
	w = &watcher{blocks: []time.Time{start.Add(time.Second), start.Add(2 * time.Second), start.Add(3 * time.Second)}, txsIn: []int{100, 100, 100}}
	if got := w.result(start, sendEnd).HalvesTPS; got != [2]float64{} {
		t.Fatalf("three blocks halved into %v", got)
	}
}
