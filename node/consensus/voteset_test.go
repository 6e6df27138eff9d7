package consensus

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// naiveTally is the obviously-correct reference for VoteSet: it keeps every
// message and recounts from scratch, with exact rational comparison done in
// big steps (sum/total > 2/3 as 3*sum > 2*total over small ints).
type naiveTally struct {
	powers map[common.Address]int64
	total  int64
	msgs   []Vote
}

func (n *naiveTally) senders(match func(Vote) bool) int64 {
	seen := map[common.Address]bool{}
	var sum int64
	for _, v := range n.msgs {
		if match(v) && !seen[v.Validator] {
			seen[v.Validator] = true
			sum += n.powers[v.Validator]
		}
	}
	return sum
}

func (n *naiveTally) twoThirdsAny() bool {
	return 3*n.senders(func(Vote) bool { return true }) > 2*n.total
}

func (n *naiveTally) twoThirdsFor(id BlockID) bool {
	return 3*n.senders(func(v Vote) bool { return v.BlockID == id }) > 2*n.total
}

func randomValidatorSet(rng *rand.Rand, n int) (*ValidatorSet, []common.Address) {
	vals := make([]Validator, n)
	addrs := make([]common.Address, n)
	for i := range vals {
		addrs[i] = common.Address{byte(i + 1), byte(rng.IntN(256))}
		vals[i] = Validator{Address: addrs[i], Power: 1 + rng.Int64N(1000)}
	}
	vs, err := NewValidatorSet(vals)
	if err != nil {
		panic(err)
	}
	return vs, addrs
}

// TestVoteSetMatchesNaiveTally feeds random votes — random stakes, random
// values among nil/A/B, equivocations and duplicates included — to a VoteSet
// and to the naive tally, and compares every quorum answer after every vote.
func TestVoteSetMatchesNaiveTally(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ids := []BlockID{{}, value("A"), value("B")}
	for trial := 0; trial < 300; trial++ {
		vs, addrs := randomValidatorSet(rng, 1+rng.IntN(12))
		set := NewVoteSet(1, 0, Prevote, vs)
		naive := &naiveTally{powers: map[common.Address]int64{}, total: vs.TotalPower()}
		for _, a := range addrs {
			naive.powers[a], _ = vs.Power(a)
		}
		for k := 0; k < 3*len(addrs); k++ {
			v := Vote{Type: Prevote, Height: 1, Round: 0, BlockID: ids[rng.IntN(len(ids))], Validator: addrs[rng.IntN(len(addrs))]}
			if _, _, err := set.Add(v); err != nil {
				t.Fatal(err)
			}
			naive.msgs = append(naive.msgs, v)
			if got, want := set.HasTwoThirdsAny(), naive.twoThirdsAny(); got != want {
				t.Fatalf("trial %d: 2/3+ any = %v, naive %v", trial, got, want)
			}
			for _, id := range ids {
				if got, want := set.HasTwoThirdsFor(id), naive.twoThirdsFor(id); got != want {
					t.Fatalf("trial %d: 2/3+ for %s = %v, naive %v", trial, id, got, want)
				}
			}
			if got, want := oneThird.reached(set.Sum(), vs.TotalPower()), 3*naive.senders(func(Vote) bool { return true }) > naive.total; got != want {
				t.Fatalf("trial %d: f+1 = %v, naive %v", trial, got, want)
			}
		}
	}
}

// TestQuorumBoundaries pins the strict inequalities: exactly 2/3 is not a
// quorum, one more unit is; exactly 1/3 is not f+1.
func TestQuorumBoundaries(t *testing.T) {
	for _, c := range []struct {
		sum, total int64
		two, one   bool
	}{
		{2, 3, false, true}, {3, 3, true, true}, {20, 30, false, true}, {21, 30, true, true},
		{10, 30, false, false}, {11, 30, false, true}, {0, 1, false, false},
		{MaxTotalPower, MaxTotalPower, true, true},
	} {
		if got := twoThirds.reached(c.sum, c.total); got != c.two {
			t.Errorf("2/3 of %d/%d = %v", c.sum, c.total, got)
		}
		if got := oneThird.reached(c.sum, c.total); got != c.one {
			t.Errorf("1/3 of %d/%d = %v", c.sum, c.total, got)
		}
	}
}

func TestVoteSetEvidenceOncePerValidator(t *testing.T) {
	vs, addrs := randomValidatorSet(rand.New(rand.NewPCG(3, 4)), 4)
	set := NewVoteSet(1, 0, Precommit, vs)
	vote := func(name string) Vote {
		return Vote{Type: Precommit, Height: 1, BlockID: value(name), Validator: addrs[0]}
	}
	if _, ev, _ := set.Add(vote("A")); ev != nil {
		t.Fatal("evidence on the first vote")
	}
	if added, ev, _ := set.Add(vote("A")); added || ev != nil {
		t.Fatal("a duplicate was counted or reported")
	}
	_, ev, _ := set.Add(vote("B"))
	if ev == nil || ev.A.BlockID != value("A") || ev.B.BlockID != value("B") {
		t.Fatalf("evidence = %+v", ev)
	}
	if _, ev, _ := set.Add(vote("C")); ev != nil {
		t.Fatal("the same equivocator was reported twice")
	}
	p, _ := vs.Power(addrs[0])
	if set.Sum() != p {
		t.Fatalf("an equivocator counts once towards 2/3+ any: sum %d, power %d", set.Sum(), p)
	}
}

func TestVoteSetRejectsForeignVotes(t *testing.T) {
	vs, addrs := randomValidatorSet(rand.New(rand.NewPCG(5, 6)), 3)
	set := NewVoteSet(2, 1, Prevote, vs)
	if _, _, err := set.Add(Vote{Type: Prevote, Height: 2, Round: 0, Validator: addrs[0]}); !errors.Is(err, ErrVoteMismatch) {
		t.Fatalf("wrong round: %v", err)
	}
	if _, _, err := set.Add(Vote{Type: Prevote, Height: 2, Round: 1, Validator: common.Address{0xff}}); !errors.Is(err, ErrUnknownValidator) {
		t.Fatalf("stranger: %v", err)
	}
}
