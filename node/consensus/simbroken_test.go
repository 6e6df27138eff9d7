package consensus

import (
	"strings"
	"testing"
)

// brokenSeedBudget bounds how many seeds the checker may need to catch a
// broken rule.
const brokenSeedBudget = 400

// expectViolation runs seeds built by mk and requires that the checker
// reports a violation whose message contains want within brokenSeedBudget
// seeds.
func expectViolation(t *testing.T, mk func(seed uint64) *sim, want string) {
	t.Helper()
	wanted := func(r simResult) bool { return strings.Contains(r.failure, want) }
	run := runSeeds(mk, 1, brokenSeedBudget, wanted)
	for _, f := range run.failed {
		if wanted(f) {
			t.Logf("found after %d seeds (%s): seed %d: %s", run.ran, run.elapsed, f.seed, f.failure)
			return
		}
	}
	t.Fatalf("the simulator found no %s violation in %d seeds (%d other failures): the checker cannot fail", want, run.ran, len(run.failed))
}

// TestSimulationCatchesIgnoredLock breaks lines 22-33 (prevote ignores
// lockedValue) and requires the simulator to find a fork.
func TestSimulationCatchesIgnoredLock(t *testing.T) {
	cfg := withBrokenLock(simConfig())
	expectViolation(t, func(seed uint64) *sim { return newSim(seed, cfg) }, "AGREEMENT")
}

// TestSimulationCatchesHalfQuorum counts 1/2 instead of 2/3 for every
// quorum and requires the simulator to find a fork.
func TestSimulationCatchesHalfQuorum(t *testing.T) {
	cfg := withBrokenQuorum(simConfig())
	expectViolation(t, func(seed uint64) *sim { return newSim(seed, cfg) }, "AGREEMENT")
}

// TestSimulationCatchesAmnesia restarts crashed nodes with nothing persisted
// (no signer state, no lock) and requires the simulator to catch an honest
// validator signing twice.
func TestSimulationCatchesAmnesia(t *testing.T) {
	cfg := simConfig()
	expectViolation(t, func(seed uint64) *sim {
		s := newSim(seed, cfg)
		s.amnesia = true
		return s
	}, "DOUBLE SIGN")
}
