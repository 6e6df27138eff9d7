package challenger

import (
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/verifier"
)

// Observation is what the solver decides from.
type Observation struct {
	// First is the first posted output the verifier found wrong (nil:
	// every posted output agrees).
	First *verifier.Disagreement
	// L1Head is the newest L1 block.
	L1Head block.L1Number
	// ChallengeWindow is the rollup's W: a batch accepted at L1 block A is
	// final (unchallengeable) from A+W on.
	ChallengeWindow uint64
	// Attempts counts the challenges already sent against First.
	Attempts int
	// MaxAttempts bounds them (a challenge the L1 refuses is retried, in
	// case the refusal was transient: a fee spike, a restart).
	MaxAttempts int
	// ParentWrong says the posted output of First's parent is wrong too
	// (an L2 block posted with its right state root on a wrong parent):
	// First cannot be proven then, since a proof re-executes it on its
	// posted parent, which no honest chain has. The parent is the one to
	// prove; its challenge deletes First with it.
	ParentWrong bool
}

// ActionKind says what the agent should do.
type ActionKind int

// The solver's actions.
const (
	// Nothing: every output agrees, or the dispute is being handled.
	Nothing ActionKind = iota
	// Challenge: prove First wrong now.
	Challenge
	// Missed: First's batch is final; it can no longer be challenged.
	Missed
	// GiveUp: every attempt failed.
	GiveUp
)

// Action is the solver's decision.
type Action struct {
	Kind  ActionKind
	Block block.L2Number
	// BlocksLeft is how many L1 blocks remain in the window.
	BlocksLeft uint64
}

// NextAction decides what to do about the verifier's findings. It is pure.
func NextAction(o Observation) Action {
	d := o.First
	if d == nil || o.ParentWrong {
		return Action{Kind: Nothing}
	}
	final := uint64(d.L1Block) + o.ChallengeWindow
	if uint64(o.L1Head)+1 >= final {
		return Action{Kind: Missed, Block: d.Number}
	}
	left := final - uint64(o.L1Head) - 1
	if o.MaxAttempts > 0 && o.Attempts >= o.MaxAttempts {
		return Action{Kind: GiveUp, Block: d.Number, BlocksLeft: left}
	}
	return Action{Kind: Challenge, Block: d.Number, BlocksLeft: left}
}
