package consensus

import (
	"encoding/hex"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Height is an L1 block height. Consensus decides exactly one block per height.
type Height uint64

// Round is a round within a height. NilRound (-1) means "no round", as the
// paper's -1 for lockedRound, validRound and a proposal's validRound.
type Round int32

// NilRound is the paper's -1: no lock, no valid value, no proof-of-lock round.
const NilRound Round = -1

// Step is the phase of a round, in the order the paper walks them.
type Step uint8

// The steps of a round. The numeric order matters: the signer refuses to sign
// for a step lower than one it has already signed in the same height and round.
const (
	StepPropose Step = iota + 1
	StepPrevote
	StepPrecommit
)

// String names the step as the paper does.
func (s Step) String() string {
	switch s {
	case StepPropose:
		return "propose"
	case StepPrevote:
		return "prevote"
	case StepPrecommit:
		return "precommit"
	}
	return fmt.Sprintf("step(%d)", uint8(s))
}

// VoteType says whether a vote is a prevote or a precommit.
type VoteType uint8

// The two kinds of vote.
const (
	Prevote VoteType = iota + 1
	Precommit
)

// String names the vote type.
func (t VoteType) String() string {
	switch t {
	case Prevote:
		return "prevote"
	case Precommit:
		return "precommit"
	}
	return fmt.Sprintf("votetype(%d)", uint8(t))
}

// Step returns the round step in which a vote of this type is cast.
func (t VoteType) Step() Step {
	if t == Precommit {
		return StepPrecommit
	}
	return StepPrevote
}

// BlockID identifies a proposed value (the hash of a block). The zero value is
// nil: a vote for the zero BlockID is a vote for nil.
type BlockID [32]byte

// IsNil reports whether id is the nil value.
func (id BlockID) IsNil() bool { return id == BlockID{} }

// String prints a short form of the id, or "nil".
func (id BlockID) String() string {
	if id.IsNil() {
		return "nil"
	}
	return hex.EncodeToString(id[:4])
}

// Vote is a prevote or precommit of one validator for a block or for nil.
// Signature is the 65-byte secp256k1 [R||S||V] signature over SignBytes.
type Vote struct {
	Type      VoteType
	Height    Height
	Round     Round
	BlockID   BlockID
	Validator common.Address
	Signature []byte
}

// String prints the vote in the trace format used by the scenario tests.
func (v Vote) String() string {
	return fmt.Sprintf("%s h=%d r=%d %s by %s", v.Type, v.Height, v.Round, v.BlockID, shortAddr(v.Validator))
}

// Proposal is the proposer's ⟨PROPOSAL, h, r, v, validRound⟩ message. The block
// contents travel beside it; consensus only needs the BlockID.
type Proposal struct {
	Height    Height
	Round     Round
	POLRound  Round // the paper's validRound (vr); NilRound if none
	BlockID   BlockID
	Proposer  common.Address
	Signature []byte
}

// String prints the proposal in the trace format used by the scenario tests.
func (p Proposal) String() string {
	return fmt.Sprintf("proposal h=%d r=%d %s pol=%d by %s", p.Height, p.Round, p.BlockID, p.POLRound, shortAddr(p.Proposer))
}

// Commit is the commit certificate of a height: precommits for BlockID in
// Round carrying more than 2/3 of the stake of the height's validator set.
type Commit struct {
	Height     Height
	Round      Round
	BlockID    BlockID
	Precommits []Vote
}

// Evidence proves an equivocation: two votes signed by the same validator for
// the same height, round and type, for different values. Both votes carry
// their signatures, so anyone holding the validator set can verify it.
type Evidence struct {
	A, B Vote
}

// String prints the evidence in the trace format used by the scenario tests.
func (e Evidence) String() string {
	return fmt.Sprintf("evidence %s h=%d r=%d by %s: %s vs %s",
		e.A.Type, e.A.Height, e.A.Round, shortAddr(e.A.Validator), e.A.BlockID, e.B.BlockID)
}

func shortAddr(a common.Address) string { return hex.EncodeToString(a[:2]) }
