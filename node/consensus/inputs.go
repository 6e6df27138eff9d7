package consensus

// Input is one event fed to Machine.Step. The concrete types below are the
// only inputs; every message in them must already be verified by the caller
// (VerifyVote, VerifyProposal, VerifyCommit).
type Input interface{ isInput() }

// ProposalReceived delivers a verified proposal from the network.
type ProposalReceived struct{ Proposal Proposal }

// VoteReceived delivers a verified prevote or precommit from the network.
type VoteReceived struct{ Vote Vote }

// TimeoutFired reports that a timeout scheduled by ScheduleTimeout elapsed.
// A timeout for an old height, round or step does nothing.
type TimeoutFired struct {
	Height Height
	Round  Round
	Step   Step
}

// ValueBuilt answers BuildValue: the paper's getValue(). The caller built (and
// executed) a block and reports its id. The machine treats it as valid.
type ValueBuilt struct {
	Height  Height
	Round   Round
	BlockID BlockID
}

// ValidationResult answers Validate: the paper's valid(v).
type ValidationResult struct {
	Height  Height
	BlockID BlockID
	Valid   bool
}

// VoteSigned returns a vote the machine asked to have signed (SignVote), now
// carrying the signature. The machine counts it and broadcasts it.
type VoteSigned struct{ Vote Vote }

// ProposalSigned returns a proposal the machine asked to have signed
// (SignProposal). The machine records it and broadcasts it.
type ProposalSigned struct{ Proposal Proposal }

// CommitReceived delivers a verified commit certificate for the current
// height, learned from a peer (catch-up). The machine decides its block.
type CommitReceived struct{ Commit Commit }

// Applied reports that the block decided at Height is durably stored and
// executed. Next is the validator set of Height+1.
type Applied struct {
	Height Height
	Next   *ValidatorSet
}

func (ProposalReceived) isInput() {}
func (VoteReceived) isInput()     {}
func (TimeoutFired) isInput()     {}
func (ValueBuilt) isInput()       {}
func (ValidationResult) isInput() {}
func (VoteSigned) isInput()       {}
func (ProposalSigned) isInput()   {}
func (CommitReceived) isInput()   {}
func (Applied) isInput()          {}
