package consensus

import (
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// The byzantine validators of the simulator. A byzantine simNode runs the
// honest machine, but signs without the double-sign guard and deviates from
// the protocol in the ways its byzModes allow:
//
//   - equivocate: signs two values in one slot and splits the peers between
//     them (votes and proposals);
//   - ignoreLocks: votes for whatever it likes (the round's or the newest
//     proposal, any block of the height, valid or not, or nil), whatever its
//     lock, the POL rules or valid(v) say;
//   - invalid: as proposer, proposes blocks the honest Validate rejects (an
//     invalid block, a valid block of another height) or a valid block with
//     a bogus POLRound and an insufficient proof;
//   - flood: sends bounded bursts of votes and proposals for rounds up to and
//     far beyond the honest window, and for other heights (simflood_test.go);
//   - withhold: sends its proposals and votes only to a subset of the peers
//     (drawn per height, possibly none), and answers no catch-up request.
//
// The modes of a node are drawn from the seed; TestSimulation's single
// byzantine validator only equivocates, TestByzantineSimulation's combine
// them (simbyzrun_test.go).

// byzModes are the misbehaviours of one byzantine validator.
type byzModes struct {
	equivocate, ignoreLocks, invalid, flood, withhold bool
}

// String lists the modes, for the run's first log line.
func (m byzModes) String() string {
	var on []string
	for _, x := range []struct {
		on   bool
		name string
	}{{m.equivocate, "equivocate"}, {m.ignoreLocks, "ignore-locks"}, {m.invalid, "invalid"}, {m.flood, "flood"}, {m.withhold, "withhold"}} {
		if x.on {
			on = append(on, x.name)
		}
	}
	if len(on) == 0 {
		return "honest"
	}
	return strings.Join(on, "+")
}

// byzState is what a byzantine node remembers. It survives crashes: nothing
// obliges a byzantine node to forget, and remembering keeps a non-equivocator
// to one value per slot.
type byzState struct {
	modes byzModes
	// signed holds the vote signed in each slot, so a node that does not
	// equivocate re-sends it rather than sign a second value there.
	signed map[voteKey]Vote
	// proposed holds flood proposals of rounds where the node is proposer
	// (type 0 slots), re-sent when the machine later proposes in that round.
	proposed map[voteKey]proposalMsg
	// newest is the highest-round proposal received at the node's height.
	newest Proposal
	// keep is the percentage of peers in an audience; audH, propTo and voteTo
	// are the audiences of its proposals and votes at height audH.
	keep           int
	audH           Height
	propTo, voteTo []bool
	// floodH and floodLeft: flood messages it may still send at floodH.
	floodH    Height
	floodLeft int
	prunedH   Height
}

func newByzState(modes byzModes) *byzState {
	return &byzState{modes: modes, signed: make(map[voteKey]Vote), proposed: make(map[voteKey]proposalMsg)}
}

// saw records a proposal received while at height h.
func (b *byzState) saw(p Proposal, h Height) {
	if p.Height == h && (b.newest.Height != h || p.Round >= b.newest.Round) {
		b.newest = p
	}
}

// prune forgets the slots of heights below h.
func (b *byzState) prune(h Height) {
	if b.prunedH == h {
		return
	}
	b.prunedH = h
	for k := range b.signed {
		if k.h < h {
			delete(b.signed, k)
		}
	}
	for k := range b.proposed {
		if k.h < h {
			delete(b.proposed, k)
		}
	}
}

func (n *simNode) mustSign(digest [32]byte) []byte {
	sig, err := crypto.Sign(digest[:], n.key)
	if err != nil {
		n.s.check.failf("node %d: sign: %v", n.idx, err)
	}
	n.s.verify.remember(digest, sig, n.addr)
	return sig
}

// signedVote signs v, or, for a node that does not equivocate, returns the
// vote it already signed in v's slot.
func (n *simNode) signedVote(v Vote) Vote {
	b := n.byz
	k := voteKey{n.addr, v.Height, v.Round, v.Type}
	if prev, ok := b.signed[k]; ok && !b.modes.equivocate {
		return prev
	}
	v.Signature = n.mustSign(VoteSignBytes(simChainID, v))
	if _, ok := b.signed[k]; !ok {
		b.signed[k] = v
	}
	return v
}

// byzSignVote answers the machine's SignVote the byzantine way: it may change
// the value (ignoreLocks), sign a second one and split the peers
// (equivocate), and send to only some peers (withhold). Its own machine counts
// the vote it chose.
func (n *simNode) byzSignVote(v Vote) Input {
	s, b := n.s, n.byz
	b.prune(n.m.Height())
	if b.modes.ignoreLocks {
		if id := n.anyValue(v.Height, v.Round, v.BlockID); id != v.BlockID {
			v.BlockID = id
			s.stats.lockIgnored++
			if st := n.m.State(); st.LockedRound != NilRound && !id.IsNil() && id != st.LockedValue {
				s.stats.lockBroken++
			}
		}
	}
	v = n.signedVote(v)
	other := v
	equivocate := false
	if b.modes.equivocate {
		if v.BlockID.IsNil() {
			if ids := s.byH[v.Height]; len(ids) > 0 {
				other.BlockID = ids[s.rng.IntN(len(ids))]
			}
		} else {
			other.BlockID = BlockID{}
		}
		equivocate = other.BlockID != v.BlockID && s.rng.IntN(2) == 0
		if equivocate {
			other.Signature = n.mustSign(VoteSignBytes(simChainID, other))
		}
	}
	for to := range s.nodes {
		if equivocate && s.secondSide(v.Height, to) {
			n.byzSend(to, other)
		} else {
			n.byzSend(to, v)
		}
	}
	n.ownVotes = append(n.ownVotes, v)
	return VoteReceived{Vote: v}
}

// anyValue is the value a lock-ignoring validator votes for in round r of
// height h: the round's proposal, the newest proposal it saw, any block of
// the height (valid or not), nil, or the machine's own choice.
func (n *simNode) anyValue(h Height, r Round, machine BlockID) BlockID {
	s := n.s
	switch s.rng.IntN(5) {
	case 0:
		if p, ok := n.m.msgs.proposal(r); ok && h == n.m.Height() {
			return p.BlockID
		}
	case 1:
		if p := n.byz.newest; p.Height == h {
			return p.BlockID
		}
	case 2:
		if ids := s.byH[h]; len(ids) > 0 {
			return ids[s.rng.IntN(len(ids))]
		}
	case 3:
		return BlockID{}
	}
	return machine
}

// byzSignProposal answers the machine's SignProposal the byzantine way: it
// may re-send a flood proposal of the round, spoil the proposal (invalid),
// sign a second one for a fresh block and split the peers (equivocate), and
// send to only some peers (withhold).
func (n *simNode) byzSignProposal(p Proposal) Input {
	s, b := n.s, n.byz
	b.prune(n.m.Height())
	k := voteKey{n.addr, p.Height, p.Round, 0}
	if msg, ok := b.proposed[k]; ok && !b.modes.equivocate {
		n.ownProposal = &msg
		n.sendAll(msg)
		return ProposalReceived{Proposal: msg.p}
	}
	pol := n.m.polFor(p)
	if b.modes.invalid {
		p, pol = n.spoil(p, pol)
	}
	p.Signature = n.mustSign(ProposalSignBytes(simChainID, p))
	other := p
	equivocate := b.modes.equivocate && s.rng.IntN(2) == 0
	if equivocate {
		other.BlockID = s.newBlock(p.Height, s.rng.IntN(2) == 0)
		other.Signature = n.mustSign(ProposalSignBytes(simChainID, other))
	}
	msgA, msgB := proposalMsg{p: p, pol: pol}, proposalMsg{p: other}
	for to := range s.nodes {
		if equivocate && s.secondSide(p.Height, to) {
			n.byzSend(to, msgB)
		} else {
			n.byzSend(to, msgA)
		}
	}
	n.ownProposal = &msgA
	return ProposalReceived{Proposal: p}
}

// spoil turns three proposals in four into ones no honest validator may
// prevote for: a fresh invalid block, a valid block of the previous height
// (Validate checks the height), or a valid value with a POLRound whose proof
// is missing or cut short.
func (n *simNode) spoil(p Proposal, pol []Vote) (Proposal, []Vote) {
	s := n.s
	switch s.rng.IntN(4) {
	case 0:
		p.BlockID = s.newBlock(p.Height, false)
	case 1:
		if ids := s.byH[p.Height-1]; len(ids) > 0 {
			p.BlockID = ids[s.rng.IntN(len(ids))]
		} else {
			p.BlockID = s.newBlock(p.Height, false)
		}
	case 2:
		if p.Round == 0 {
			return p, pol // a round-0 proposal cannot name a POL round
		}
		p.POLRound = Round(s.rng.IntN(int(p.Round)))
		pol = n.m.msgs.votes(p.POLRound, Prevote).VotesFor(p.BlockID)
		if len(pol) > 0 {
			pol = pol[:s.rng.IntN(len(pol))]
		}
	default:
		return p, pol
	}
	s.stats.spoiled++
	return p, pol
}

// secondSide reports whether an equivocator sends peer to its second message
// at height h: at random, or, when the byzantine validators coordinate, by a
// split of the nodes drawn once per height and shared by all of them, so that
// every equivocation pushes the same honest nodes the same way.
func (s *sim) secondSide(h Height, to int) bool {
	if !s.coordinate {
		return s.rng.IntN(2) == 0
	}
	if s.split == nil {
		s.split = make(map[Height][]bool)
	}
	side, ok := s.split[h]
	if !ok {
		side = make([]bool, len(s.nodes))
		for i := range side {
			side[i] = s.rng.IntN(2) == 0
		}
		s.split[h] = side
	}
	return side[to]
}

// sendAll sends msg to every peer, or, from a withholding node, to its
// audience.
func (n *simNode) sendAll(msg any) {
	if n.byz == nil || !n.byz.modes.withhold {
		n.s.broadcast(n.idx, msg)
		return
	}
	for to := range n.s.nodes {
		n.byzSend(to, msg)
	}
}

// byzSend sends msg to one peer unless the node withholds it from that peer:
// a withholding node sends its proposals and its votes each to a subset of
// the peers drawn once per height.
func (n *simNode) byzSend(to int, msg any) {
	s, b := n.s, n.byz
	if to == n.idx {
		return
	}
	if b == nil || !b.modes.withhold {
		s.send(n.idx, to, msg)
		return
	}
	if h := n.m.Height(); b.audH != h || b.propTo == nil {
		b.audH = h
		b.propTo, b.voteTo = make([]bool, len(s.nodes)), make([]bool, len(s.nodes))
		for i := range s.nodes {
			b.propTo[i] = s.rng.IntN(100) < b.keep
			b.voteTo[i] = s.rng.IntN(100) < b.keep
		}
	}
	audience := b.voteTo
	if _, ok := msg.(proposalMsg); ok {
		audience = b.propTo
	}
	if !audience[to] {
		s.stats.withheld++
		return
	}
	s.send(n.idx, to, msg)
}
