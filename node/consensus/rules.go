package consensus

// The upon-rules of Algorithm 1. runRules evaluates them until none fires, so
// the order in which inputs arrive never hides a rule whose condition holds.
// Each rule returns whether it fired (changed state or emitted actions).

func (m *Machine) runRules() {
	for !m.decided {
		fired := m.uponPrecommitQuorumForProposal() ||
			m.uponFPlusOneOfHigherRound() ||
			m.uponProposalInPropose() ||
			m.uponProposalWithPOLInPropose() ||
			m.uponPrevoteQuorumAny() ||
			m.uponPolkaForProposal() ||
			m.uponPolkaNil() ||
			m.uponPrecommitQuorumAny()
		if !fired {
			return
		}
	}
}

// known returns valid(v) once the caller answered Validate.
func (m *Machine) known(id BlockID) (valid, ok bool) {
	switch m.validity[id] {
	case validityValid:
		return true, true
	case validityInvalid:
		return false, true
	}
	return false, false
}

// uponProposalInPropose is lines 22-27:
//
//	upon ⟨PROPOSAL, h_p, round_p, v, −1⟩ from proposer(h_p, round_p) while step_p = propose
//	  if valid(v) ∧ (lockedRound_p = −1 ∨ lockedValue_p = v) broadcast ⟨PREVOTE, h_p, round_p, id(v)⟩
//	  else broadcast ⟨PREVOTE, h_p, round_p, nil⟩
//	  step_p ← prevote
func (m *Machine) uponProposalInPropose() bool {
	if m.step != StepPropose {
		return false
	}
	p, ok := m.msgs.proposal(m.round)
	if !ok || p.POLRound != NilRound {
		return false
	}
	valid, known := m.known(p.BlockID)
	if !known {
		return false
	}
	if valid && (m.lockedRound == NilRound || m.lockedValue == p.BlockID || m.cfg.testBreakIgnoreLock) {
		m.prevote(p.BlockID)
	} else {
		m.prevote(BlockID{})
	}
	return true
}

// uponProposalWithPOLInPropose is lines 28-33:
//
//	upon ⟨PROPOSAL, h_p, round_p, v, vr⟩ from proposer(h_p, round_p) AND 2f+1 ⟨PREVOTE, h_p, vr, id(v)⟩
//	    while step_p = propose ∧ (vr ≥ 0 ∧ vr < round_p)
//	  if valid(v) ∧ (lockedRound_p ≤ vr ∨ lockedValue_p = v) broadcast ⟨PREVOTE, h_p, round_p, id(v)⟩
//	  else broadcast ⟨PREVOTE, h_p, round_p, nil⟩
//	  step_p ← prevote
func (m *Machine) uponProposalWithPOLInPropose() bool {
	if m.step != StepPropose {
		return false
	}
	p, ok := m.msgs.proposal(m.round)
	if !ok || p.POLRound < 0 || p.POLRound >= m.round {
		return false
	}
	if !m.msgs.votes(p.POLRound, Prevote).HasTwoThirdsFor(p.BlockID) {
		return false
	}
	valid, known := m.known(p.BlockID)
	if !known {
		return false
	}
	if valid && (m.lockedRound <= p.POLRound || m.lockedValue == p.BlockID || m.cfg.testBreakIgnoreLock) {
		m.prevote(p.BlockID)
	} else {
		m.prevote(BlockID{})
	}
	return true
}

// uponPrevoteQuorumAny is lines 34-35:
//
//	upon 2f+1 ⟨PREVOTE, h_p, round_p, ∗⟩ while step_p = prevote for the first time
//	  schedule OnTimeoutPrevote(h_p, round_p) to be executed after timeoutPrevote(round_p)
func (m *Machine) uponPrevoteQuorumAny() bool {
	rm := m.msgs.round(m.round)
	if m.step != StepPrevote || rm.prevoteTimeoutScheduled || !rm.prevotes.HasTwoThirdsAny() {
		return false
	}
	rm.prevoteTimeoutScheduled = true
	m.scheduleTimeout(StepPrevote, m.cfg.timeoutPrevote(m.round))
	return true
}

