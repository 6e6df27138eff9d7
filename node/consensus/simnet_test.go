package consensus

import (
	"container/heap"
	"crypto/ecdsa"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

const simChainID = "bilayer-sim"

// simKeys are the validator keys shared by every run (read-only after init).
var simKeys = sync.OnceValue(func() []*ecdsa.PrivateKey {
	keys := make([]*ecdsa.PrivateKey, 16)
	for i := range keys {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("bilayer sim validator %d", i))))
		if err != nil {
			panic(err) // a constant input: cannot happen
		}
		keys[i] = k
	}
	return keys
})

// event is one thing that happens at a virtual instant. seq breaks ties so
// the order is a function of the seed alone.
type event struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type eventQueue []*event

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// simParams are the knobs of one run, all drawn from its seed.
type simParams struct {
	n          int
	powers     []int64
	byz        []int      // indices of the byzantine validators, ascending
	modes      []byzModes // modes[i] is how byz[i] misbehaves
	dropP      float64
	dupP       float64
	maxDelay   time.Duration
	faultPhase time.Duration
	crashP     float64 // per action, probability of a crash mid-batch
	maxCrashed int
}

func drawParams(seed uint64, rng *rand.Rand) simParams {
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
	if seed%5 != 0 { // most runs have one equivocating validator below 1/3 of the stake
		b := rng.IntN(p.n)
		var others int64
		for i, w := range p.powers {
			if i != b {
				others += w
			}
		}
		p.powers[b] = max(1, min(p.powers[b], (others-1)/2))
		p.byz, p.modes = []int{b}, []byzModes{{equivocate: true}}
	}
	p.drawFaults(rng)
	return p
}

// drawFaults draws the network and crash faults of the fault phase.
func (p *simParams) drawFaults(rng *rand.Rand) {
	p.dropP = rng.Float64() * 0.25
	p.dupP = rng.Float64() * 0.1
	p.maxDelay = time.Duration(10+rng.IntN(290)) * time.Millisecond
	p.faultPhase = time.Duration(2000+rng.IntN(6000)) * time.Millisecond
	p.crashP = rng.Float64() * 0.004
	p.maxCrashed = (p.n-1)/3 + 1
}

// isByz reports whether validator i is byzantine, and how.
func (p *simParams) isByz(i int) (byzModes, bool) {
	for j, b := range p.byz {
		if b == i {
			return p.modes[j], true
		}
	}
	return byzModes{}, false
}

func simConfig() Config {
	return Config{
		TimeoutPropose:        300 * time.Millisecond,
		TimeoutProposeDelta:   100 * time.Millisecond,
		TimeoutPrevote:        150 * time.Millisecond,
		TimeoutPrevoteDelta:   75 * time.Millisecond,
		TimeoutPrecommit:      150 * time.Millisecond,
		TimeoutPrecommitDelta: 75 * time.Millisecond,
		MaxRoundsAhead:        DefaultMaxRoundsAhead,
	}
}

// blockInfo is what the simulated application knows of a built block.
type blockInfo struct {
	height Height
	valid  bool
}

// sim is one deterministic run: the nodes, the network, virtual time and the
// checker, all driven from one seed.
type sim struct {
	seed    uint64
	rng     *rand.Rand
	params  simParams
	cfg     Config
	now     time.Duration
	seq     uint64
	queue   eventQueue
	events  int
	nodes   []*simNode
	valsets []*ValidatorSet // index = height
	verify  *Verifier
	blocks  map[BlockID]blockInfo
	byH     map[Height][]BlockID
	healing bool
	// group is each node's side of the current partition (nil: none).
	group []int
	check checker
	trace []string
	log   func(string)
	debug func(node int, what string) // optional per-action trace
	stats simStats
	// amnesia (checker test only) makes restarted nodes forget everything
	// they persisted, signer state included.
	amnesia bool
	// test names the test that replays a seed of this kind of run.
	test string
	// window is the MaxRoundsAhead the checker holds honest machines to when
	// it bounds their buffered state (simbound_test.go).
	window Round
	// skipOnOneVote and acceptInvalid (checker tests only) break honest
	// nodes: the first makes a single future-round vote move them to its
	// round, the second makes their Validate accept invalid blocks.
	skipOnOneVote, acceptInvalid bool
	// relay makes honest nodes relay other validators' messages once the
	// faults heal (simrelay_test.go).
	relay bool
	// coordinate makes equivocating validators split the nodes the same way
	// at each height (split), rather than each message at random.
	coordinate bool
	split      map[Height][]bool
}

