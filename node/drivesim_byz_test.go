package node

import (
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// A withholding byzantine validator against the real driver (issue 15):
// the driver must re-send the votes of others it holds, not only its own,
// or a validator under a third of the power that sends a vote once, to
// some honest nodes only, stalls a height for good.

// Roles of the withholding scenario's validators (node indexes).
const (
	whA   = 0 // honest, 1000 power
	whB   = 1 // honest, 1000 power
	whC   = 2 // honest, 100 power: the honest quorum needs it
	whByz = 3 // byzantine, 1000 power (32% of 3100)
)

// withholdPlan is what the byzantine validator does at the first height
// it proposes in round 0 once armed (plan height H), and the loss the
// network adds before GST. The byzantine node runs the honest driver;
// the plan filters its sends:
//
//   - its proposal and prevote of (H, 0) go to A and B only, its precommit
//     of (H, 0) to C only, each once: every other send of a message it
//     signed at H (a re-send, any later round) is dropped, for good;
//   - its driver halts before it commits H (it goes silent; it never
//     holds block H, so nobody can sync it from it);
//   - before GST, every hop of its proposal of H to C and of its
//     precommit of (H, 0) to A or B is lost, relays by honest nodes
//     included. From GST on, honest nodes' relays all arrive.
//
// So A and B prevote and precommit H's block with its prevote (a polka of
// 3000 of 3100), C, holding no proposal, sees the precommits of A, B and
// the byzantine validator (2f+1 of any value) before its propose timeout,
// and leaves round 0 without voting in it. A and B hold 2000 of the 2067
// precommits they need and wait in round 0 for good; C's round-1 votes
// (100) are not f+1 for them, and round 1 never gets 2f+1 prevotes. Only C
// holds the byzantine precommit that would let A and B decide: it must
// re-send it.
type withholdPlan struct {
	hosts [4]p2p.PeerID
	byz   common.Address

	mu      sync.Mutex
	from    consensus.Height // armed: the plan height is the first one from here
	h       consensus.Height // the plan height, 0 until the byzantine validator proposes it
	gst     bool
	sent    map[withholdSend]bool
	dropped int // hops the plan dropped
}

type withholdSend struct {
	id [32]byte
	to p2p.PeerID
}

// filter is the wire watch's filter (wireWatch.filter).
func (p *withholdPlan) filter(from, to p2p.PeerID, m wireMsg) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m.signer != p.byz {
		return true
	}
	if p.h == 0 && p.from > 0 && from == p.hosts[whByz] && m.proposal && m.round == 0 && m.height >= p.from {
		p.h = m.height
	}
	if p.h == 0 || m.height != p.h {
		return true
	}
	precommit0 := !m.proposal && m.typ == consensus.Precommit && m.round == 0
	toAB := to == p.hosts[whA] || to == p.hosts[whB]
	if from == p.hosts[whByz] {
		planned := m.round == 0 && (precommit0 && to == p.hosts[whC] || !precommit0 && toAB)
		key := withholdSend{m.id, to}
		if planned && !p.sent[key] {
			p.sent[key] = true
			return true
		}
		p.dropped++
		return false
	}
	if !p.gst && (m.proposal && to == p.hosts[whC] || precommit0 && toAB) {
		p.dropped++
		return false
	}
	return true
}

// haltBefore halts the byzantine driver before it commits the plan height.
func (p *withholdPlan) haltBefore(sn *simNode, a consensus.Action) bool {
	c, ok := a.(consensus.CommitBlock)
	if !ok || sn.idx != whByz {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.h != 0 && c.Commit.Height == p.h
}

// randomWithholder is the byzantine validator of TestDriverSimulation's
// withholding seeds: every message it signs goes, once, to the peers a
// hash of the seed, the message's slot and the peer picks (each with
// probability 1/2), and never again: its re-sends are dropped, for the
// whole run, healing included. Until healing (GST), the network also loses
// every relay of such a message to a peer it was withheld from; from then
// on relays by others arrive (at the network's drop rate, zero after
// healing).
type randomWithholder struct {
	seed uint64
	host p2p.PeerID
	addr common.Address

	mu                 sync.Mutex
	healed             bool
	sent               map[withholdSend]bool
	delivered, dropped int
}

// heal ends the loss of relays.
func (b *randomWithholder) heal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.healed = true
}

// filter is the wire watch's filter (wireWatch.filter).
func (b *randomWithholder) filter(from, to p2p.PeerID, m wireMsg) bool {
	if m.signer != b.addr {
		return true
	}
	slot := uint64(m.height)<<20 ^ uint64(m.round)<<4 ^ uint64(m.typ)<<1
	if m.proposal {
		slot |= 1
	}
	hh := fnv.New64a()
	fmt.Fprintf(hh, "%d/%d/%s", b.seed, slot, to)
	chosen := hh.Sum64()&1 == 0
	b.mu.Lock()
	defer b.mu.Unlock()
	if from != b.host {
		if !chosen && !b.healed {
			b.dropped++
			return false
		}
		return true
	}
	key := withholdSend{m.id, to}
	if chosen && !b.sent[key] {
		b.sent[key] = true
		b.delivered++
		return true
	}
	b.dropped++
	return false
}

