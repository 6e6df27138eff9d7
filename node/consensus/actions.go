package consensus

import (
	"fmt"
	"time"
)

// Action is one instruction the machine returns from Step. The caller
// performs the actions of one Step in order; see doc.go for the rules.
type Action interface{ isAction() }

// Persist asks the caller to store State durably (fsync) before performing
// any later action. After a crash the machine restarts from the last State.
type Persist struct{ State PersistedState }

// SignVote asks the caller to sign Vote through the double-sign guard and to
// feed the result back as VoteSigned. If the guard refuses, the caller drops
// the request.
type SignVote struct{ Vote Vote }

// SignProposal asks the caller to sign Proposal through the double-sign guard
// and to feed the result back as ProposalSigned.
type SignProposal struct{ Proposal Proposal }

// BroadcastVote asks the caller to send a signed vote to all peers.
type BroadcastVote struct{ Vote Vote }

// BroadcastProposal asks the caller to send a signed proposal, with its block,
// to all peers. If the proposal re-proposes a value with POLRound ≥ 0, POL
// holds the 2/3+ prevotes of that round and must travel with it.
type BroadcastProposal struct {
	Proposal Proposal
	POL      []Vote
}

// ScheduleTimeout asks the caller to feed TimeoutFired{Height, Round, Step}
// after Duration.
type ScheduleTimeout struct {
	Height   Height
	Round    Round
	Step     Step
	Duration time.Duration
}

// BuildValue asks the caller for the paper's getValue(): build and execute a
// block for Height and answer with ValueBuilt.
type BuildValue struct {
	Height Height
	Round  Round
}

// Validate asks the caller for the paper's valid(v): re-execute the proposed
// block BlockID and answer with ValidationResult.
type Validate struct {
	Height  Height
	BlockID BlockID
}

// CommitBlock reports the decision of a height with its certificate. The
// caller stores and applies the block, then feeds Applied.
type CommitBlock struct{ Commit Commit }

// ReportEvidence reports a detected equivocation.
type ReportEvidence struct{ Evidence Evidence }

func (Persist) isAction()           {}
func (SignVote) isAction()          {}
func (SignProposal) isAction()      {}
func (BroadcastVote) isAction()     {}
func (BroadcastProposal) isAction() {}
func (ScheduleTimeout) isAction()   {}
func (BuildValue) isAction()        {}
func (Validate) isAction()          {}
func (CommitBlock) isAction()       {}
func (ReportEvidence) isAction()    {}

// String formats a for traces.
func (a Persist) String() string { return "persist " + a.State.String() }

// String formats a for traces.
func (a SignVote) String() string { return "sign " + a.Vote.String() }

// String formats a for traces.
func (a SignProposal) String() string { return "sign " + a.Proposal.String() }

// String formats a for traces.
func (a BroadcastVote) String() string { return "broadcast " + a.Vote.String() }

// String formats a for traces.
func (a BroadcastProposal) String() string {
	if len(a.POL) > 0 {
		return fmt.Sprintf("broadcast %s with %d pol prevotes", a.Proposal, len(a.POL))
	}
	return "broadcast " + a.Proposal.String()
}

// String formats a for traces.
func (a ScheduleTimeout) String() string {
	return fmt.Sprintf("schedule timeout %s h=%d r=%d after %s", a.Step, a.Height, a.Round, a.Duration)
}

// String formats a for traces.
func (a BuildValue) String() string { return fmt.Sprintf("build value h=%d r=%d", a.Height, a.Round) }

// String formats a for traces.
func (a Validate) String() string { return fmt.Sprintf("validate h=%d %s", a.Height, a.BlockID) }

// String formats a for traces.
func (a CommitBlock) String() string {
	return fmt.Sprintf("commit h=%d r=%d %s with %d precommits", a.Commit.Height, a.Commit.Round, a.Commit.BlockID, len(a.Commit.Precommits))
}

// String formats a for traces.
func (a ReportEvidence) String() string { return "report " + a.Evidence.String() }
