package consensus

import (
	"container/heap"
	"fmt"
	"strings"
	"time"
)

const (
	// livenessBound is how long, in virtual time after healing, every honest
	// node has to commit two heights beyond the best height at healing.
	livenessBound = 60 * time.Second
	// brokenLivenessBound replaces it when a rule is broken on purpose: those
	// runs hunt for safety violations, and a stuck run need not last long.
	brokenLivenessBound = 5 * time.Second
	// maxEvents bounds one run, in case a bug makes it spin.
	maxEvents = 3_000_000
)

// simResult is the outcome of one seed.
type simResult struct {
	seed    uint64
	test    string // the test whose -sim.seed flag replays it
	failure string
	trace   []string
	heights string
	events  int
	virtual time.Duration
	stats   simStats
}

// runSim runs one seed: a fault phase with safety checked at every event,
// then a healing phase that must end with every honest node two heights
// further, within livenessBound.
//
// log, if set, receives the run's events; with actions, also every action and
// input of every node.
func runSim(seed uint64, cfg Config, log func(string), actions bool) simResult {
	return newSim(seed, cfg).run(log, actions)
}

func (s *sim) run(log func(string), actions bool) simResult {
	seed := s.seed
	s.log = log
	if log != nil && actions {
		s.debug = func(node int, what string) { log(fmt.Sprintf("%9s   node %d: %s", s.now, node, what)) }
	}
	s.logf("seed %d: n=%d powers=%v byz=%v %v coordinated=%v drop=%.2f dup=%.2f delay<%s faults for %s",
		seed, s.params.n, s.params.powers, s.params.byz, s.params.modes, s.coordinate, s.params.dropP, s.params.dupP, s.params.maxDelay, s.params.faultPhase)
	for _, n := range s.nodes {
		n.boot()
	}
	s.at(time.Duration(s.rng.IntN(500))*time.Millisecond, s.chaos)
	s.runUntil(s.params.faultPhase, func() bool { return false })
	if s.check.failure == "" {
		s.heal()
		target := s.maxCommitted() + 2
		bound := livenessBound
		if s.broken() {
			bound = brokenLivenessBound
		}
		deadline := s.now + bound
		s.runUntil(deadline, func() bool { return s.honestReached(target) })
		if s.check.failure == "" && !s.honestReached(target) {
			s.check.failf("LIVENESS violated: honest nodes did not all reach height %d within %s of healing (heights %s)%s", target, bound, s.heights(), s.states())
		}
	}
	return simResult{seed: seed, test: s.test, failure: s.check.failure, trace: s.trace, heights: s.heights(), events: s.events, virtual: s.now, stats: s.stats}
}

// broken reports whether this run breaks a rule on purpose (a checker test).
func (s *sim) broken() bool {
	return s.cfg.testBreakIgnoreLock || s.cfg.testBreakQuorumHalf || s.skipOnOneVote || s.acceptInvalid || s.window != s.cfg.maxRoundsAhead()
}

// runUntil processes events in virtual-time order until the deadline, a
// failure, or done() holds.
func (s *sim) runUntil(deadline time.Duration, done func() bool) {
	for s.queue.Len() > 0 && s.check.failure == "" && !done() {
		if s.queue[0].at > deadline {
			s.now = deadline
			return
		}
		if s.events++; s.events > maxEvents {
			s.check.failf("run exceeded %d events", maxEvents)
			return
		}
		e := heap.Pop(&s.queue).(*event)
		s.now = e.at
		e.fn()
	}
}

func (s *sim) maxCommitted() Height {
	var best Height
	for _, n := range s.nodes {
		best = max(best, n.committed())
	}
	return best
}

func (s *sim) honestReached(h Height) bool {
	for _, n := range s.nodes {
		if !n.byzantine && n.committed() < h {
			return false
		}
	}
	return true
}

// report formats a failed run with the command that replays it.
func (r simResult) report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d FAILED: %s\n", r.seed, r.failure)
	fmt.Fprintf(&b, "replay: go test ./node/consensus/ -run '%s$' -sim.seed=%d -sim.verbose -v   (add -sim.actions for every action)\n", r.test, r.seed)
	fmt.Fprintf(&b, "last events:\n  %s", strings.Join(r.trace, "\n  "))
	return b.String()
}

// states describes every running machine, for failure reports.
func (s *sim) states() string {
	var b strings.Builder
	for i, n := range s.nodes {
		if n.up {
			fmt.Fprintf(&b, "\n  node %d (byz=%v): %s decided=%v", i, n.byzantine, n.m.State(), n.m.Decided())
		}
	}
	return b.String()
}