// simStats counts what a run exercised, so a reader can see the faults
// actually happened.
type simStats struct {
	commits, crashes, signerCrashes, refusals, partitions, evidence, catchUps int
	// What byzantine validators did (simbyz_test.go, simflood_test.go):
	// votes whose value ignored the machine's choice, those of them for a
	// value other than the one it was locked on, spoiled proposals, messages
	// withheld from a peer, flood messages sent.
	lockIgnored, lockBroken, spoiled, withheld, floods int
	// skips counts honest round skips, each checked to rest on f+1 senders.
	skips int
	// maxAhead, maxRounds and maxVotes are the most rounds ahead of round_p,
	// rounds and votes an honest machine held at once (simbound_test.go).
	maxAhead, maxRounds, maxVotes int
}

func (a *simStats) add(b simStats) {
	a.commits += b.commits
	a.crashes += b.crashes
	a.signerCrashes += b.signerCrashes
	a.refusals += b.refusals
	a.partitions += b.partitions
	a.evidence += b.evidence
	a.catchUps += b.catchUps
	a.lockIgnored += b.lockIgnored
	a.lockBroken += b.lockBroken
	a.spoiled += b.spoiled
	a.withheld += b.withheld
	a.floods += b.floods
	a.skips += b.skips
	a.maxAhead = max(a.maxAhead, b.maxAhead)
	a.maxRounds = max(a.maxRounds, b.maxRounds)
	a.maxVotes = max(a.maxVotes, b.maxVotes)
}

// newSim builds a run of TestSimulation: at most one byzantine validator,
// which equivocates.
func newSim(seed uint64, cfg Config) *sim {
	return newSimWith(seed, cfg, drawParams, "TestSimulation")
}

// newSimWith builds a run whose parameters draw takes from the seed; test
// names the test whose -sim.seed flag replays it.
func newSimWith(seed uint64, cfg Config, draw func(uint64, *rand.Rand) simParams, test string) *sim {
	rng := rand.New(rand.NewPCG(seed, 0x62696c61796572))
	s := &sim{
		seed: seed, rng: rng, cfg: cfg, test: test, window: cfg.maxRoundsAhead(),
		verify: NewVerifier(simChainID, 1<<16),
		blocks: make(map[BlockID]blockInfo),
		byH:    make(map[Height][]BlockID),
		check:  newChecker(),
	}
	s.params = draw(seed, rng)
	keys := simKeys()
	vals := make([]Validator, s.params.n)
	for i := range vals {
		vals[i] = Validator{Address: crypto.PubkeyToAddress(keys[i].PublicKey), Power: s.params.powers[i]}
	}
	genesis, err := NewValidatorSet(vals)
	if err != nil {
		panic(fmt.Sprintf("seed %d: %v", seed, err)) // drawParams makes valid sets
	}
	s.valsets = []*ValidatorSet{nil, genesis}
	for i := 0; i < s.params.n; i++ {
		modes, byz := s.params.isByz(i)
		n := newSimNode(s, i, keys[i], byz)
		if byz {
			n.byz = newByzState(modes)
		}
		s.nodes = append(s.nodes, n)
	}
	return s
}

func (s *sim) logf(format string, args ...any) {
	line := fmt.Sprintf("%9s ", s.now) + fmt.Sprintf(format, args...)
	if s.log != nil {
		s.log(line)
	}
	if len(s.trace) >= 60 {
		s.trace = s.trace[1:]
	}
	s.trace = append(s.trace, line)
}

