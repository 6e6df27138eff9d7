package consensus

// Relaying. The paper's liveness rests on its gossip assumption: a message a
// correct process received before GST reaches every correct process by
// GST+Δ. The simulated driver, like the real one (node/driver_sign.go),
// only re-sends its own messages, which is enough while every validator sends everything to everyone — but not against
// a byzantine validator that withholds: it can send its precommit to some
// honest nodes only, so that they reach 2f+1 precommits and move on to the
// next round while the others wait in the precommit step for a quorum that
// never comes, and the next round never gets 2f+1 prevotes: the height
// stalls for good (TestByzantineSimulation -sim.seed=2900 -sim.norelay). Or
// an honest node locks on a polka that counts a withheld prevote, and only it
// can unlock the others, once it is proposer (-sim.seed=159 -sim.norelay).
//
// So in TestByzantineSimulation honest nodes relay, modelling gossip after
// GST: when the faults heal, each sends every vote and proposal of others it
// heard at its height, up to the round after its own, to every peer, and from
// then on forwards each new one once. (Messages of later rounds, which only
// a flood sends early, are not needed for progress; relaying them would only
// cost time.) Before healing nothing is relayed, so the byzantine
// validators' views stay as split as they made them.

// relayKey names one distinct message: a vote slot and value, or a proposal
// (type 0) with its value and POL round.
type relayKey struct {
	slot voteKey
	id   BlockID
	pol  Round
}

// relayLog is what an honest node heard from others at height h, in order.
type relayLog struct {
	h    Height
	seen map[relayKey]bool
	msgs []any
}

// hear records a verified message of round r of the node's height and, after
// healing, forwards it to every peer the first time.
func (n *simNode) hear(k relayKey, r Round, msg any) {
	s := n.s
	if !s.relay || n.byzantine || r > n.m.Round()+1 {
		return
	}
	if h := n.m.Height(); n.heard.h != h || n.heard.seen == nil {
		n.heard = relayLog{h: h, seen: make(map[relayKey]bool)}
	}
	if n.heard.seen[k] {
		return
	}
	n.heard.seen[k] = true
	n.heard.msgs = append(n.heard.msgs, msg)
	if s.healing {
		s.broadcast(n.idx, msg)
	}
}

// relayHeard sends everything heard at the current height to every peer.
func (n *simNode) relayHeard() {
	if !n.up || n.byzantine || n.heard.h != n.m.Height() {
		return
	}
	for _, msg := range n.heard.msgs {
		n.s.broadcast(n.idx, msg)
	}
}
