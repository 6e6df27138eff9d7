package consensus

import (
	"flag"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var (
	simSeeds   = flag.Int("sim.seeds", 1000, "number of simulator seeds to run")
	simSeed    = flag.Int64("sim.seed", -1, "replay one simulator seed")
	simFirst   = flag.Uint64("sim.first", 1, "first seed of a run of many (with -sim.seeds, -sim.byzseeds)")
	simVerbose = flag.Bool("sim.verbose", false, "log the simulator's events (with -sim.seed)")
	simActions = flag.Bool("sim.actions", false, "with -sim.verbose, also log every input and action of every node")
)

// seedRun is the outcome of a batch of seeds.
type seedRun struct {
	failed  []simResult
	ran     int64
	stats   simStats
	elapsed time.Duration
}

// runSeeds runs seeds [first, first+count) on all cores, each built by mk,
// and stops early once stop accepts a failure.
func runSeeds(mk func(seed uint64) *sim, first uint64, count int, stop func(simResult) bool) seedRun {
	start := time.Now()
	var (
		next    atomic.Uint64
		stopped atomic.Bool
		mu      sync.Mutex
		wg      sync.WaitGroup
		out     seedRun
	)
	next.Store(first)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				seed := next.Add(1) - 1
				if seed >= first+uint64(count) || stopped.Load() {
					return
				}
				r := mk(seed).run(nil, false)
				mu.Lock()
				out.ran++
				out.stats.add(r.stats)
				if r.failure != "" {
					out.failed = append(out.failed, r)
					if stop(r) {
						stopped.Store(true)
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	return out
}

// TestSimulation is the main consensus test: -sim.seeds runs of N validators
// (4, 7, 10; equal and unequal stake) under delay, drop, duplication,
// reordering, healing partitions, crash-restarts from persisted state (also
// inside the signer) and one equivocating validator, checking agreement,
// validity, no honest double sign and evidence for every observed
// equivocation throughout, then liveness after healing. A failure prints its
// seed and the command that replays it.
func TestSimulation(t *testing.T) {
	cfg := simConfig()
	if *simSeed >= 0 {
		replaySeed(t, newSim(uint64(*simSeed), cfg))
		return
	}
	failures := 0
	run := runSeeds(func(seed uint64) *sim { return newSim(seed, cfg) }, *simFirst, *simSeeds,
		func(simResult) bool { failures++; return failures >= 5 })
	for _, r := range run.failed {
		t.Error(r.report())
	}
	t.Logf("%d seeds in %s; exercised %+v", run.ran, run.elapsed.Round(time.Millisecond), run.stats)
	if run.stats.crashes == 0 || run.stats.signerCrashes == 0 || run.stats.evidence == 0 || run.stats.partitions == 0 || run.stats.catchUps == 0 {
		t.Errorf("some fault was never exercised: %+v", run.stats)
	}
}

// replaySeed runs the one seed of -sim.seed, logging its events with
// -sim.verbose (and every action with -sim.actions).
func replaySeed(t *testing.T, s *sim) {
	t.Helper()
	var log func(string)
	if *simVerbose {
		log = func(line string) { t.Log(line) }
	}
	r := s.run(log, *simActions)
	if r.failure != "" {
		t.Fatal(r.report())
	}
	t.Logf("seed %d ok: %d events, %s virtual, heights %s, %+v", r.seed, r.events, r.virtual, r.heights, r.stats)
}

// TestSimulationIsDeterministic: a seed replays exactly (same events, same
// decisions), which is what makes a printed failing seed useful.
func TestSimulationIsDeterministic(t *testing.T) {
	for _, seed := range []uint64{3, 42, 1234} {
		a, b := runSim(seed, simConfig(), nil, false), runSim(seed, simConfig(), nil, false)
		if a.events != b.events || a.heights != b.heights || a.virtual != b.virtual || strings.Join(a.trace, "\n") != strings.Join(b.trace, "\n") {
			t.Fatalf("seed %d ran differently twice: %d/%d events, heights %q/%q", seed, a.events, b.events, a.heights, b.heights)
		}
	}
}