// TestDriverSimulationWithholdingValidator runs withholdPlan on four real
// nodes in a synctest bubble: the split must form (A and B in round 0 of
// H, C in a later round, before GST), after GST every honest node must
// commit H within 20 s of virtual time and three heights more within 20 s,
// and no honest node may ban another. Without relaying the votes of
// others (driver_relay.go) the height stalls for good.
func TestDriverSimulationWithholdingValidator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := drawSimParams(1)
		p.faults, p.drop, p.dup, p.join, p.withholder = nil, 0, 0, false, false
		p.minDelay, p.maxDelay = 2*time.Millisecond, 10*time.Millisecond
		p.blockTime = 200 * time.Millisecond
		plan := &withholdPlan{sent: make(map[withholdSend]bool)}
		p.genesis = func(g *genesis.Genesis) {
			for i := range g.Validators {
				g.Validators[i].Stake = genesis.Ether(1000)
			}
			g.Validators[whC].Stake = genesis.Ether(100)
			// C must see the precommits and leave round 0 well before its
			// propose timeout would make it prevote.
			g.Consensus.TimeoutPropose.Duration = 2 * time.Second
			g.Consensus.TimeoutPrecommit.Duration = 200 * time.Millisecond
		}
		p.prepare = func(w *simWorld) {
			for i := range plan.hosts {
				plan.hosts[i] = w.nodes[i].id
			}
			plan.byz = crypto.PubkeyToAddress(w.keys[whByz].PublicKey)
			w.wire.filter = plan.filter
			w.haltBefore = plan.haltBefore
		}
		logs := newSimLog()
		w := newSimWorld(t, p, logs)
		r := &simRun{t: t, p: p, w: w, logs: logs, start: time.Now()}
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("states:%s\nlast log records:%s", r.states(), logs.tail())
			}
		})
		honest := []int{whA, whB, whC}
		heads := func() []uint64 {
			all := w.heads()
			return []uint64{all[whA], all[whB], all[whC]}
		}
		waitFor := func(what string, bound time.Duration, cond func() bool) {
			t.Helper()
			waitfor.Until(t, bound, func() error {
				if cond() {
					return nil
				}
				return fmt.Errorf("%s (virtual time); heads %v", what, w.heads())
			})
		}
		waitFor("two heights committed", 10*time.Second, func() bool { return minOf(w.heads()) >= 2 })
		plan.mu.Lock()
		plan.from = consensus.Height(maxOf(w.heads()) + 2)
		plan.mu.Unlock()
		planHeight := func() consensus.Height {
			plan.mu.Lock()
			defer plan.mu.Unlock()
			return plan.h
		}
		waitFor("the byzantine validator proposes in round 0", 20*time.Second, func() bool { return planHeight() != 0 })
		h := planHeight()
		status := func(i int) ConsensusStatus { return w.nodes[i].n.Status() }
		waitFor(fmt.Sprintf("the split at height %d (A, B in round 0, C in a later round)", h), 10*time.Second, func() bool {
			a, b, c := status(whA), status(whB), status(whC)
			return a.Height == uint64(h) && a.Round == 0 && b.Height == uint64(h) && b.Round == 0 &&
				c.Height == uint64(h) && c.Round >= 1
		})
		// The split holds before GST: nothing of the byzantine validator's
		// (H, 0) precommit reaches A or B.
		if err := holdFor(2*time.Second, func() error {
			if a, b := status(whA), status(whB); a.Height != uint64(h) || a.Round != 0 || b.Height != uint64(h) || b.Round != 0 {
				return fmt.Errorf("A or B left round 0 of height %d before GST: %+v %+v", h, a, b)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		plan.mu.Lock()
		plan.gst = true
		plan.mu.Unlock()
		gst := time.Now()
		waitFor(fmt.Sprintf("LIVENESS: height %d stalled: the honest nodes did not commit it within 20 s of GST: "+
			"only C holds the byzantine precommit A and B need, and it must re-send it", h), 20*time.Second,
			func() bool { return minOf(heads()) >= uint64(h) })
		plan.mu.Lock()
		dropped := plan.dropped
		plan.mu.Unlock()
		t.Logf("height %d committed by every honest node %s after GST; the plan dropped %d hops", h,
			time.Since(gst).Round(time.Millisecond), dropped)
		// The byzantine validator stays silent (its driver halted): the
		// honest nodes go on alone, through heights it was to propose
		// (which take longer than relayAfter, so votes are re-sent).
		target := uint64(h) + 3
		waitFor(fmt.Sprintf("LIVENESS: the honest nodes did not reach height %d within 20 s", target), 20*time.Second,
			func() bool { return minOf(heads()) >= target })
		// Agreement among the honest nodes, and no double sign on the wire.
		ref := map[uint64]common.Hash{}
		for _, i := range honest {
			c := w.nodes[i].n.Chain()
			for hh := uint64(1); hh <= c.Head().Number(); hh++ {
				b, err := c.BlockByNumber(hh)
				if err != nil {
					t.Fatal(err)
				}
				if want, ok := ref[hh]; ok && want != b.Hash() {
					t.Fatalf("AGREEMENT violated at height %d", hh)
				}
				ref[hh] = b.Hash()
			}
		}
		if f := w.wire.doubleSign(); f != "" {
			t.Fatal(f)
		}
		// Re-sent votes a peer already holds are duplicates, not rejects:
		// no honest node banned another.
		for _, i := range honest {
			if got := len(w.nodes[i].n.net.Peers()); got != len(w.nodes)-1 {
				t.Fatalf("%s has %d peers, want %d: a peer was banned", w.nodes[i].id, got, len(w.nodes)-1)
			}
		}
	})
}
