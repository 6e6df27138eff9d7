package consensus

import "github.com/ethereum/go-ethereum/crypto"

// The byzantine validator of the simulator: it runs the honest machine but
// signs without the double-sign guard, equivocating on votes and proposals.

func (n *simNode) mustSign(digest [32]byte) []byte {
	sig, err := crypto.Sign(digest[:], n.key)
	if err != nil {
		n.s.check.failf("node %d: sign: %v", n.idx, err)
	}
	n.s.verify.remember(digest, sig, n.addr)
	return sig
}

// equivocateVote is the byzantine validator: it signs v and, half the time, a
// conflicting vote too, and sends each peer one of the two at random.
func (n *simNode) equivocateVote(v Vote) Input {
	s := n.s
	v.Signature = n.mustSign(VoteSignBytes(simChainID, v))
	other := v
	if v.BlockID.IsNil() {
		if ids := s.byH[v.Height]; len(ids) > 0 {
			other.BlockID = ids[s.rng.IntN(len(ids))]
		}
	} else {
		other.BlockID = BlockID{}
	}
	equivocate := other.BlockID != v.BlockID && s.rng.IntN(2) == 0
	if equivocate {
		other.Signature = n.mustSign(VoteSignBytes(simChainID, other))
	}
	for to := range s.nodes {
		if equivocate && s.rng.IntN(2) == 0 {
			s.send(n.idx, to, other)
		} else {
			s.send(n.idx, to, v)
		}
	}
	n.ownVotes = append(n.ownVotes, v)
	return VoteReceived{Vote: v}
}

// equivocateProposal signs p and, half the time, a second proposal for a
// fresh block (valid or not), splitting the peers between the two.
func (n *simNode) equivocateProposal(p Proposal) Input {
	s := n.s
	p.Signature = n.mustSign(ProposalSignBytes(simChainID, p))
	other := p
	equivocate := s.rng.IntN(2) == 0
	if equivocate {
		other.BlockID = s.newBlock(p.Height, s.rng.IntN(2) == 0)
		other.Signature = n.mustSign(ProposalSignBytes(simChainID, other))
	}
	msgA, msgB := proposalMsg{p: p, pol: n.m.polFor(p)}, proposalMsg{p: other}
	for to := range s.nodes {
		if equivocate && s.rng.IntN(2) == 0 {
			s.send(n.idx, to, msgB)
		} else {
			s.send(n.idx, to, msgA)
		}
	}
	n.ownProposal = &msgA
	return ProposalReceived{Proposal: p}
}
