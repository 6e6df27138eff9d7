package consensus

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestNewValidatorSetRejectsBadInput(t *testing.T) {
	a, b := common.Address{1}, common.Address{2}
	for name, c := range map[string]struct {
		vals []Validator
		err  error
	}{
		"empty":     {nil, ErrEmptyValidatorSet},
		"zero":      {[]Validator{{Address: a, Power: 0}}, ErrBadPower},
		"duplicate": {[]Validator{{Address: a, Power: 1}, {Address: a, Power: 1}}, ErrDuplicateValidator},
		"too much":  {[]Validator{{Address: a, Power: MaxTotalPower}, {Address: b, Power: 1}}, ErrTotalPowerTooHigh},
	} {
		if _, err := NewValidatorSet(c.vals); !errors.Is(err, c.err) {
			t.Errorf("%s: got %v, want %v", name, err, c.err)
		}
	}
}

// TestProposerRoundRobinEqualStake: with equal stakes, proposers rotate in
// address order, ties broken by the lower address.
func TestProposerRoundRobinEqualStake(t *testing.T) {
	addrs := []common.Address{{3}, {1}, {2}}
	var vals []Validator
	for _, a := range addrs {
		vals = append(vals, Validator{Address: a, Power: 5})
	}
	vs, _ := NewValidatorSet(vals)
	ps := NewProposerSchedule(vs)
	want := []common.Address{{1}, {2}, {3}, {1}, {2}, {3}}
	for r, w := range want {
		if got := ps.Proposer(Round(r)); got != w {
			t.Fatalf("proposer(r=%d) = %x, want %x", r, got[:1], w[:1])
		}
	}
}

// TestProposerFrequencyFollowsStake: over many elections each validator
// proposes in proportion to its stake (within one election per validator).
func TestProposerFrequencyFollowsStake(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	vs, addrs := randomValidatorSet(rng, 7)
	const rounds = 10_000
	count := map[common.Address]int64{}
	ps := NewProposerSchedule(vs)
	for r := 0; r < rounds; r++ {
		count[ps.Proposer(Round(r))]++
	}
	for _, a := range addrs {
		p, _ := vs.Power(a)
		want := rounds * p / vs.TotalPower()
		if d := count[a] - want; d < -int64(len(addrs)) || d > int64(len(addrs)) {
			t.Errorf("validator %x: %d proposals, want %d±%d", a[:2], count[a], want, len(addrs))
		}
	}
}

// TestProposerDeterministic: two nodes computing the schedule independently,
// also across heights via NextHeight, agree, and the caller's set is not mutated.
func TestProposerDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	vs, _ := randomValidatorSet(rng, 5)
	before := vs.Validators()
	a, b := vs, vs
	for h := 0; h < 20; h++ {
		pa, pb := NewProposerSchedule(a), NewProposerSchedule(b)
		for r := Round(9); r >= 0; r-- { // b asks in another order
			if pa.Proposer(9-r) != pb.Proposer(9-r) {
				t.Fatalf("h=%d r=%d: schedules differ", h, 9-r)
			}
		}
		a, b = a.NextHeight(), b.NextHeight()
	}
	for i, v := range vs.Validators() {
		if v != before[i] {
			t.Fatal("ProposerSchedule or NextHeight mutated the set")
		}
	}
}

// TestPriorityStaysBounded: priorities stay centred within the window of
// 2*total however long the chain runs.
func TestPriorityStaysBounded(t *testing.T) {
	vs, _ := NewValidatorSet([]Validator{{Address: common.Address{1}, Power: 1}, {Address: common.Address{2}, Power: 1_000_000}})
	for h := 0; h < 5000; h++ {
		vs = vs.NextHeight()
	}
	for _, v := range vs.Validators() {
		if v.ProposerPriority > 2*vs.TotalPower() || v.ProposerPriority < -2*vs.TotalPower() {
			t.Fatalf("priority %d outside the window", v.ProposerPriority)
		}
	}
}
