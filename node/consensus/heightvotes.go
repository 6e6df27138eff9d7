package consensus

import "github.com/ethereum/go-ethereum/common"

// roundMessages is everything received for one round of the current height.
type roundMessages struct {
	prevotes   *VoteSet
	precommits *VoteSet
	proposal   *Proposal // the first proposal from proposer(h, r)
	// senders and senderPower count distinct validators that sent any message
	// of this round, for the round-skip rule (f+1 ⟨∗, h, r, ∗, ∗⟩).
	senders     map[common.Address]bool
	senderPower int64
	// "for the first time" flags of lines 34, 36 and 47.
	prevoteTimeoutScheduled   bool
	polkaHandled              bool
	precommitTimeoutScheduled bool
}

// heightMessages holds the rounds of the current height.
type heightMessages struct {
	height Height
	vals   *ValidatorSet
	quorum threshold
	rounds map[Round]*roundMessages
}

func newHeightMessages(h Height, vals *ValidatorSet, quorum threshold) *heightMessages {
	return &heightMessages{height: h, vals: vals, quorum: quorum, rounds: make(map[Round]*roundMessages)}
}

// round returns the messages of round r, creating them on first use.
func (hm *heightMessages) round(r Round) *roundMessages {
	rm, ok := hm.rounds[r]
	if !ok {
		rm = &roundMessages{
			prevotes:   newVoteSet(hm.height, r, Prevote, hm.vals, hm.quorum),
			precommits: newVoteSet(hm.height, r, Precommit, hm.vals, hm.quorum),
			senders:    make(map[common.Address]bool),
		}
		hm.rounds[r] = rm
	}
	return rm
}

// votes returns the vote set of type t in round r.
func (hm *heightMessages) votes(r Round, t VoteType) *VoteSet {
	if t == Prevote {
		return hm.round(r).prevotes
	}
	return hm.round(r).precommits
}

// noteSender counts addr as a sender in round r.
func (hm *heightMessages) noteSender(r Round, addr common.Address) {
	rm := hm.round(r)
	if rm.senders[addr] {
		return
	}
	p, ok := hm.vals.Power(addr)
	if !ok {
		return
	}
	rm.senders[addr] = true
	rm.senderPower += p
}

// proposal returns the proposal of round r, if one was received.
func (hm *heightMessages) proposal(r Round) (Proposal, bool) {
	rm, ok := hm.rounds[r]
	if !ok || rm.proposal == nil {
		return Proposal{}, false
	}
	return *rm.proposal, true
}
