package node

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
)

var (
	driveSimSeeds   = flag.Int("sim.seeds", 200, "number of driver-simulation seeds to run (TestDriverSimulation)")
	driveSimSeed    = flag.Int64("sim.seed", -1, "replay one driver-simulation seed")
	driveSimVerbose = flag.Bool("sim.verbose", false, "print every log record of the simulated nodes (with -sim.seed)")
)

// Driver-simulation bounds.
const (
	// simLiveHeights is how many heights past the best one at healing every
	// node must commit once all faults healed.
	simLiveHeights = 3
	// simLiveBound is the virtual time they have for it.
	simLiveBound = 30 * time.Second
)

// simFaultKind is what one scheduled fault does.
type simFaultKind int

const (
	faultPartition simFaultKind = iota // split the nodes in two groups for a while
	faultCrash                         // kill a node (crashKind says where) and restart it later
	faultWithhold                      // keep a coming height's proposals from one node
	numFaultKinds
)

// simFault is one fault of a seed's schedule.
type simFault struct {
	at    time.Duration // virtual time after start
	kind  simFaultKind
	node  int           // crash, withhold: the node
	crash int32         // crash: where
	dur   time.Duration // partition: how long; crash: downtime
	split []int         // partition: the nodes of the first group
	// lose (crash): the restarted node's database lacks the blocks of its
	// locked and valid values (as one written before they were saved
	// would), so it may decide a block it does not hold.
	lose bool
}

func (f simFault) String() string {
	switch f.kind {
	case faultPartition:
		return fmt.Sprintf("%s partition %v | rest for %s", f.at, f.split, f.dur)
	case faultCrash:
		lost := ""
		if f.lose {
			lost = ", value blocks lost"
		}
		return fmt.Sprintf("%s crash v%d %s, down %s%s", f.at, f.node, crashKindNames[f.crash], f.dur, lost)
	default:
		return fmt.Sprintf("%s withhold the proposals of head+2 from v%d", f.at, f.node)
	}
}

// simParams is everything a seed draws.
type simParams struct {
	seed               uint64
	blockTime          time.Duration
	minDelay, maxDelay time.Duration
	drop, dup          float64
	join               bool   // a fifth validator stakes and joins at an epoch
	epoch              uint64 // epoch length
	faultPhase         time.Duration
	faults             []simFault
	// equivocator is a validator that double-signs on purpose (the
	// checks' own test), -1 for none.
	equivocator int
	// withholder (a third of the seeds, none with a joiner) is a
	// byzantine validator, v3, with 1000 of 3100 power, whose every own
	// message goes once to a per-message subset of its peers and is never
	// re-sent; small is the honest validator with 100 power (the others
	// have 1000), so the honest quorum needs every honest node.
	withholder bool
	small      int
	// genesis, if set, changes the genesis (stakes, timeouts) of a staged
	// scenario; prepare, if set, sees the world before its nodes start.
	genesis func(*genesis.Genesis)
	prepare func(*simWorld)
}

func (p simParams) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "block %s, delay [%s, %s], drop %.2f, dup %.2f, join %v (epoch %d), faults for %s:",
		p.blockTime, p.minDelay, p.maxDelay, p.drop, p.dup, p.join, p.epoch, p.faultPhase)
	if p.withholder {
		fmt.Fprintf(&b, "\n    byzantine v3 withholds its messages (1000 of 3100 power; v%d has 100)", p.small)
	}
	for _, f := range p.faults {
		b.WriteString("\n    " + f.String())
	}
	return b.String()
}

// drawSimParams draws seed's cluster and fault schedule.
func drawSimParams(seed uint64) simParams {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	p := simParams{seed: seed, blockTime: []time.Duration{150, 250, 400}[rng.IntN(3)] * time.Millisecond,
		join: seed%3 == 0, epoch: 4, equivocator: -1}
	p.maxDelay = []time.Duration{5, 40, 150, 400}[rng.IntN(4)] * time.Millisecond // 400ms: next-height messages overtake
	p.minDelay = time.Duration(rng.Int64N(int64(p.maxDelay/4) + 1))
	p.drop = float64(rng.IntN(4)) * 0.05
	p.dup = float64(rng.IntN(3)) * 0.1
	p.faultPhase = time.Duration(2500+rng.IntN(3000)) * time.Millisecond
	nodes := 4
	if p.join {
		nodes = 5
	}
	for range 3 + rng.IntN(4) {
		f := simFault{at: time.Duration(200+rng.IntN(int(p.faultPhase/time.Millisecond)-700)) * time.Millisecond,
			kind: simFaultKind(rng.IntN(int(numFaultKinds))), node: rng.IntN(nodes)}
		switch f.kind {
		case faultPartition:
			perm := rng.Perm(nodes)
			f.split = perm[:1+rng.IntN(nodes-1)]
			slices.Sort(f.split)
			f.dur = time.Duration(300+rng.IntN(2500)) * time.Millisecond
		case faultCrash:
			f.crash = int32(rng.IntN(numCrashKinds))
			f.dur = time.Duration(100+rng.IntN(2000)) * time.Millisecond
			f.lose = rng.IntN(3) == 0
		}
		p.faults = append(p.faults, f)
	}
	slices.SortStableFunc(p.faults, func(a, b simFault) int { return int(a.at - b.at) })
	// Drawn apart, so the draws above stay what they were before it.
	p.withholder, p.small = seed%3 == 2, int(seed/3%3)
	return p
}

