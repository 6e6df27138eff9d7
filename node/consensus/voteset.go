package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// ErrVoteMismatch is returned when a vote is added to the set of another
// height, round or type.
var ErrVoteMismatch = errors.New("consensus: vote does not belong to this vote set")

// maxValuesPerValidator bounds how many different values one validator's
// votes are counted for in one vote set, so an equivocator cannot make a
// node store unbounded votes.
const maxValuesPerValidator = 4

// VoteSet collects the votes of one height, round and type and counts stake
// as the paper does: "2f+1 ⟨PREVOTE, h, r, ∗⟩" counts distinct validators,
// "2f+1 ⟨PREVOTE, h, r, id(v)⟩" counts the validators that sent a vote for v.
// An equivocating validator therefore counts, once, towards every value it
// voted for (as in the paper's model of a byzantine sender), and the
// equivocation is reported as Evidence. Votes must be verified before they
// are added.
type VoteSet struct {
	height  Height
	round   Round
	typ     VoteType
	vals    *ValidatorSet
	quorum  threshold
	first   map[common.Address]Vote // the first vote of each validator
	votes   map[voteSlot]Vote       // every counted (validator, value) vote
	nvalues map[common.Address]int
	sum     int64
	byBlock map[BlockID]int64
	// accused records validators already reported, so one equivocator yields
	// one Evidence per vote set however many values it signs.
	accused map[common.Address]bool
}

type voteSlot struct {
	val common.Address
	id  BlockID
}

// NewVoteSet returns an empty set for votes of type typ at height h, round r.
func NewVoteSet(h Height, r Round, typ VoteType, vals *ValidatorSet) *VoteSet {
	return newVoteSet(h, r, typ, vals, twoThirds)
}

func newVoteSet(h Height, r Round, typ VoteType, vals *ValidatorSet, quorum threshold) *VoteSet {
	return &VoteSet{
		height: h, round: r, typ: typ, vals: vals, quorum: quorum,
		first:   make(map[common.Address]Vote),
		votes:   make(map[voteSlot]Vote),
		nvalues: make(map[common.Address]int),
		byBlock: make(map[BlockID]int64),
		accused: make(map[common.Address]bool),
	}
}

// Add records v. It returns added=false for a duplicate (or a value beyond
// maxValuesPerValidator). The first vote for a second value by the same
// validator is returned as Evidence together with its first vote.
func (s *VoteSet) Add(v Vote) (added bool, ev *Evidence, err error) {
	if v.Height != s.height || v.Round != s.round || v.Type != s.typ {
		return false, nil, fmt.Errorf("add %s to set h=%d r=%d %s: %w", v, s.height, s.round, s.typ, ErrVoteMismatch)
	}
	power, ok := s.vals.Power(v.Validator)
	if !ok {
		return false, nil, fmt.Errorf("add %s: %w", v, ErrUnknownValidator)
	}
	slot := voteSlot{v.Validator, v.BlockID}
	if _, dup := s.votes[slot]; dup {
		return false, nil, nil
	}
	if first, voted := s.first[v.Validator]; voted {
		if !s.accused[v.Validator] {
			s.accused[v.Validator] = true
			ev = &Evidence{A: first, B: v}
		}
		if s.nvalues[v.Validator] >= maxValuesPerValidator {
			return false, ev, nil
		}
	} else {
		s.first[v.Validator] = v
		s.sum += power
	}
	s.votes[slot] = v
	s.nvalues[v.Validator]++
	s.byBlock[v.BlockID] += power
	return true, ev, nil
}

// HasTwoThirdsAny reports whether more than 2/3 of the stake voted, for
// anything (the paper's "2f+1 ⟨·, h, r, ∗⟩").
func (s *VoteSet) HasTwoThirdsAny() bool { return s.quorum.reached(s.sum, s.vals.TotalPower()) }

// HasTwoThirdsFor reports whether more than 2/3 of the stake voted for id
// (id may be nil: a nil polka).
func (s *VoteSet) HasTwoThirdsFor(id BlockID) bool {
	return s.quorum.reached(s.byBlock[id], s.vals.TotalPower())
}

// VotesFor returns the votes for id, one per validator, sorted by address.
func (s *VoteSet) VotesFor(id BlockID) []Vote {
	var out []Vote
	for _, v := range s.votes {
		if v.BlockID == id {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b Vote) int { return bytes.Compare(a.Validator[:], b.Validator[:]) })
	return out
}

// Sum is the stake of the distinct validators that voted.
func (s *VoteSet) Sum() int64 { return s.sum }
