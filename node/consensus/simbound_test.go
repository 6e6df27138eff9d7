package consensus

import "github.com/ethereum/go-ethereum/common"

// Two checks on every honest machine, aimed at the flooding validator but run
// in every simulation:
//
//   - Round skips need f+1. When a Step moves an honest machine to a higher
//     round of its height other than by its own precommit timeout (round+1),
//     the validators whose messages of the new round its driver fed it must
//     carry more than 1/3 of the stake, and include an honest one. The driver
//     keeps that record itself (roundSenders), independently of the machine.
//   - Buffered state is bounded. The machine keeps messages of rounds
//     0..round_p+MaxRoundsAhead of its height only, and VoteSet counts at most
//     maxValuesPerValidator values per validator, so at every gossip tick and
//     before each Applied an honest machine must hold at most
//     round_p+MaxRoundsAhead+1 rounds, none above round_p+MaxRoundsAhead; per
//     vote set at most n first votes and maxValuesPerValidator·n votes (so at
//     most 2·maxValuesPerValidator·n·(round_p+MaxRoundsAhead+1) votes in
//     all); at most n senders per round; at most round_p+MaxRoundsAhead+1
//     elected proposers; and at most one validity entry per stored round
//     (a received proposal) plus one per round started (its own proposal).

// roundSenders is, for an honest node, the validators whose messages of each
// round of height h its driver fed to the machine (votes, and proposals from
// the round's proposer), within the machine's window.
type roundSenders struct {
	h  Height
	by map[Round]map[common.Address]bool
}

// stepMachine is Machine.Step with the checks of this file around it.
func (n *simNode) stepMachine(in Input) []Action {
	m := n.m
	if n.byzantine {
		return m.Step(in)
	}
	if _, ok := in.(Applied); ok {
		n.s.check.bounded(n.s, n)
	}
	h, r := m.Height(), m.Round()
	n.noteFed(in)
	if n.s.skipOnOneVote {
		n.breakSkipRule(in)
	}
	actions := m.Step(in)
	if m.Height() == h && m.Round() > r {
		n.s.check.roundAdvanced(n.s, n, in, r)
	}
	return actions
}

// noteFed records the sender of a vote or proposal about to be fed.
func (n *simNode) noteFed(in Input) {
	m := n.m
	var (
		h    Height
		r    Round
		from common.Address
	)
	switch in := in.(type) {
	case VoteReceived:
		h, r, from = in.Vote.Height, in.Vote.Round, in.Vote.Validator
	case VoteSigned:
		h, r, from = in.Vote.Height, in.Vote.Round, in.Vote.Validator
	case ProposalReceived:
		h, r, from = in.Proposal.Height, in.Proposal.Round, in.Proposal.Proposer
	case ProposalSigned:
		h, r, from = in.Proposal.Height, in.Proposal.Round, in.Proposal.Proposer
	default:
		return
	}
	if h != m.Height() || r < 0 || r > m.Round()+n.s.cfg.maxRoundsAhead() {
		return
	}
	switch in.(type) {
	case ProposalReceived, ProposalSigned:
		if m.Proposer(r) != from {
			return // the machine ignores it
		}
	}
	if n.fed.h != h || n.fed.by == nil {
		n.fed = roundSenders{h: h, by: make(map[Round]map[common.Address]bool)}
	}
	if n.fed.by[r] == nil {
		n.fed.by[r] = make(map[common.Address]bool)
	}
	n.fed.by[r][from] = true
}

// breakSkipRule (checker test only) breaks lines 55-56 the way a careless
// implementation would: one byzantine vote of a higher round in the window
// moves the machine to that round.
func (n *simNode) breakSkipRule(in Input) {
	vr, ok := in.(VoteReceived)
	m := n.m
	if !ok || m.decided || vr.Vote.Height != m.height || vr.Vote.Round <= m.round || !m.inWindow(vr.Vote.Round) || !n.s.isByzAddr(vr.Vote.Validator) {
		return
	}
	m.skipTo = max(m.skipTo, vr.Vote.Round)
}

// roundAdvanced checks a move of honest node n from round from to its current
// round, at the same height, caused by input in.
func (c *checker) roundAdvanced(s *sim, n *simNode, in Input, from Round) {
	h, to := n.m.Height(), n.m.Round()
	if t, ok := in.(TimeoutFired); ok && t.Step == StepPrecommit && to == from+1 {
		return // OnTimeoutPrecommit: StartRound(round_p+1)
	}
	s.stats.skips++
	vals := s.valsetFor(h)
	var power int64
	var senders, honest int
	if n.fed.h == h {
		for a := range n.fed.by[to] {
			p, _ := vals.Power(a)
			power += p
			senders++
			if !s.isByzAddr(a) {
				honest++
			}
		}
	}
	if 3*power <= vals.TotalPower() || honest == 0 {
		c.failf("ROUND SKIP without f+1: honest node %d moved from round %d to %d at h=%d on %d senders of that round with %d of %d stake, %d of them honest",
			n.idx, from, to, h, senders, power, vals.TotalPower(), honest)
	}
}

// bounded checks that honest node n's machine buffers no more than the
// bounds above allow, and records the peaks in the run's stats.
func (c *checker) bounded(s *sim, n *simNode) {
	m := n.m
	if m == nil {
		return
	}
	nv := m.vals.Size()
	limit := int(m.round+s.window) + 1
	top, bottom := NilRound, Round(0)
	var maxSet, maxFirst, maxSenders, votes int
	for r, rm := range m.msgs.rounds {
		top, bottom = max(top, r), min(bottom, r)
		for _, vs := range [...]*VoteSet{rm.prevotes, rm.precommits} {
			maxSet, maxFirst = max(maxSet, len(vs.votes)), max(maxFirst, len(vs.first))
			votes += len(vs.votes)
		}
		maxSenders = max(maxSenders, len(rm.senders))
	}
	rounds := len(m.msgs.rounds)
	switch {
	case rounds > limit || top > m.round+s.window || bottom < 0:
		c.failf("STATE BOUND violated: honest node %d at h=%d r=%d holds %d rounds, %d..%d; the window allows rounds 0..%d",
			n.idx, m.height, m.round, rounds, bottom, top, m.round+s.window)
	case maxSet > maxValuesPerValidator*nv || maxFirst > nv || maxSenders > nv || votes > 2*maxValuesPerValidator*nv*limit:
		c.failf("STATE BOUND violated: honest node %d at h=%d holds a vote set of %d votes from %d validators, %d senders in a round, %d votes in all (n=%d)",
			n.idx, m.height, maxSet, maxFirst, maxSenders, votes, nv)
	case len(m.validity) > rounds+int(m.round)+1:
		c.failf("STATE BOUND violated: honest node %d at h=%d r=%d holds %d validity entries for %d rounds", n.idx, m.height, m.round, len(m.validity), rounds)
	case len(m.proposers.proposers) > limit:
		c.failf("STATE BOUND violated: honest node %d at h=%d r=%d elected %d proposers", n.idx, m.height, m.round, len(m.proposers.proposers))
	}
	s.stats.maxAhead = max(s.stats.maxAhead, int(top-m.round))
	s.stats.maxRounds = max(s.stats.maxRounds, rounds)
	s.stats.maxVotes = max(s.stats.maxVotes, votes)
}
