package challenger

import (
	"testing"

	"github.com/bilayer/bilayer/rollup/verifier"
)

// TestNextAction: nothing to do while outputs agree; a wrong output is
// challenged while its batch is inside the window (with the blocks left),
// reported missed once the batch is final, and given up after the
// attempts run out; a block whose posted parent is wrong too is left to
// the parent's challenge.
func TestNextAction(t *testing.T) {
	d := &verifier.Disagreement{Number: 7, L1Block: 100}
	tests := []struct {
		name string
		o    Observation
		want Action
	}{
		{"agreement", Observation{L1Head: 120, ChallengeWindow: 30}, Action{Kind: Nothing}},
		{"inside the window", Observation{First: d, L1Head: 101, ChallengeWindow: 30, MaxAttempts: 3}, Action{Kind: Challenge, Block: 7, BlocksLeft: 28}},
		{"last chance", Observation{First: d, L1Head: 128, ChallengeWindow: 30, MaxAttempts: 3}, Action{Kind: Challenge, Block: 7, BlocksLeft: 1}},
		{"final", Observation{First: d, L1Head: 129, ChallengeWindow: 30, MaxAttempts: 3}, Action{Kind: Missed, Block: 7}},
		{"attempts spent", Observation{First: d, L1Head: 110, ChallengeWindow: 30, Attempts: 3, MaxAttempts: 3}, Action{Kind: GiveUp, Block: 7, BlocksLeft: 19}},
		// A right state root on a wrong parent: block 7 cannot be proven
		// on the posted 6; the parent's challenge deletes it.
		{"wrong parent", Observation{First: d, L1Head: 101, ChallengeWindow: 30, MaxAttempts: 3, ParentWrong: true}, Action{Kind: Nothing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NextAction(tt.o); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
