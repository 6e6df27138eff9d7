package consensus

// The flooding byzantine validator: on every gossip tick it sends a burst of
// signed votes and proposals for rounds ahead of its own — across the edge of
// the honest window (Config.MaxRoundsAhead), and up to ten windows beyond it —
// and for the next heights and the previous one. It hopes to make honest
// nodes skip rounds (lines 55-56 need f+1 senders of a round; byzantine
// validators have less than 1/3 of the stake) or buffer without bound. The
// checks are in simbound_test.go.

// floodPerHeight bounds the flood messages one byzantine validator sends
// while at one height.
const floodPerHeight = 64

// flood sends one burst of at most 16 messages.
func (n *simNode) flood() {
	s, b := n.s, n.byz
	h, r := n.m.Height(), n.m.Round()
	b.prune(h)
	if b.floodH != h {
		b.floodH, b.floodLeft = h, floodPerHeight
	}
	if b.floodLeft <= 0 {
		return
	}
	burst := min(b.floodLeft, 6+s.rng.IntN(11))
	b.floodLeft -= burst
	s.stats.floods += burst
	w := s.window // the honest machines' MaxRoundsAhead
	switch s.rng.IntN(5) {
	case 0: // consecutive rounds across the edge of the window
		first := max(r+1, r+w-Round(burst/2))
		for i := range burst {
			n.floodVote(h, first+Round(i))
		}
	case 1: // consecutive rounds from anywhere in the window
		first := r + 1 + Round(s.rng.IntN(int(w)))
		for i := range burst {
			n.floodVote(h, first+Round(i))
		}
	case 2: // anywhere up to ten windows ahead
		for range burst {
			n.floodVote(h, r+1+Round(s.rng.IntN(int(10*w))))
		}
	case 3: // proposals for rounds up to two windows ahead
		for range burst {
			n.floodProposal(h, r+1+Round(s.rng.IntN(int(2*w))))
		}
	default: // the next two heights (dropped) and the previous one (asks for catch-up)
		for range burst {
			fh := h + Height(s.rng.IntN(3))
			if h > 1 && s.rng.IntN(4) == 0 {
				fh = h - 1
			}
			n.floodVote(fh, Round(s.rng.IntN(int(2*w))))
		}
	}
}

// floodValue is what a flood message votes for or proposes: nil, a block of
// height h (valid or not), or an id no block has.
func (n *simNode) floodValue(h Height) BlockID {
	s := n.s
	switch s.rng.IntN(3) {
	case 0:
		return BlockID{}
	case 1:
		if ids := s.byH[h]; len(ids) > 0 {
			return ids[s.rng.IntN(len(ids))]
		}
	}
	var id BlockID
	for i := 0; i < len(id); i += 8 {
		v := s.rng.Uint64()
		for j := range 8 {
			id[i+j] = byte(v >> (8 * j))
		}
	}
	return id
}

// floodVote signs a prevote or precommit of round r at height h and sends it.
func (n *simNode) floodVote(h Height, r Round) {
	typ := Prevote
	if n.s.rng.IntN(2) == 0 {
		typ = Precommit
	}
	v := n.signedVote(Vote{Type: typ, Height: h, Round: r, BlockID: n.floodValue(h), Validator: n.addr})
	for to := range n.s.nodes {
		n.byzSend(to, v)
	}
}

// floodProposal signs a proposal of round r at its height h and sends it. In
// rounds it does not propose, honest machines ignore it; in rounds it does,
// it is the round's proposal, and its machine re-sends it when it gets there.
func (n *simNode) floodProposal(h Height, r Round) {
	s, b := n.s, n.byz
	k := voteKey{n.addr, h, r, 0}
	msg, ok := b.proposed[k]
	if !ok || b.modes.equivocate {
		id := n.floodValue(h)
		if id.IsNil() {
			id = s.newBlock(h, s.rng.IntN(2) == 0)
		}
		p := Proposal{Height: h, Round: r, POLRound: NilRound, BlockID: id, Proposer: n.addr}
		if s.rng.IntN(3) == 0 {
			p.POLRound = Round(s.rng.IntN(int(r))) // a POL round it has no proof for
		}
		p.Signature = n.mustSign(ProposalSignBytes(simChainID, p))
		msg = proposalMsg{p: p}
		if n.m.Proposer(r) == n.addr && !ok {
			b.proposed[k] = msg
		}
	}
	for to := range s.nodes {
		n.byzSend(to, msg)
	}
}