// uponPolkaForProposal is lines 36-43:
//
//	upon ⟨PROPOSAL, h_p, round_p, v, ∗⟩ from proposer(h_p, round_p) AND 2f+1 ⟨PREVOTE, h_p, round_p, id(v)⟩
//	    while valid(v) ∧ step_p ≥ prevote for the first time
//	  if step_p = prevote
//	    lockedValue_p ← v; lockedRound_p ← round_p
//	    broadcast ⟨PRECOMMIT, h_p, round_p, id(v)⟩; step_p ← precommit
//	  validValue_p ← v; validRound_p ← round_p
func (m *Machine) uponPolkaForProposal() bool {
	rm := m.msgs.round(m.round)
	if m.step < StepPrevote || rm.polkaHandled {
		return false
	}
	p, ok := m.msgs.proposal(m.round)
	if !ok || !rm.prevotes.HasTwoThirdsFor(p.BlockID) {
		return false
	}
	if valid, known := m.known(p.BlockID); !valid || !known {
		return false
	}
	rm.polkaHandled = true
	if m.step == StepPrevote {
		m.lockedValue, m.lockedRound = p.BlockID, m.round
		m.setValid(p.BlockID, rm.prevotes)
		m.precommit(p.BlockID)
		return true
	}
	m.setValid(p.BlockID, rm.prevotes)
	return true
}

// uponPolkaNil is lines 44-46:
//
//	upon 2f+1 ⟨PREVOTE, h_p, round_p, nil⟩ while step_p = prevote
//	  broadcast ⟨PRECOMMIT, h_p, round_p, nil⟩; step_p ← precommit
func (m *Machine) uponPolkaNil() bool {
	if m.step != StepPrevote || !m.msgs.round(m.round).prevotes.HasTwoThirdsFor(BlockID{}) {
		return false
	}
	m.precommit(BlockID{})
	return true
}

// uponPrecommitQuorumAny is lines 47-48:
//
//	upon 2f+1 ⟨PRECOMMIT, h_p, round_p, ∗⟩ for the first time
//	  schedule OnTimeoutPrecommit(h_p, round_p) to be executed after timeoutPrecommit(round_p)
func (m *Machine) uponPrecommitQuorumAny() bool {
	rm := m.msgs.round(m.round)
	if rm.precommitTimeoutScheduled || !rm.precommits.HasTwoThirdsAny() {
		return false
	}
	rm.precommitTimeoutScheduled = true
	m.scheduleTimeout(StepPrecommit, m.cfg.timeoutPrecommit(m.round))
	return true
}

// uponPrecommitQuorumForProposal is lines 49-54:
//
//	upon ⟨PROPOSAL, h_p, r, v, ∗⟩ from proposer(h_p, r) AND 2f+1 ⟨PRECOMMIT, h_p, r, id(v)⟩
//	    while decision_p[h_p] = nil
//	  if valid(v) decision_p[h_p] = v; h_p ← h_p + 1; reset; StartRound(0)
//
// The move to h_p+1 waits for the caller's Applied input.
func (m *Machine) uponPrecommitQuorumForProposal() bool {
	for _, r := range m.commitRounds {
		p, ok := m.msgs.proposal(r)
		if !ok {
			continue
		}
		precommits := m.msgs.votes(r, Precommit)
		if !precommits.HasTwoThirdsFor(p.BlockID) {
			continue
		}
		if valid, known := m.known(p.BlockID); !valid || !known {
			continue
		}
		m.decide(Commit{Height: m.height, Round: r, BlockID: p.BlockID, Precommits: precommits.VotesFor(p.BlockID)})
		return true
	}
	return false
}

// uponFPlusOneOfHigherRound is lines 55-56:
//
//	upon f+1 ⟨∗, h_p, round, ∗, ∗⟩ with round > round_p
//	  StartRound(round)
func (m *Machine) uponFPlusOneOfHigherRound() bool {
	if m.skipTo <= m.round {
		return false
	}
	m.startRound(m.skipTo)
	return true
}

// setValid is "validValue_p ← v; validRound_p ← round_p", keeping the polka.
func (m *Machine) setValid(v BlockID, prevotes *VoteSet) {
	m.validValue, m.validRound = v, m.round
	m.validPOL = prevotes.VotesFor(v)
}
