package fallback

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// Observation is what Decide decides from.
type Observation struct {
	// L1Head is the newest L1 block: a transaction sent now lands in a
	// later one.
	L1Head block.L1Number
	// Window is the contract's fallbackFrom(): from Window.From on anyone
	// bonded may post; the sequencer has posted nothing since
	// Window.Since.
	Window contract.FallbackWindow
	// LastAccepted is the contract's last accepted L2 block.
	LastAccepted protocol.Head
	// DerivedAtAccepted is the hash of the own derived block numbered
	// LastAccepted.Number (zero if the own chain does not reach it yet).
	DerivedAtAccepted common.Hash
	// Postable is the last block of the run of own derived deposit-only
	// blocks right after LastAccepted (LastAccepted.Number if there is
	// none).
	Postable block.L2Number
	// Bonded is the proposer's bond in the contract, Required the
	// sequencer bond posting needs, Balance the proposer's L1 balance.
	Bonded, Required, Balance *big.Int
}

// Kind says what the agent should do.
type Kind int

// The decisions.
const (
	// Wait: nothing to do now (Action.Reason says why).
	Wait Kind = iota
	// Bond: bond Action.Amount first, then post.
	Bond
	// Post: post the own blocks Action.From to Action.To.
	Post
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case Wait:
		return "wait"
	case Bond:
		return "bond"
	case Post:
		return "post"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Action is Decide's decision.
type Action struct {
	Kind Kind
	// Reason explains a Wait.
	Reason string
	// Amount is what to bond (Bond).
	Amount *big.Int
	// From and To are the L2 blocks to post (Post).
	From, To block.L2Number
	// Silent is how many L1 blocks have passed without a batch (or
	// successful challenge): L1Head − Window.Since.
	Silent uint64
}

// Decide decides what the fallback proposer does. It is pure. It posts
// only when the contract would accept a non-sequencer's batch in the next
// L1 block, the own derived chain holds the contract's last accepted
// block with the same hash, and derived deposit-only blocks follow it; it
// bonds first if its bond is short (and its balance covers the rest).
func Decide(o Observation) Action {
	la := o.LastAccepted
	silent := uint64(0)
	if o.L1Head > o.Window.Since {
		silent = uint64(o.L1Head - o.Window.Since)
	}
	wait := func(format string, args ...any) Action {
		return Action{Kind: Wait, Reason: fmt.Sprintf(format, args...), Silent: silent}
	}
	switch {
	case o.L1Head+1 < o.Window.From:
		return wait("the sequencer timeout has not passed: the sequencer has been silent for %d L1 blocks, others may post from L1 block %d",
			silent, o.Window.From)
	case o.DerivedAtAccepted == (common.Hash{}):
		return wait("the derived chain has not reached L2 block %d, the last one the L1 accepted", la.Number)
	case o.DerivedAtAccepted != la.Hash:
		return wait("the L1 accepted L2 block %d as %s, the derived chain has %s: a challenge must settle that first",
			la.Number, la.Hash, o.DerivedAtAccepted)
	case o.Postable <= la.Number:
		return wait("no derived deposit-only block after L2 block %d yet", la.Number)
	}
	bonded, required := orZero(o.Bonded), orZero(o.Required)
	if bonded.Cmp(required) < 0 {
		missing := new(big.Int).Sub(required, bonded)
		if orZero(o.Balance).Cmp(missing) < 0 {
			return wait("cannot bond: %s wei more are needed and the L1 balance is %s wei", missing, orZero(o.Balance))
		}
		return Action{Kind: Bond, Amount: missing, Silent: silent}
	}
	return Action{Kind: Post, From: la.Number + 1, To: o.Postable, Silent: silent}
}

func orZero(v *big.Int) *big.Int {
	if v == nil {
		return new(big.Int)
	}
	return v
}
