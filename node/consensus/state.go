package consensus

import (
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// validity is what the machine knows of valid(v) for one value.
type validity uint8

const (
	validityUnknown validity = iota
	validityPending          // Validate was emitted, no answer yet
	validityValid
	validityInvalid
)

// Machine is the Tendermint state machine of one validator (Algorithm 1 of
// "The latest gossip on BFT consensus"). It is pure: Step takes one Input and
// returns the Actions it causes. It has no goroutines, clock, I/O or
// randomness, and it is not safe for concurrent use.
type Machine struct {
	cfg       Config
	self      common.Address
	vals      *ValidatorSet
	proposers *ProposerSchedule

	// The paper's variables of process p.
	height      Height
	round       Round
	step        Step
	lockedValue BlockID
	lockedRound Round
	validValue  BlockID
	validRound  Round
	validPOL    []Vote // the prevotes that made validValue valid
	ownVotes    []Vote // own signed votes of rounds ≥ round_p−1
	pending     Vote   // asked to be signed, not yet returned
	decided     bool   // decision_p[h_p] ≠ nil: waiting for Applied

	msgs     *heightMessages
	validity map[BlockID]validity
	// commitRounds lists rounds of this height where precommits reached 2/3+
	// for a value (candidates for the decision rule), ascending.
	commitRounds []Round
	// skipTo is the highest round above round_p seen with f+1 senders.
	skipTo Round

	restored      bool
	lastPersisted PersistedState
	out           []Action
}

// NewMachine returns a machine for validator self that starts height h with
// the validator set vals (fresh: no lock, round 0). Call Start next.
func NewMachine(cfg Config, self common.Address, h Height, vals *ValidatorSet) *Machine {
	m := &Machine{cfg: cfg, self: self}
	m.enterHeight(h, vals)
	return m
}

// RestoreMachine returns a machine restarted from the last PersistedState it
// emitted; vals is the validator set of st.Height. Call Start next.
func RestoreMachine(cfg Config, self common.Address, st PersistedState, vals *ValidatorSet) *Machine {
	m := &Machine{cfg: cfg, self: self}
	m.enterHeight(st.Height, vals)
	m.round, m.step = st.Round, st.Step
	m.lockedValue, m.lockedRound = st.LockedValue, st.LockedRound
	m.validValue, m.validRound = st.ValidValue, st.ValidRound
	m.validPOL = slices.Clone(st.ValidPOL)
	m.ownVotes = slices.Clone(st.OwnVotes)
	m.pending = st.Pending
	for _, v := range append(slices.Clone(st.ValidPOL), st.OwnVotes...) {
		if v.Height == st.Height && m.inWindow(v.Round) {
			m.countVote(v)
		}
	}
	m.restored = true
	m.lastPersisted = st
	return m
}

// Start returns the first actions: the paper's "upon start do StartRound(0)",
// or, after RestoreMachine, a resumption of the persisted round and step.
func (m *Machine) Start() []Action {
	m.out = nil
	if m.restored {
		for _, v := range m.ownVotes {
			m.out = append(m.out, BroadcastVote{Vote: v})
		}
		if m.pending.Type != 0 {
			m.out = append(m.out, SignVote{Vote: m.pending})
		}
		m.resume()
	} else {
		m.startRound(0)
	}
	m.runRules()
	m.persistIfChanged()
	return m.out
}

// resume continues a persisted round. A restarted node re-enters the step it
// had reached and schedules that step's timeout: it must not vote again in a
// step it may already have voted in (the signer would refuse anyway), and the
// timeout guarantees it moves on even if the round's messages are gone.
func (m *Machine) resume() {
	switch m.step {
	case StepPrevote:
		m.scheduleTimeout(StepPrevote, m.cfg.timeoutPrevote(m.round))
	case StepPrecommit:
		m.scheduleTimeout(StepPrecommit, m.cfg.timeoutPrecommit(m.round))
	default:
		m.startRound(m.round)
	}
}

// Step feeds one input to the machine and returns the actions it causes, in
// the order the caller must perform them.
func (m *Machine) Step(in Input) []Action {
	m.out = nil
	switch in := in.(type) {
	case ProposalReceived:
		m.onProposal(in.Proposal)
	case VoteReceived:
		m.onVote(in.Vote)
	case TimeoutFired:
		m.onTimeout(in)
	case ValueBuilt:
		m.onValueBuilt(in)
	case ValidationResult:
		m.onValidationResult(in)
	case VoteSigned:
		m.onVoteSigned(in.Vote)
	case ProposalSigned:
		m.onProposal(in.Proposal)
		m.out = append(m.out, BroadcastProposal{Proposal: in.Proposal, POL: m.polFor(in.Proposal)})
	case CommitReceived:
		m.onCommitReceived(in.Commit)
	case Applied:
		m.onApplied(in)
	}
	m.runRules()
	m.persistIfChanged()
	return m.out
}

// Height is h_p, the height being decided.
func (m *Machine) Height() Height { return m.height }

// Round is round_p.
func (m *Machine) Round() Round { return m.round }

// CurrentStep is step_p.
func (m *Machine) CurrentStep() Step { return m.step }

// Decided reports whether the current height is decided and the machine waits
// for Applied.
func (m *Machine) Decided() bool { return m.decided }

// State returns the state the machine would persist now (a copy).
func (m *Machine) State() PersistedState {
	return PersistedState{
		Height: m.height, Round: m.round, Step: m.step,
		LockedValue: m.lockedValue, LockedRound: m.lockedRound,
		ValidValue: m.validValue, ValidRound: m.validRound, ValidPOL: slices.Clone(m.validPOL),
		OwnVotes: slices.Clone(m.ownVotes), Pending: m.pending,
	}
}

// Validators returns the validator set of the current height.
func (m *Machine) Validators() *ValidatorSet { return m.vals }

// Proposer returns proposer(h_p, r).
func (m *Machine) Proposer(r Round) common.Address { return m.proposers.Proposer(r) }

// enterHeight resets every per-height variable (the paper's lines 54-56).
func (m *Machine) enterHeight(h Height, vals *ValidatorSet) {
	m.height, m.vals = h, vals
	m.proposers = NewProposerSchedule(vals)
	m.round, m.step = 0, StepPropose
	m.lockedValue, m.lockedRound = BlockID{}, NilRound
	m.validValue, m.validRound = BlockID{}, NilRound
	m.validPOL = nil
	m.ownVotes = nil
	m.pending = Vote{}
	m.decided = false
	m.msgs = newHeightMessages(h, vals, m.cfg.quorum())
	m.validity = make(map[BlockID]validity)
	m.commitRounds = nil
	m.skipTo = NilRound
}
