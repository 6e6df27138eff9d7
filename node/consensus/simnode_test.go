package consensus

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/bilayer/bilayer/node/signer"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// simNode is one validator process: a Machine and the driver around it. The
// fields marked durable survive a crash; everything else is lost.
type simNode struct {
	s         *sim
	idx       int
	addr      common.Address
	key       *ecdsa.PrivateKey
	byzantine bool
	byz       *byzState // its misbehaviour, if byzantine (kept across crashes)

	// durable
	persisted *PersistedState
	signStore *signer.MemStore
	chain     map[Height]Commit

	// volatile
	up          bool
	incarnation int
	m           *Machine
	guard       *signer.Signer
	ownVotes    []Vote
	ownProposal *proposalMsg
	observed    map[voteKey]map[BlockID]bool
	accused     map[voteKey]bool
	replied     map[int]replyMark
	fed         roundSenders // who the machine heard from, per round (honest nodes)
	heard       relayLog     // messages of others to relay (simrelay_test.go)
}

// proposalMsg is a proposal on the wire, with the polka that justifies a
// re-proposal.
type proposalMsg struct {
	p   Proposal
	pol []Vote
}

// voteKey names one (validator, height, round, type) slot: two different
// values in one slot are an equivocation.
type voteKey struct {
	val common.Address
	h   Height
	r   Round
	t   VoteType
}

func newSimNode(s *sim, idx int, key *ecdsa.PrivateKey, byzantine bool) *simNode {
	n := &simNode{
		s: s, idx: idx, key: key, byzantine: byzantine,
		addr:      crypto.PubkeyToAddress(key.PublicKey),
		signStore: signer.NewMemStore(),
		chain:     make(map[Height]Commit),
	}
	return n
}

func (n *simNode) committed() Height { return Height(len(n.chain)) }

// boot starts the node from exactly its durable state.
func (n *simNode) boot() {
	n.up = true
	n.incarnation++
	n.observed = make(map[voteKey]map[BlockID]bool)
	n.accused = make(map[voteKey]bool)
	n.replied = make(map[int]replyMark)
	n.ownVotes, n.ownProposal = nil, nil
	n.fed = roundSenders{}
	n.heard = relayLog{}
	guard, err := signer.New(n.key, n.signStore)
	if err != nil {
		n.up = false
		n.s.check.failf("node %d: signer restart: %v", n.idx, err)
		return
	}
	n.guard = guard
	next := n.committed() + 1
	if n.persisted != nil && n.persisted.Height == next {
		n.m = RestoreMachine(n.s.cfg, n.addr, *n.persisted, n.s.valsetFor(next))
	} else {
		n.m = NewMachine(n.s.cfg, n.addr, next, n.s.valsetFor(next))
	}
	n.perform(n.m.Start())
	n.scheduleGossip()
}

func (n *simNode) crash(why string) {
	n.up = false
	n.incarnation++
	n.m, n.guard = nil, nil
	n.s.stats.crashes++
	n.s.logf("node %d crashes (%s) at h=%d", n.idx, why, n.committed()+1)
}

func (n *simNode) restart() {
	n.s.logf("node %d restarts", n.idx)
	if n.s.amnesia {
		n.persisted, n.signStore = nil, signer.NewMemStore()
	}
	n.boot()
}

// alive returns a guard for callbacks scheduled by this incarnation.
func (n *simNode) alive() func() bool {
	inc := n.incarnation
	return func() bool { return n.up && n.incarnation == inc }
}

func (n *simNode) scheduleGossip() {
	ok := n.alive()
	n.s.at(time.Duration(200+n.s.rng.IntN(100))*time.Millisecond, func() {
		if ok() {
			n.gossip()
			n.scheduleGossip()
		}
	})
}

// gossip re-sends this node's own messages of its current height, standing in
// for the gossip layer that repairs dropped messages.
func (n *simNode) gossip() {
	h := n.m.Height()
	if p := n.ownProposal; p != nil && p.p.Height == h {
		n.sendAll(*p)
	}
	n.ownVotes = slices.DeleteFunc(n.ownVotes, func(v Vote) bool { return v.Height < h })
	for _, v := range n.ownVotes {
		n.sendAll(v)
	}
	if n.byz != nil && n.byz.modes.flood {
		n.flood()
	}
	if !n.byzantine {
		n.s.check.bounded(n.s, n)
	}
}

