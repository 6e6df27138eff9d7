package consensus

// The machine's handlers: StartRound, the helpers that emit sign and persist
// actions, and one handler per input. The upon-rules are in rules.go.

import (
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// startRound is the paper's StartRound(round) (lines 11-21).
func (m *Machine) startRound(r Round) {
	m.round, m.step = r, StepPropose
	m.ownVotes = slices.DeleteFunc(m.ownVotes, func(v Vote) bool { return v.Round < r-1 })
	if m.proposers.Proposer(r) == m.self {
		if !m.validValue.IsNil() {
			m.signProposal(m.validValue, m.validRound)
		} else {
			m.out = append(m.out, BuildValue{Height: m.height, Round: r})
		}
	}
	// The paper schedules timeoutPropose only on non-proposers; we schedule
	// it on the proposer too, so a proposer whose value never gets built or
	// signed (e.g. refused after a restart) still moves on.
	m.scheduleTimeout(StepPropose, m.cfg.timeoutPropose(r))
}

func (m *Machine) scheduleTimeout(s Step, d time.Duration) {
	m.out = append(m.out, ScheduleTimeout{Height: m.height, Round: m.round, Step: s, Duration: d})
}

// isValidator reports whether this node votes at the current height.
func (m *Machine) isValidator() bool {
	_, ok := m.vals.Power(m.self)
	return ok
}

func (m *Machine) signProposal(id BlockID, polRound Round) {
	if !m.isValidator() {
		return
	}
	m.validity[id] = validityValid
	m.persistIfChanged()
	m.out = append(m.out, SignProposal{Proposal: Proposal{
		Height: m.height, Round: m.round, POLRound: polRound, BlockID: id, Proposer: m.self,
	}})
}

// prevote is "broadcast ⟨PREVOTE, h_p, round_p, id⟩; step_p ← prevote".
func (m *Machine) prevote(id BlockID) {
	m.step = StepPrevote
	m.signVote(Prevote, id)
}

// precommit is "broadcast ⟨PRECOMMIT, h_p, round_p, id⟩; step_p ← precommit".
func (m *Machine) precommit(id BlockID) {
	m.step = StepPrecommit
	m.signVote(Precommit, id)
}

// signVote persists the state that led to the vote, then asks for the
// signature. The broadcast happens when the signed vote comes back.
func (m *Machine) signVote(t VoteType, id BlockID) {
	if !m.isValidator() {
		return
	}
	m.pending = Vote{Type: t, Height: m.height, Round: m.round, BlockID: id, Validator: m.self}
	m.persistIfChanged()
	m.out = append(m.out, SignVote{Vote: m.pending})
}

func (m *Machine) persistIfChanged() {
	st := m.State()
	if st.sameAs(m.lastPersisted) {
		return
	}
	m.lastPersisted = st
	m.out = append(m.out, Persist{State: st})
}

// requestValidation asks for valid(id) once per value and height.
func (m *Machine) requestValidation(id BlockID) {
	if m.validity[id] != validityUnknown {
		return
	}
	m.validity[id] = validityPending
	m.out = append(m.out, Validate{Height: m.height, BlockID: id})
}

// inWindow reports whether messages of round r are kept.
func (m *Machine) inWindow(r Round) bool {
	return r >= 0 && r <= m.round+m.cfg.maxRoundsAhead()
}

func (m *Machine) onProposal(p Proposal) {
	if m.decided || p.Height != m.height || !m.inWindow(p.Round) {
		return
	}
	if p.POLRound < NilRound || p.POLRound >= p.Round || p.BlockID.IsNil() {
		return
	}
	if p.Proposer != m.proposers.Proposer(p.Round) {
		return
	}
	rm := m.msgs.round(p.Round)
	if rm.proposal != nil {
		return // the first proposal of a round is the one we act on
	}
	rm.proposal = &p
	m.noteSender(p.Round, p.Proposer)
	m.requestValidation(p.BlockID)
}

func (m *Machine) onVote(v Vote) {
	if m.decided || v.Height != m.height || !m.inWindow(v.Round) {
		return
	}
	if ev := m.countVote(v); ev != nil {
		m.out = append(m.out, ReportEvidence{Evidence: *ev})
	}
}

// countVote adds v to its vote set and updates the round-skip and decision
// bookkeeping. It returns evidence if v proves an equivocation.
func (m *Machine) countVote(v Vote) *Evidence {
	vs := m.msgs.votes(v.Round, v.Type)
	added, ev, err := vs.Add(v)
	if err != nil || !added {
		return ev // err: not a member of this height's set; the caller should have dropped it
	}
	m.noteSender(v.Round, v.Validator)
	if v.Type == Precommit && !v.BlockID.IsNil() && vs.HasTwoThirdsFor(v.BlockID) && !slices.Contains(m.commitRounds, v.Round) {
		m.commitRounds = append(m.commitRounds, v.Round)
		slices.Sort(m.commitRounds)
	}
	return ev
}

// onVoteSigned counts the machine's own vote, persists it with the state,
// then sends it: a vote is on disk before it is on the wire.
func (m *Machine) onVoteSigned(v Vote) {
	if v.Height == m.height && v.Validator == m.self && !m.decided {
		m.onVote(v)
		m.ownVotes = append(m.ownVotes, v)
		if m.pending.Type == v.Type && m.pending.Round == v.Round {
			m.pending = Vote{}
		}
		m.persistIfChanged()
	}
	m.out = append(m.out, BroadcastVote{Vote: v})
}

func (m *Machine) noteSender(r Round, addr common.Address) {
	m.msgs.noteSender(r, addr)
	if r > m.round && r > m.skipTo && oneThird.reached(m.msgs.round(r).senderPower, m.vals.TotalPower()) {
		m.skipTo = r
	}
}

// onTimeout is OnTimeoutPropose, OnTimeoutPrevote and OnTimeoutPrecommit
// (lines 57-65). A timeout of another height, round or step does nothing.
func (m *Machine) onTimeout(t TimeoutFired) {
	if m.decided || t.Height != m.height || t.Round != m.round {
		return
	}
	switch {
	case t.Step == StepPropose && m.step == StepPropose:
		m.prevote(BlockID{})
	case t.Step == StepPrevote && m.step == StepPrevote:
		m.precommit(BlockID{})
	case t.Step == StepPrecommit:
		m.startRound(m.round + 1)
	}
}

func (m *Machine) onValueBuilt(b ValueBuilt) {
	if m.decided || b.Height != m.height || b.Round != m.round || m.step != StepPropose || b.BlockID.IsNil() {
		return
	}
	if m.proposers.Proposer(m.round) != m.self || !m.validValue.IsNil() {
		return
	}
	if _, ok := m.msgs.proposal(m.round); ok {
		return
	}
	m.signProposal(b.BlockID, NilRound)
}

func (m *Machine) onValidationResult(r ValidationResult) {
	if r.Height != m.height {
		return
	}
	if v := m.validity[r.BlockID]; v == validityValid || v == validityInvalid {
		return
	}
	if r.Valid {
		m.validity[r.BlockID] = validityValid
	} else {
		m.validity[r.BlockID] = validityInvalid
	}
}

// onCommitReceived decides from a certificate learned from a peer: 2/3+ of
// the stake precommitted the block, so an honest validator validated it.
func (m *Machine) onCommitReceived(c Commit) {
	if m.decided || c.Height != m.height || c.BlockID.IsNil() {
		return
	}
	m.decide(c)
}

func (m *Machine) decide(c Commit) {
	m.decided = true
	m.out = append(m.out, CommitBlock{Commit: c})
}

// onApplied moves to the next height (lines 54-56 after decision).
func (m *Machine) onApplied(a Applied) {
	if !m.decided || a.Height != m.height || a.Next == nil {
		return
	}
	m.enterHeight(m.height+1, a.Next)
	m.startRound(0)
}

// polFor returns the prevotes that justify p's POLRound (the proof a
// re-proposal carries, so lines 28-33 can fire at every receiver).
func (m *Machine) polFor(p Proposal) []Vote {
	if p.Height != m.height || p.POLRound < 0 {
		return nil
	}
	return m.msgs.votes(p.POLRound, Prevote).VotesFor(p.BlockID)
}
