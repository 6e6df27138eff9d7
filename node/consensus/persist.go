package consensus

import "fmt"

// PersistedState is what a validator must keep across a crash so that a
// restart cannot break the locking argument of the paper: the height, round
// and step it reached and its lockedValue/lockedRound and validValue/
// validRound, with ValidPOL, the 2/3+ prevotes that made validValue valid,
// and OwnVotes, its signed votes of the current and previous round. The
// signer separately guards against signing twice. Other received votes are
// not persisted: peers deliver them again.
//
// OwnVotes matter for liveness: a vote sent just before a crash may have been
// lost on the wire; after a restart the machine sends it again (a restarted
// node does not vote twice in a step, so without them its vote would be gone).
//
// ValidPOL matters for liveness, not safety: a restarted proposer re-proposes
// validValue with validRound and must be able to show the polka (lines 28-33)
// to validators locked on it, even if every other copy of those prevotes was
// lost in crashes.
type PersistedState struct {
	Height      Height
	Round       Round
	Step        Step
	LockedValue BlockID
	LockedRound Round
	ValidValue  BlockID
	ValidRound  Round
	ValidPOL    []Vote
	OwnVotes    []Vote
	// Pending is the vote sent to the signer and not yet returned signed
	// (zero Type: none). A restarted machine asks for it again; the signer
	// returns the identical signature if it had signed it before the crash.
	Pending Vote
}

// sameAs reports whether s and o hold the same state. ValidPOL is fixed by
// ValidValue and ValidRound, and OwnVotes only grows within a round, so
// comparing its length suffices.
func (s PersistedState) sameAs(o PersistedState) bool {
	return s.Height == o.Height && s.Round == o.Round && s.Step == o.Step &&
		s.LockedValue == o.LockedValue && s.LockedRound == o.LockedRound &&
		s.ValidValue == o.ValidValue && s.ValidRound == o.ValidRound &&
		len(s.OwnVotes) == len(o.OwnVotes) && s.Pending.Type == o.Pending.Type &&
		s.Pending.Round == o.Pending.Round && s.Pending.BlockID == o.Pending.BlockID
}

// String formats s for traces.
func (s PersistedState) String() string {
	return fmt.Sprintf("h=%d r=%d %s locked=%s@%d valid=%s@%d pol=%d own=%d",
		s.Height, s.Round, s.Step, s.LockedValue, s.LockedRound, s.ValidValue, s.ValidRound, len(s.ValidPOL), len(s.OwnVotes))
}