// step feeds one input from the outside world (network, clock, application)
// and performs what follows.
func (n *simNode) step(in Input) {
	if n.s.debug != nil {
		n.s.debug(n.idx, fmt.Sprintf("input %T %+v", in, in))
	}
	n.perform(n.stepMachine(in))
}

// perform carries out the actions of one Step in order — persist, sign,
// send, apply — before the answers they produce (signed messages, built
// values, Applied) are fed back as the next inputs, one Step at a time.
func (n *simNode) perform(actions []Action) {
	ok := n.alive()
	var inputs []Input
	for ok() {
		for _, a := range actions {
			if n.s.mayCrashMidBatch() {
				n.crash("between actions")
			}
			if !ok() {
				return
			}
			if n.s.debug != nil {
				n.s.debug(n.idx, fmt.Sprint(a))
			}
			if in := n.do(a); in != nil {
				inputs = append(inputs, in)
			}
		}
		if len(inputs) == 0 || !ok() {
			return
		}
		if n.s.debug != nil {
			n.s.debug(n.idx, fmt.Sprintf("input %T %+v", inputs[0], inputs[0]))
		}
		actions = n.stepMachine(inputs[0])
		inputs = inputs[1:]
	}
}

func (n *simNode) do(a Action) Input {
	s := n.s
	switch a := a.(type) {
	case Persist:
		st := a.State
		n.persisted = &st
	case SignVote:
		return n.signVote(a.Vote)
	case SignProposal:
		return n.signProposal(a.Proposal)
	case BroadcastVote:
		n.ownVotes = append(n.ownVotes, a.Vote)
		s.broadcast(n.idx, a.Vote)
	case BroadcastProposal:
		msg := proposalMsg{p: a.Proposal, pol: a.POL}
		n.ownProposal = &msg
		s.broadcast(n.idx, msg)
	case ScheduleTimeout:
		ok := n.alive()
		in := TimeoutFired{Height: a.Height, Round: a.Round, Step: a.Step}
		s.at(a.Duration, func() {
			if ok() {
				n.step(in)
			}
		})
	case BuildValue:
		valid := !n.byzantine || s.rng.IntN(3) > 0
		id := s.newBlock(a.Height, valid)
		return ValueBuilt{Height: a.Height, Round: a.Round, BlockID: id}
	case Validate:
		info, known := s.blocks[a.BlockID]
		res := ValidationResult{Height: a.Height, BlockID: a.BlockID, Valid: known && (info.valid || s.acceptInvalid) && info.height == a.Height}
		ok := n.alive()
		s.at(time.Duration(s.rng.IntN(10))*time.Millisecond, func() {
			if ok() {
				n.step(res)
			}
		})
	case CommitBlock:
		c := a.Commit
		s.check.commit(s, n, c)
		n.chain[c.Height] = c
		s.stats.commits++
		s.logf("node %d commits h=%d r=%d %s", n.idx, c.Height, c.Round, c.BlockID)
		return Applied{Height: c.Height, Next: s.valsetFor(c.Height + 1)}
	case ReportEvidence:
		s.stats.evidence++
		s.check.evidence(s, n, a.Evidence)
	}
	return nil
}

func (n *simNode) signVote(v Vote) Input {
	if n.byzantine {
		return n.byzSignVote(v)
	}
	digest := VoteSignBytes(simChainID, v)
	sig, ok := n.guardedSign(signer.Request{Height: uint64(v.Height), Round: int32(v.Round), Step: signer.Step(v.Type.Step()), Digest: digest})
	if !ok {
		return nil
	}
	v.Signature = sig
	n.s.verify.remember(digest, sig, n.addr)
	n.s.check.honestSigned(n.s, voteKey{n.addr, v.Height, v.Round, v.Type}, digest)
	return VoteSigned{Vote: v}
}

func (n *simNode) signProposal(p Proposal) Input {
	if n.byzantine {
		return n.byzSignProposal(p)
	}
	digest := ProposalSignBytes(simChainID, p)
	sig, ok := n.guardedSign(signer.Request{Height: uint64(p.Height), Round: int32(p.Round), Step: signer.StepPropose, Digest: digest})
	if !ok {
		return nil
	}
	p.Signature = sig
	n.s.verify.remember(digest, sig, n.addr)
	n.s.check.honestSigned(n.s, voteKey{n.addr, p.Height, p.Round, 0}, digest)
	return ProposalSigned{Proposal: p}
}

