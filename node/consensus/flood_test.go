package consensus

import (
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

// floodRounds is how far ahead the flooding validator of these tests sends:
// three windows of DefaultMaxRoundsAhead.
const floodRounds = 3 * DefaultMaxRoundsAhead

// flood feeds the machine, from validator i, a prevote and a precommit for
// every round 1..floodRounds, and a proposal for every round i proposes.
// It asks its own schedule who proposes, so as not to grow the machine's.
func (h *harness) flood(i int) {
	proposers := NewProposerSchedule(h.vals)
	for r := Round(1); r <= floodRounds; r++ {
		h.feed(VoteReceived{Vote: h.vote(i, Prevote, r, "B")})
		h.feed(VoteReceived{Vote: h.vote(i, Precommit, r, "nil")})
		if proposers.Proposer(r) == h.addrs[i] {
			p := Proposal{Height: h.m.Height(), Round: r, POLRound: NilRound, BlockID: value("C"), Proposer: h.addrs[i]}
			d := ProposalSignBytes(testChainID, p)
			sig, err := crypto.Sign(d[:], h.keys[i])
			if err != nil {
				h.t.Fatal(err)
			}
			p.Signature = sig
			h.feed(ProposalReceived{Proposal: p})
		}
	}
}

// requireBounded checks the machine holds rounds 0..round_p+window only.
func requireBounded(t *testing.T, h *harness) {
	t.Helper()
	m := h.m
	limit := m.round + DefaultMaxRoundsAhead
	for r := range m.msgs.rounds {
		if r < 0 || r > limit {
			t.Fatalf("holds round %d at round %d; the window ends at %d", r, m.round, limit)
		}
	}
	if len(m.msgs.rounds) > int(limit)+1 || len(m.proposers.proposers) > int(limit)+1 || len(m.validity) > len(m.msgs.rounds)+int(m.round)+1 {
		t.Fatalf("holds %d rounds, %d proposers, %d validity entries at round %d", len(m.msgs.rounds), len(m.proposers.proposers), len(m.validity), m.round)
	}
}

// TestFloodBelowOneThirdCannotSkipRounds: a validator with 1/4 of the stake
// sends votes and proposals for 192 rounds ahead; the machine stays in round 0
// and keeps only the 64 rounds of its window. A second validator's vote for a
// round makes f+1 (1/2 of the stake), and the machine starts that round.
func TestFloodBelowOneThirdCannotSkipRounds(t *testing.T) {
	h := newHarness(t, 4, 3)
	h.start()
	h.flood(1)
	if h.m.Round() != 0 {
		t.Fatalf("one validator of four moved the machine to round %d", h.m.Round())
	}
	requireBounded(t, h)
	if _, ok := h.m.msgs.rounds[DefaultMaxRoundsAhead]; !ok {
		t.Fatalf("round %d, the edge of the window, was not kept", DefaultMaxRoundsAhead)
	}
	h.feed(VoteReceived{Vote: h.vote(2, Prevote, 9, "nil")})
	if h.m.Round() != 9 {
		t.Fatalf("f+1 senders of round 9 left the machine in round %d", h.m.Round())
	}
	requireBounded(t, h)
}

// TestFloodOfExactlyOneThirdCannotSkipRounds: f+1 means more than 1/3, so one
// validator of three equal ones (exactly 1/3) cannot move the machine either.
func TestFloodOfExactlyOneThirdCannotSkipRounds(t *testing.T) {
	h := newHarness(t, 3, 2)
	h.start()
	h.flood(0)
	if h.m.Round() != 0 {
		t.Fatalf("a validator with exactly 1/3 of the stake moved the machine to round %d", h.m.Round())
	}
	requireBounded(t, h)
}
