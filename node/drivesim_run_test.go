package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// simTick is how often (virtual) the controller looks at the world.
const simTick = 25 * time.Millisecond

// simTicker paces a controller loop on the bubble's virtual clock: each
// wait returns at the next simTick.
type simTicker struct{ t *time.Ticker }

func newSimTicker() simTicker { return simTicker{time.NewTicker(simTick)} }

// next waits for the next tick.
func (s simTicker) next() { <-s.t.C }

// stop releases the ticker.
func (s simTicker) stop() { s.t.Stop() }

// holdFor checks cond at every tick for d of virtual time and returns its
// first failure, if any.
func holdFor(d time.Duration, cond func() error) error {
	tick := newSimTicker()
	defer tick.stop()
	for end := time.Now().Add(d); time.Now().Before(end); tick.next() {
		if err := cond(); err != nil {
			return err
		}
	}
	return cond()
}

// simRun is the controller of one seed, running on the test goroutine in
// the bubble.
type simRun struct {
	t     *testing.T
	p     simParams
	w     *simWorld
	logs  *simLog
	start time.Time
	st    simStats
	// restartAt is when each down node comes back.
	restartAt map[*simNode]time.Duration
	// downFor is the downtime of a node armed to crash inside its driver.
	downFor      map[*simNode]time.Duration
	partitionEnd time.Duration // 0: no partition
	staked       bool
}

// runDriveSim runs one seed inside the caller's synctest bubble and
// returns what it exercised; a violated check (agreement, no double sign,
// liveness after healing, no honest peer banned) fails t with the seed, its
// replay command, the heights and the tail of the nodes' logs.
func runDriveSim(t *testing.T, seed uint64) simStats {
	p := drawSimParams(seed)
	r := &simRun{t: t, p: p, logs: newSimLog(), restartAt: make(map[*simNode]time.Duration), downFor: make(map[*simNode]time.Duration)}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d FAILED\nreplay: %s   (goroutines interleave anew: add -count=20 if it passes once)\nparams: %s\nlast log records:%s",
				seed, replayCommand(seed), p, r.logs.tail())
		}
	})
	r.w = newSimWorld(t, p, r.logs)
	r.start = time.Now()
	r.faultPhase()
	r.heal()
	r.liveness()
	r.agreement()
	r.noBans()
	if f := r.w.wire.doubleSign(); f != "" {
		t.Fatal(f)
	}
	r.proposalTimes()
	r.collect()
	return r.st
}

func (r *simRun) now() time.Duration { return time.Since(r.start) }

// faultPhase applies the schedule until the fault phase ends.
func (r *simRun) faultPhase() {
	next := 0
	tick := newSimTicker()
	defer tick.stop()
	for r.now() < r.p.faultPhase {
		now := r.now()
		if r.p.join && !r.staked && now >= 300*time.Millisecond {
			r.w.submitStake()
			r.staked = true
		}
		for ; next < len(r.p.faults) && r.p.faults[next].at <= now; next++ {
			r.apply(r.p.faults[next])
		}
		if r.partitionEnd != 0 && now >= r.partitionEnd {
			r.w.net.Heal()
			r.partitionEnd = 0
		}
		r.reviveDue(now)
		tick.next()
	}
}

// apply starts one fault.
func (r *simRun) apply(f simFault) {
	w := r.w
	switch f.kind {
	case faultPartition:
		var a, b []p2p.PeerID
		for i, sn := range w.nodes {
			if containsInt(f.split, i) {
				a = append(a, sn.id)
			} else {
				b = append(b, sn.id)
			}
		}
		w.net.Partition(a, b)
		r.partitionEnd = f.at + f.dur
		r.st.partitions++
	case faultCrash:
		sn := w.nodes[f.node]
		if sn.n == nil {
			return
		}
		sn.loseValues = f.lose
		if f.crash == crashStop {
			w.down(sn)
			r.st.crashes[crashStop]++
			r.restartAt[sn] = r.now() + f.dur
			return
		}
		r.downFor[sn] = f.dur
		sn.armed.Store(f.crash)
	case faultWithhold:
		h := consensus.Height(maxOf(w.heads()) + 2)
		w.wire.withhold(w.nodes[f.node].id, h)
	}
}

// reviveDue takes down the nodes whose driver crashed and restarts those
// whose downtime passed.
func (r *simRun) reviveDue(now time.Duration) {
	for _, sn := range r.w.nodes {
		if kind := sn.crashed.Load(); sn.n != nil && kind >= 0 {
			r.st.crashes[kind]++
			r.w.down(sn)
			r.restartAt[sn] = now + r.downFor[sn]
		}
		if at, ok := r.restartAt[sn]; ok && sn.n == nil && now >= at {
			delete(r.restartAt, sn)
			r.w.up(sn)
		}
	}
}

// heal ends every fault: the partition, loss, withholding, armed crashes;
// every node down comes back now.
func (r *simRun) heal() {
	w := r.w
	w.net.Heal()
	if err := w.net.SetLoss(0, 0); err != nil {
		r.t.Fatal(err)
	}
	w.wire.release()
	if w.withholder != nil {
		w.withholder.heal()
	}
	for _, sn := range w.nodes {
		sn.armed.Store(-1) // one that crashed already is restarted below
	}
	for _, sn := range w.nodes {
		r.restartAt[sn] = 0
	}
	r.reviveDue(r.now())
}