// guardedSign signs through the double-sign guard, sometimes crashing the
// node just before or just after the guard persists.
func (n *simNode) guardedSign(req signer.Request) ([]byte, bool) {
	if n.s.mayCrashMidBatch() {
		n.signStore.Crash(signer.CrashPoint(1 + n.s.rng.IntN(2)))
	}
	sig, err := n.guard.Sign(req)
	switch {
	case errors.Is(err, signer.ErrCrashed):
		n.s.stats.signerCrashes++
		n.crash("inside the signer")
		return nil, false
	case err != nil:
		n.s.stats.refusals++
		n.s.logf("node %d: signer refuses: %v", n.idx, err)
		return nil, false
	}
	return sig, true
}

// receive is the driver's inbound path: verify, answer a peer that is behind
// with the commit it misses, and feed current-height messages to the machine.
func (n *simNode) receive(from int, msg any) {
	if !n.up {
		return
	}
	s := n.s
	h := n.m.Height()
	switch msg := msg.(type) {
	case proposalMsg:
		p := msg.p
		if n.byz != nil {
			n.byz.saw(p, h)
		}
		if p.Height < h {
			n.replyCommit(from, p.Height)
			return
		}
		if p.Height > h || s.verify.Proposal(p, s.valsetFor(p.Height)) != nil {
			return
		}
		n.hear(relayKey{voteKey{p.Proposer, p.Height, p.Round, 0}, p.BlockID, p.POLRound}, p.Round, msg)
		for _, v := range msg.pol {
			if v.Height == h && v.Round == p.POLRound && s.verify.Vote(v, s.valsetFor(h)) == nil && n.up && n.m.Height() == h {
				n.deliverVote(v)
			}
		}
		if n.up && n.m.Height() == h {
			n.step(ProposalReceived{Proposal: p})
		}
	case Vote:
		if msg.Height < h {
			n.replyCommit(from, msg.Height)
			return
		}
		if msg.Height > h || s.verify.Vote(msg, s.valsetFor(msg.Height)) != nil {
			return
		}
		n.hear(relayKey{voteKey{msg.Validator, msg.Height, msg.Round, msg.Type}, msg.BlockID, 0}, msg.Round, msg)
		n.deliverVote(msg)
	case Commit:
		if msg.Height != h || n.m.Decided() {
			return
		}
		if s.verify.Commit(msg, s.valsetFor(msg.Height)) != nil {
			return // checker.commit already requires honest commits to verify
		}
		s.stats.catchUps++
		n.step(CommitReceived{Commit: msg})
	}
}

// deliverVote feeds a vote and checks that an equivocation the machine has
// seen was reported.
func (n *simNode) deliverVote(v Vote) {
	k := voteKey{v.Validator, v.Height, v.Round, v.Type}
	observed := !n.byzantine && !n.m.Decided() && v.Round <= n.m.Round()+n.s.cfg.maxRoundsAhead()
	if observed {
		if n.observed[k] == nil {
			n.observed[k] = make(map[BlockID]bool)
		}
		n.observed[k][v.BlockID] = true
	}
	ok := n.alive()
	n.step(VoteReceived{Vote: v})
	if observed && ok() && len(n.observed[k]) > 1 && !n.accused[k] {
		n.s.check.failf("node %d saw %s equivocate at h=%d r=%d %s but reported no evidence", n.idx, shortAddr(v.Validator), v.Height, v.Round, v.Type)
	}
}

// replyMark rate-limits catch-up replies to one peer.
type replyMark struct {
	h  Height
	at time.Duration
}

// replyCommit answers a peer that is behind with the certificate of the
// height it is stuck at (the catch-up path), at most once per height and
// 200ms per peer.
func (n *simNode) replyCommit(to int, h Height) {
	if n.byz != nil && n.byz.modes.withhold {
		return // a withholding validator helps no one catch up
	}
	c, ok := n.chain[h]
	last, seen := n.replied[to]
	if !ok || (seen && last.h == h && n.s.now-last.at < 200*time.Millisecond) {
		return
	}
	n.replied[to] = replyMark{h: h, at: n.s.now}
	n.s.send(n.idx, to, c)
}