func (s *sim) at(d time.Duration, fn func()) {
	s.seq++
	heap.Push(&s.queue, &event{at: s.now + d, seq: s.seq, fn: fn})
}

func (s *sim) valsetFor(h Height) *ValidatorSet {
	for Height(len(s.valsets)) <= h {
		s.valsets = append(s.valsets, s.valsets[len(s.valsets)-1].NextHeight())
	}
	return s.valsets[h]
}

// newBlock registers a freshly built block for height h.
func (s *sim) newBlock(h Height, valid bool) BlockID {
	var id BlockID
	for i := 0; i < len(id); i += 8 {
		v := s.rng.Uint64()
		for j := 0; j < 8; j++ {
			id[i+j] = byte(v >> (8 * j))
		}
	}
	s.blocks[id] = blockInfo{height: h, valid: valid}
	s.byH[h] = append(s.byH[h], id)
	return id
}

// send puts msg on the wire from one node to another, applying the faults of
// the current phase: partition, drop, delay (hence reordering), duplication.
func (s *sim) send(from, to int, msg any) {
	if from == to {
		return
	}
	if !s.healing {
		if s.group != nil && s.group[from] != s.group[to] {
			return
		}
		if s.rng.Float64() < s.params.dropP {
			return
		}
	}
	copies := 1
	if s.rng.Float64() < s.params.dupP {
		copies = 2
	}
	maxDelay := s.params.maxDelay
	if s.healing {
		maxDelay = min(maxDelay, 30*time.Millisecond)
	}
	for range copies {
		d := time.Millisecond + time.Duration(s.rng.Int64N(int64(maxDelay)))
		s.at(d, func() { s.nodes[to].receive(from, msg) })
	}
}

func (s *sim) broadcast(from int, msg any) {
	for to := range s.nodes {
		s.send(from, to, msg)
	}
}

// chaos injects one fault of the fault phase and schedules the next.
func (s *sim) chaos() {
	if s.healing {
		return
	}
	switch k := s.rng.IntN(10); {
	case k < 3:
		s.crashSomeone()
	case k < 6:
		if down := s.downNodes(); len(down) > 0 {
			s.nodes[down[s.rng.IntN(len(down))]].restart()
		}
	case k < 7:
		s.group = make([]int, len(s.nodes))
		for i := range s.group {
			s.group[i] = s.rng.IntN(2)
		}
		s.stats.partitions++
		s.logf("partition %v", s.group)
	case k < 9:
		if s.group != nil {
			s.group = nil
			s.logf("partition healed")
		}
	}
	s.at(time.Duration(100+s.rng.IntN(400))*time.Millisecond, s.chaos)
}

func (s *sim) downNodes() []int {
	var down []int
	for i, n := range s.nodes {
		if !n.up {
			down = append(down, i)
		}
	}
	return down
}

// crashSomeone crashes a random running node if the crash budget allows.
func (s *sim) crashSomeone() {
	if len(s.downNodes()) >= s.params.maxCrashed {
		return
	}
	n := s.nodes[s.rng.IntN(len(s.nodes))]
	if n.up {
		n.crash("chaos")
	}
}

// mayCrashMidBatch reports whether n crashes now, between two actions.
func (s *sim) mayCrashMidBatch() bool {
	return !s.healing && s.rng.Float64() < s.params.crashP && len(s.downNodes()) < s.params.maxCrashed
}

// heal ends the fault phase: every node runs, the network is whole and fast.
func (s *sim) heal() {
	s.healing = true
	s.group = nil
	for _, i := range s.downNodes() {
		s.nodes[i].restart()
	}
	if s.relay {
		for _, n := range s.nodes {
			n.relayHeard()
		}
	}
	s.logf("healed: heights %s", s.heights())
}

func (s *sim) heights() string {
	var b strings.Builder
	for i, n := range s.nodes {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", n.committed())
	}
	return b.String()
}

func (s *sim) addr(i int) common.Address { return s.nodes[i].addr }