// liveness waits until every node committed simLiveHeights past the best
// height at healing, failing after simLiveBound.
func (r *simRun) liveness() {
	target := maxOf(r.w.heads()) + simLiveHeights
	healed := r.now()
	deadline := healed + simLiveBound
	tick := newSimTicker()
	defer tick.stop()
	for {
		r.reviveDue(r.now()) // a crash armed before healing may still fire
		heads := r.w.heads()
		if minOf(heads) >= target {
			r.st.slowestRecovery, r.st.slowestSeed = r.now()-healed, r.p.seed
			return
		}
		if r.now() > deadline {
			r.t.Fatalf("seed %d: LIVENESS violated: not every node reached height %d within %s of healing: heads %v%s",
				r.p.seed, target, simLiveBound, heads, r.states())
		}
		tick.next()
	}
}

// states describes every node's driver, for failure reports.
func (r *simRun) states() string {
	var b strings.Builder
	for _, sn := range r.w.nodes {
		if sn.n == nil {
			fmt.Fprintf(&b, "\n  %s: down", sn.id)
			continue
		}
		st := sn.n.Status()
		fmt.Fprintf(&b, "\n  %s: head %d, at h=%d r=%d %s decided=%v, peers %d", sn.id, sn.n.Chain().Head().Number(),
			st.Height, st.Round, st.Step, st.Decided, len(sn.n.net.Peers()))
	}
	return b.String()
}

// noBans checks that, all faults healed, every node is linked to every
// other: honest nodes never score each other down to a ban (what depends
// on local state is ignored, not rejected).
func (r *simRun) noBans() {
	for _, sn := range r.w.nodes {
		if got := len(sn.n.net.Peers()); got != len(r.w.nodes)-1 {
			r.t.Fatalf("seed %d: %s has %d peers after healing, want %d: an honest peer was banned%s",
				r.p.seed, sn.id, got, len(r.w.nodes)-1, r.states())
		}
	}
}

// agreement checks that every node holds the same block at every height.
func (r *simRun) agreement() {
	ref := map[uint64]common.Hash{}
	for _, sn := range r.w.nodes {
		c := sn.n.Chain()
		for h := uint64(1); h <= c.Head().Number(); h++ {
			b, err := c.BlockByNumber(h)
			if err != nil {
				r.t.Fatalf("seed %d: %s lost block %d: %v", r.p.seed, sn.id, h, err)
			}
			if want, ok := ref[h]; ok && want != b.Hash() {
				r.t.Fatalf("seed %d: AGREEMENT violated at height %d: %s holds %s, another node %s", r.p.seed, h, sn.id, b.Hash(), want)
			}
			ref[h] = b.Hash()
		}
	}
}

// proposalTimes fails unless the commits' log lines time their proposal's
// arrival at the gossip check, never after the driver took it up, and
// some after the height started (a proposal from another node crosses the
// simulated wire); and that the proposers' lines time their sends.
func (r *simRun) proposalTimes() {
	const msg = "Committed block"
	if n := r.logs.count(msg + " (proposal taken up before it arrived)"); n > 0 {
		r.t.Fatalf("seed %d: %d commits log a proposal that arrived after the driver took it up%s", r.p.seed, n, r.logs.tail())
	}
	if r.logs.count(msg) > 0 && r.logs.count(msg+" (own proposal sent)") == 0 {
		r.t.Fatalf("seed %d: none of %d commits logs when its node sent its own proposal%s", r.p.seed, r.logs.count(msg), r.logs.tail())
	}
	if r.logs.count(msg) > 0 && r.logs.count(msg+" (proposal arrived after the height started)") == 0 {
		r.t.Fatalf("seed %d: none of %d commits logs its proposal arriving after its height started%s", r.p.seed, r.logs.count(msg), r.logs.tail())
	}
}

// collect adds what the logs and the wire saw to the run's stats.
func (r *simRun) collect() {
	r.st.seeds = 1
	r.st.virtual = r.now()
	r.st.decidedWithoutBlock = r.logs.count("Decided a block this node has not received; fetching it")
	r.st.completed = r.logs.count("Received the decided block")
	r.st.syncedCommits = r.logs.count("Committed block (synced)")
	r.st.restored = r.logs.count("Restored consensus state")
	r.st.guardRefusals = r.logs.count("Double-sign guard refused a vote") + r.logs.count("Double-sign guard refused a proposal")
	ww := r.w.wire
	ww.mu.Lock()
	r.st.withheld, r.st.messages = ww.dropped, ww.messages
	ww.mu.Unlock()
	if b := r.w.withholder; b != nil {
		b.mu.Lock()
		r.st.withholders, r.st.byzSent, r.st.byzWithheld = 1, b.delivered, b.dropped
		b.mu.Unlock()
	}
	if r.p.join && inSet(r.w.nodes[0].n, crypto.PubkeyToAddress(r.w.keys[4].PublicKey)) {
		r.st.joins = 1
	}
}

func containsInt(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func maxOf(s []uint64) uint64 {
	var m uint64
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

func minOf(s []uint64) uint64 {
	if len(s) == 0 {
		return 0
	}
	m := s[0]
	for _, v := range s[1:] {
		m = min(m, v)
	}
	return m
}
