package consensus

import (
	"flag"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	simByzSeeds = flag.Int("sim.byzseeds", 300, "number of seeds of TestByzantineSimulation")
	simNoRelay  = flag.Bool("sim.norelay", false, "TestByzantineSimulation without relaying after healing (simrelay_test.go says why it is needed)")
)

// drawByzParams draws a run of TestByzantineSimulation: 4, 7 or 10
// validators (equal or unequal stake), of which 1..(n-1)/3 are byzantine with
// together less than 1/3 of the stake — in half the runs as close to 1/3 as
// the stake allows — each with its own combination of byzModes (at least one
// beyond equivocation); and the faults of TestSimulation.
func drawByzParams(seed uint64, rng *rand.Rand) simParams {
	sizes := []int{4, 7, 10}
	p := simParams{n: sizes[seed%3]}
	p.powers = make([]int64, p.n)
	equal := (seed/3)%2 == 0
	for i := range p.powers {
		p.powers[i] = 10
		if !equal {
			p.powers[i] = 1 + rng.Int64N(100)
		}
	}
	nbyz := 1 + rng.IntN((p.n-1)/3)
	p.byz = rng.Perm(p.n)[:nbyz]
	slices.Sort(p.byz)
	var honest, byz int64
	for i, w := range p.powers {
		if slices.Contains(p.byz, i) {
			byz += w
		} else {
			honest += w
		}
	}
	// 3·byz < byz+honest ⇔ byz ≤ (honest-1)/2; honest ≥ 2·nbyz+1, so every
	// byzantine validator keeps a stake of at least 1.
	budget := (honest - 1) / 2
	if byz > budget || rng.IntN(2) == 0 {
		for j, b := range p.byz {
			p.powers[b] = budget / int64(nbyz)
			if int64(j) < budget%int64(nbyz) {
				p.powers[b]++
			}
		}
	}
	for range p.byz {
		m := byzModes{equivocate: rng.IntN(2) == 0, ignoreLocks: rng.IntN(2) == 0, invalid: rng.IntN(2) == 0, flood: rng.IntN(2) == 0, withhold: rng.IntN(2) == 0}
		if !m.ignoreLocks && !m.invalid && !m.flood && !m.withhold {
			switch rng.IntN(4) {
			case 0:
				m.ignoreLocks = true
			case 1:
				m.invalid = true
			case 2:
				m.flood = true
			default:
				m.withhold = true
			}
		}
		p.modes = append(p.modes, m)
	}
	p.drawFaults(rng)
	return p
}

// newByzSim builds a run of TestByzantineSimulation. In half the runs the
// equivocators coordinate (one split of the nodes per height, shared), and
// each withholding validator's audiences hold 0, 34 or 67 % of the peers.
func newByzSim(seed uint64, cfg Config) *sim {
	s := newSimWith(seed, cfg, drawByzParams, "TestByzantineSimulation")
	s.relay = !*simNoRelay
	s.coordinate = s.rng.IntN(2) == 0
	for _, b := range s.params.byz {
		s.nodes[b].byz.keep = []int{0, 34, 67}[s.rng.IntN(3)]
	}
	return s
}

// byzPower returns the byzantine validators' stake and the total stake.
func (s *sim) byzPower() (byz, total int64) {
	for i, w := range s.params.powers {
		if slices.Contains(s.params.byz, i) {
			byz += w
		}
		total += w
	}
	return byz, total
}

// TestByzantineSimulation runs -sim.byzseeds seeds in which up to (n-1)/3
// byzantine validators with less than 1/3 of the stake ignore locks, propose
// invalid blocks or bogus POL rounds, flood far rounds and other heights,
// withhold proposals and votes, and equivocate, in seeded combinations, under
// TestSimulation's faults. Every seed must keep agreement, validity, no honest
// double sign, evidence for every observed equivocation, round skips on f+1
// senders only and bounded buffers, and commit two more heights on every
// honest node once the faults (but not the byzantine validators) stop and
// honest nodes relay what they hear (simrelay_test.go says why they must).
func TestByzantineSimulation(t *testing.T) {
	cfg := simConfig()
	if *simSeed >= 0 {
		replaySeed(t, newByzSim(uint64(*simSeed), cfg))
		return
	}
	failures := 0
	run := runSeeds(func(seed uint64) *sim {
		s := newByzSim(seed, cfg)
		if b, total := s.byzPower(); 3*b >= total || len(s.params.byz) == 0 {
			s.check.failf("drew %d byzantine validators with %d of %d stake", len(s.params.byz), b, total)
		}
		return s
	}, *simFirst, *simByzSeeds, func(simResult) bool { failures++; return failures >= 5 })
	for _, r := range run.failed {
		t.Error(r.report())
	}
	st := run.stats
	t.Logf("%d seeds in %s; exercised %+v", run.ran, run.elapsed.Round(time.Millisecond), st)
	if run.ran < 100 {
		return // too few seeds to require every behaviour
	}
	if st.lockIgnored == 0 || st.lockBroken == 0 || st.spoiled == 0 || st.floods == 0 || st.withheld == 0 || st.evidence == 0 || st.skips == 0 {
		t.Errorf("some byzantine behaviour was never exercised: %+v", st)
	}
	if w := int(cfg.maxRoundsAhead()); st.maxAhead != w {
		t.Errorf("the flood never filled an honest window to its edge: at most %d rounds ahead held, window %d", st.maxAhead, w)
	}
}

// TestByzantineSimulationCatchesSkipOnOneVote breaks the round-skip rule
// (lines 55-56) so that one vote of a higher round moves an honest machine
// there, and requires the simulator to catch a skip without f+1.
func TestByzantineSimulationCatchesSkipOnOneVote(t *testing.T) {
	cfg := simConfig()
	expectViolation(t, func(seed uint64) *sim {
		s := newByzSim(seed, cfg)
		s.skipOnOneVote = true
		return s
	}, "ROUND SKIP")
}

// TestByzantineSimulationCatchesAcceptedInvalidBlock makes honest nodes'
// Validate accept invalid blocks and requires the simulator to catch an
// invalid block proposed by a byzantine validator being committed.
func TestByzantineSimulationCatchesAcceptedInvalidBlock(t *testing.T) {
	cfg := simConfig()
	expectViolation(t, func(seed uint64) *sim {
		s := newByzSim(seed, cfg)
		s.acceptInvalid = true
		return s
	}, "VALIDITY")
}

// TestByzantineSimulationCatchesUnboundedBuffer runs honest machines with a
// window of 1<<16 rounds while the checker holds them to the default 64, and
// requires the flood to break the bound.
func TestByzantineSimulationCatchesUnboundedBuffer(t *testing.T) {
	cfg := simConfig()
	cfg.MaxRoundsAhead = 1 << 16
	expectViolation(t, func(seed uint64) *sim {
		s := newByzSim(seed, cfg)
		s.window = DefaultMaxRoundsAhead
		return s
	}, "STATE BOUND")
}

// TestByzantineSimulationIsDeterministic: a byzantine seed replays exactly.
func TestByzantineSimulationIsDeterministic(t *testing.T) {
	for _, seed := range []uint64{5, 42, 1234} {
		a, b := newByzSim(seed, simConfig()).run(nil, false), newByzSim(seed, simConfig()).run(nil, false)
		if a.events != b.events || a.heights != b.heights || a.virtual != b.virtual || strings.Join(a.trace, "\n") != strings.Join(b.trace, "\n") {
			t.Fatalf("seed %d ran differently twice: %d/%d events, heights %q/%q", seed, a.events, b.events, a.heights, b.heights)
		}
	}
}