// simStats counts what a run exercised.
type simStats struct {
	seeds, partitions, withheld, joins int
	crashes                            [numCrashKinds]int
	decidedWithoutBlock, completed     int // decided a block not held; then committed it
	syncedCommits                      int // blocks committed from sync
	restored                           int // restarts that restored a consensus state
	guardRefusals                      int // the double-sign guard refused a request
	messages                           int // distinct consensus messages on the wire
	withholders                        int // seeds with a withholding validator
	byzSent, byzWithheld               int // its own hops delivered; dropped
	virtual                            time.Duration
	// slowestRecovery is the longest virtual time from healing to the
	// liveness target, and the seed it took.
	slowestRecovery time.Duration
	slowestSeed     uint64
}

func (s *simStats) add(o simStats) {
	s.seeds += o.seeds
	s.partitions += o.partitions
	s.withheld += o.withheld
	s.joins += o.joins
	for i := range s.crashes {
		s.crashes[i] += o.crashes[i]
	}
	s.decidedWithoutBlock += o.decidedWithoutBlock
	s.completed += o.completed
	s.syncedCommits += o.syncedCommits
	s.restored += o.restored
	s.guardRefusals += o.guardRefusals
	s.messages += o.messages
	s.withholders += o.withholders
	s.byzSent += o.byzSent
	s.byzWithheld += o.byzWithheld
	s.virtual += o.virtual
	if o.slowestRecovery > s.slowestRecovery {
		s.slowestRecovery, s.slowestSeed = o.slowestRecovery, o.slowestSeed
	}
}

func (s simStats) String() string {
	return fmt.Sprintf("%d seeds, %s virtual, %d messages: %d partitions, crashes %v (%v), %d proposal hops withheld, "+
		"%d blocks committed from sync, %d decided without the block (%d completed), %d states restored, %d guard refusals, %d validators joined, "+
		"%d withholding validators (%d own hops sent, %d withheld); slowest recovery %s (seed %d)",
		s.seeds, s.virtual.Round(time.Second), s.messages, s.partitions, s.crashes, crashKindNames, s.withheld,
		s.syncedCommits, s.decidedWithoutBlock, s.completed, s.restored, s.guardRefusals, s.joins,
		s.withholders, s.byzSent, s.byzWithheld, s.slowestRecovery, s.slowestSeed)
}

// replayCommand is the one command that replays seed.
func replayCommand(seed uint64) string {
	return fmt.Sprintf("go test ./node -run '^TestDriverSimulation$' -sim.seed=%d -v", seed)
}

// TestDriverSimulation runs the real driver (with gossip, sync, chain,
// memdb and the double-sign guard) of a 4-validator memnet cluster on
// virtual time, -sim.seeds seeds (200 by default), each drawing: the block
// time; hop delay (up to 400 ms, more than a block time, so next-height
// messages arrive early), drop and duplication; partitions that heal;
// crashes and restarts of a node on its database and guard, between two
// events or inside one (before a persist, before a signature, between a
// signature and its send), some losing the saved value blocks; a coming
// height's proposals withheld from one node, so the block is missing when
// the others decide and it must complete that height from sync; in a
// third of the seeds a fifth validator that stakes and joins at an epoch;
// in another third a byzantine validator (under a third of the power, the
// honest quorum needing every honest node) that sends each of its messages
// once, to some peers only, the relays to the others lost until healing,
// so that only honest re-sends of its votes keep the chain live.
// On every seed: no validator signs two different messages for one height,
// round and type (every message on the wire is checked), every node holds
// the same block at every height, after every fault healed every node
// commits simLiveHeights more heights within simLiveBound of virtual time,
// and no node banned an honest peer. A failure prints the seed and the
// command that replays it: the seed fixes the cluster, the network's
// random draws and the fault schedule; goroutines still interleave as the
// scheduler runs them, so a replay reproduces the run in distribution
// (add -count=20 to hunt a rare one). With -short, 20 seeds.
func TestDriverSimulation(t *testing.T) {
	if *driveSimSeed >= 0 {
		seed := uint64(*driveSimSeed)
		t.Logf("seed %d: %s", seed, drawSimParams(seed))
		var st simStats
		synctest.Test(t, func(t *testing.T) { st = runDriveSim(t, seed) })
		t.Logf("seed %d: %s", seed, st)
		return
	}
	var (
		mu    sync.Mutex
		total simStats
	)
	seeds := *driveSimSeeds
	if testing.Short() && !flagSet("sim.seeds") {
		seeds = 20
	}
	start := time.Now()
	t.Run("seeds", func(t *testing.T) {
		for seed := uint64(1); seed <= uint64(seeds); seed++ {
			t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
				t.Parallel()
				var st simStats
				synctest.Test(t, func(t *testing.T) { st = runDriveSim(t, seed) })
				mu.Lock()
				total.add(st)
				mu.Unlock()
			})
		}
	})
	t.Logf("%s in %s", total, time.Since(start).Round(time.Millisecond))
	if t.Failed() || seeds < 100 {
		return
	}
	c := total.crashes
	if total.partitions == 0 || total.withheld == 0 || total.joins == 0 || total.syncedCommits == 0 || total.byzWithheld == 0 ||
		total.restored == 0 || slices.Contains(c[:], 0) {
		t.Errorf("some fault was never exercised: %s", total)
	}
}

// flagSet reports whether the named flag was given on the command line.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
