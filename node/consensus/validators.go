package consensus

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// MaxTotalPower bounds the total stake of a validator set so that quorum
// arithmetic (sum*3) and proposer priorities can never overflow an int64.
const MaxTotalPower = int64(math.MaxInt64) / 8

// priorityWindowFactor bounds the spread of proposer priorities to
// factor*total, as CometBFT does, so a validator joining late neither starves
// nor floods proposing.
const priorityWindowFactor = 2

// Errors returned when building a validator set.
var (
	ErrEmptyValidatorSet = errors.New("consensus: empty validator set")
	ErrBadPower          = errors.New("consensus: validator power must be positive")
	ErrTotalPowerTooHigh = errors.New("consensus: total power above MaxTotalPower")
)

// Validator is one member of a validator set: its address and stake (voting
// power), and its proposer priority.
type Validator struct {
	Address          common.Address
	Power            int64
	ProposerPriority int64
}

// ValidatorSet is the stake-weighted set of validators of one height. It is
// immutable: every method that changes priorities returns a new set.
type ValidatorSet struct {
	vals  []Validator // sorted by address
	index map[common.Address]int
	total int64
}

// NewValidatorSet builds a set from vals (any order; priorities are kept).
func NewValidatorSet(vals []Validator) (*ValidatorSet, error) {
	if len(vals) == 0 {
		return nil, ErrEmptyValidatorSet
	}
	sorted := slices.Clone(vals)
	slices.SortFunc(sorted, func(a, b Validator) int { return bytes.Compare(a.Address[:], b.Address[:]) })
	vs := &ValidatorSet{vals: sorted, index: make(map[common.Address]int, len(sorted))}
	for i, v := range sorted {
		if v.Power <= 0 {
			return nil, fmt.Errorf("validator %s power %d: %w", v.Address, v.Power, ErrBadPower)
		}
		if _, dup := vs.index[v.Address]; dup {
			return nil, fmt.Errorf("validator %s: %w", v.Address, ErrDuplicateValidator)
		}
		vs.index[v.Address] = i
		vs.total += v.Power
		if vs.total > MaxTotalPower {
			return nil, ErrTotalPowerTooHigh
		}
	}
	return vs, nil
}

// Size is the number of validators.
func (vs *ValidatorSet) Size() int { return len(vs.vals) }

// TotalPower is the sum of all stakes.
func (vs *ValidatorSet) TotalPower() int64 { return vs.total }

// Validators returns a copy of the members, sorted by address.
func (vs *ValidatorSet) Validators() []Validator { return slices.Clone(vs.vals) }

// Power returns the stake of addr and whether addr is a member.
func (vs *ValidatorSet) Power(addr common.Address) (int64, bool) {
	i, ok := vs.index[addr]
	if !ok {
		return 0, false
	}
	return vs.vals[i].Power, true
}

func (vs *ValidatorSet) clone() *ValidatorSet {
	return &ValidatorSet{vals: slices.Clone(vs.vals), index: vs.index, total: vs.total}
}

// NextHeight returns the set for the following height (same members, the
// priorities advanced by one proposer election). The proposer of round 0 of a
// height is chosen by that height's set; see ProposerSchedule.
func (vs *ValidatorSet) NextHeight() *ValidatorSet {
	next := vs.clone()
	next.incrementPriority()
	return next
}

// ProposerSchedule yields proposer(h, r) for r = 0, 1, 2, ... of the height
// whose validator set it was made from. It is deterministic on every node.
type ProposerSchedule struct {
	cur       *ValidatorSet
	proposers []common.Address
}

// NewProposerSchedule starts the schedule of the height governed by vs.
func NewProposerSchedule(vs *ValidatorSet) *ProposerSchedule {
	return &ProposerSchedule{cur: vs.clone()}
}

// Proposer returns proposer(h, r). It runs in O(r·n) the first time a round is
// asked for, O(1) afterwards.
func (ps *ProposerSchedule) Proposer(r Round) common.Address {
	for Round(len(ps.proposers)) <= r {
		ps.proposers = append(ps.proposers, ps.cur.incrementPriority())
	}
	return ps.proposers[r]
}

// incrementPriority runs one proposer election in place, CometBFT style:
// rescale priorities into a window of 2*total, center them on zero, add every
// validator's power, pick the highest (ties go to the lower address), and
// subtract the total from the winner. It returns the winner.
func (vs *ValidatorSet) incrementPriority() common.Address {
	vs.rescale()
	vs.center()
	best := 0
	for i := range vs.vals {
		vs.vals[i].ProposerPriority += vs.vals[i].Power
		if vs.vals[i].ProposerPriority > vs.vals[best].ProposerPriority {
			best = i // strict: on a tie the earlier (lower) address wins
		}
	}
	vs.vals[best].ProposerPriority -= vs.total
	return vs.vals[best].Address
}

func (vs *ValidatorSet) rescale() {
	lo, hi := vs.vals[0].ProposerPriority, vs.vals[0].ProposerPriority
	for _, v := range vs.vals {
		lo, hi = min(lo, v.ProposerPriority), max(hi, v.ProposerPriority)
	}
	window := priorityWindowFactor * vs.total
	diff := hi - lo
	if diff <= window {
		return
	}
	ratio := (diff + window - 1) / window
	for i := range vs.vals {
		vs.vals[i].ProposerPriority /= ratio
	}
}

func (vs *ValidatorSet) center() {
	sum := new(big.Int)
	for _, v := range vs.vals {
		sum.Add(sum, big.NewInt(v.ProposerPriority))
	}
	avg := sum.Quo(sum, big.NewInt(int64(len(vs.vals)))).Int64()
	for i := range vs.vals {
		vs.vals[i].ProposerPriority -= avg
	}
}
