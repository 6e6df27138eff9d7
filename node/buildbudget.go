package node

import (
	"time"

	"github.com/bilayer/bilayer/node/consensus"
)

// Bounds of the adaptive build budget.
const (
	// minBuildBudget is the least time a proposer spends filling a block
	// (a few hundred transfers), so a chain that struggled still moves its
	// pool.
	minBuildBudget = 10 * time.Millisecond
	// buildBudgetGrowth is the factor a budget grows by after a healthy
	// height.
	buildBudgetGrowth = 1.25
	// buildBudgetShrink is the factor it shrinks by after a late one.
	buildBudgetShrink = 0.7
)

// buildBudget is how long the proposer may spend filling its next block,
// adjusted after every height this node commits (issue 17: a plateau, not
// a collapse). A block takes every validator about as long to re-execute
// and commit as it took the proposer to fill, and on a devnet the
// validators share the machine's cores; so a budget that is right for an
// idle machine makes blocks that, under a backlog, no validator validates
// before its round times out: rounds fail, the work is thrown away, and
// throughput falls to nothing while the pools stay full. The budget
// therefore follows the chain: after a height that needed a later round or
// took more than one and a half block times from its start to its
// decision, and whose block was heavy (it took this node at least a tenth
// of the block time to build or execute: a late height with a light block,
// as while peers connect or after a partition, says nothing about block
// size), it shrinks (×0.7, down to minBuildBudget); after one decided in
// round 0 within the block time it grows (×1.25, up to its limit); in
// between it holds. Blocks then stay about as large as the validators can
// carry in a block time, with no idle wait, and a backlog is worked off at
// that rate.
type buildBudget struct {
	cur, max  time.Duration
	blockTime time.Duration
}

// newBuildBudget starts at limit, the budget of an unloaded chain.
func newBuildBudget(limit, blockTime time.Duration) *buildBudget {
	limit = max(limit, minBuildBudget)
	return &buildBudget{cur: limit, max: limit, blockTime: blockTime}
}

// current is the budget for the next block this node builds.
func (b *buildBudget) current() time.Duration { return b.cur }

// observe adjusts the budget after a committed height: its decision round,
// how long it took from its start to the decision, and how long its block
// took this node to build or execute.
func (b *buildBudget) observe(round consensus.Round, took, exec time.Duration) {
	switch {
	case (round > 0 || took > b.blockTime*3/2) && exec >= b.blockTime/10:
		b.cur = max(time.Duration(float64(b.cur)*buildBudgetShrink), minBuildBudget)
	case took <= b.blockTime:
		b.cur = min(time.Duration(float64(b.cur)*buildBudgetGrowth)+time.Millisecond, b.max)
	}
}
