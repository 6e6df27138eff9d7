package node

import (
	"time"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/node/consensus"
)

// Bounds and steps of the adaptive block gas target.
const (
	// minBlockGas is the least gas target: a hundred transfers, so a chain
	// that struggled still moves its pool.
	minBlockGas = 100 * execution.TxGas
	// blockGasShrink scales the target, or a late, heavy block's gas if
	// that is more, into the next target.
	blockGasShrink = 0.75
	// blockGasHeavy is the share of the target a late height's block must
	// use for the target to shrink to it: a height that ran late with a
	// block far below the target was slowed by something else (a burst of
	// new transactions to admit when a load starts), and shrinking to that
	// block would take the chain down to a fraction of what it carries.
	blockGasHeavy = 0.5
	// blockGasGrowth is the least factor the target grows by after a
	// healthy height whose block filled it (blockGasFull).
	blockGasGrowth = 1.1
	// blockGasAim is the share of the block time a height's work should
	// take: a healthy height that took less grows the target in proportion
	// (aim / took), by at most blockGasMaxGrowth.
	blockGasAim = 0.8
	// blockGasMaxGrowth bounds the growth after one healthy height, over
	// the gas of the block that height decided: each node times heights by
	// its own clock (one that entered the height late sees it shorter), so
	// targets grown from a node's own view drift apart, and a target far
	// above the blocks the others carry makes a proposal too large to
	// arrive and execute in time (a failed round).
	blockGasMaxGrowth = 1.25
	// blockGasFull is the share of the target a block must use for a
	// healthy height to raise it: a target no block reaches says nothing
	// about what the validators could carry.
	blockGasFull = 0.8
	// initialBlockGas is the least first target: a thousand transfers.
	initialBlockGas = 1000 * execution.TxGas
)

// fillTimeOf is how long a proposer fills its block: two fifths of the
// block time, or of the propose timeout if that is shorter, so the
// proposal arrives well within the others' timeout and the height about
// within its block time. Under a load the chain cannot take, the fill
// time is what sizes a block: a quarter (250 ms of the devnet's second)
// closed blocks at 1,000–2,600 transfers by what the proposer's share of
// the cores executed in it, and a height's decision and commit left the
// rest of the second to the next height's slot; with two fifths the
// search's peak rose from 1,577–1,834 to 1,785–1,916 tx/s in today's runs,
// and with a half heights ran longer than the block time at the peak
// (issue 17, session 25).
func fillTimeOf(timeoutPropose, blockTime time.Duration) time.Duration {
	return min(timeoutPropose, blockTime) * 2 / 5
}

// buildBudget bounds the block this node builds when it proposes (issue
// 17: a plateau, not a collapse): a fixed time to fill it, and a gas target
// that follows the chain.
//
// A block costs every validator about as much to receive, re-execute and
// commit as its gas says, and on a devnet the validators share the
// machine's cores with each other and with the admission of new
// transactions. A block larger than they can carry in a block time makes
// heights late: rounds fail, the work is thrown away and throughput falls
// while the pools stay full. So after a height that needed a later round,
// or that took more than a quarter over the block time from its start to
// its commit with another such height among the two before it
// (lateWindow), and whose block was heavy (it took this node at least a tenth
// of the block time to build or execute, and used at least half the
// target: a late height with a light block, as while peers connect, after
// a partition or while a burst of new transactions is admitted, says
// nothing about block size), the target becomes three quarters of what
// it was, or of that block's gas if that is more (another proposer's
// larger block ran late). Not three quarters of a smaller block: a height
// runs late for more than its own block (a proposer that started it late
// after a slow vote makes it need round 1 whatever the block), and issue
// 17's plateau lost most of its throughput that way, a round-1 height
// with a block at half the target cutting the target to three eighths of
// what the chain had just carried, and a dozen healthy heights growing it
// back. Blocks near the target shrink as fast as before. After a
// height decided in round 0 within the block time, it becomes that block's
// gas if that is more (another proposer's larger block went through), or
// grows if the block used most of it, up to the header's gas limit:
// by a tenth, or to the block's gas scaled by the room the height left (a
// height that took 0.64 of the block time or less: a quarter more than the
// block, the most one height may), so that after a backlog arrives, or
// after heights ran late and shrank the target, blocks are back at what
// the validators carry within a few heights rather than a dozen; otherwise
// it holds. Targets are set from the blocks themselves,
// which every validator sees alike, so they agree whoever proposes and
// meet again where one node judged a height's timing differently (a time
// budget would not: the proposer's own build time says little of what
// committing and validating the block costs the others), and blocks stay
// about as large as the validators can carry in a block time, with a
// backlog worked off at that rate.
type buildBudget struct {
	time      time.Duration
	gas       uint64
	gasLimit  uint64
	blockTime time.Duration
	// lateRecently is how many heights ago a height last ran late with a
	// heavy block (1: the last one), 0 if not within lateWindow.
	lateRecently int
}

// lateWindow is how many heights back a late round-0 height with a heavy
// block looks for another before the target is cut. One late height alone
// is more often a stall than a block too large: the first block of a load
// after idle heights, a proposal that arrived late because its proposer
// was still committing, a flush or compaction that took the cores. At a
// load above what the chain carries heights rarely finish within the
// block time, the only thing that grows the target back, so each such
// cut lasted the rest of the load. In a bench run (issue 17, session 31)
// validator-0 cut its target ten times, eight of them after a late height
// with no other among the two before it, from 2,505 transfers to
// 1,170–1,560, while blocks of 1,700–2,100 had gone through in time, and
// the plateau carried a third less than the peak. A block too large for
// the validators makes every height late, so the second cuts, one height
// later than before. A height decided in a later round cuts at once: it
// cost a whole round.
const lateWindow = 3

// lateHeight is the time, in block times, past which a height counts as
// late (from its start to its commit). Until session 31 a single height
// cut at one and a half block times; counting only heights late together
// (lateWindow), a quarter over the block time cuts about as often and
// keeps heights nearer the block time (issue 17, session 31: in the loaded
// steps of L1 bench runs, blocks every 1.05–1.16 s against 1.19–1.32 s at
// one and a half, as often as with single heights cutting at one and a
// half, 1.03–1.16 s, and 8 % more transfers finalized than those).
const lateHeight = 1.25

// newBuildBudget fills for at most timeLimit and starts the gas target at
// an eighth of the block gas limit, at least initialBlockGas (the devnet's
// 200M: 25M, about 1,200 transfers, about what four validators sharing two
// cores carry in a second), never above the limit. An unloaded chain's
// blocks never reach it, so it only matters when a backlog first arrives:
// starting at the gas limit, the first such block held 3,600 transfers
// and its height ran for seconds. Healthy full blocks raise it from there.
func newBuildBudget(timeLimit, blockTime time.Duration, gasLimit uint64) *buildBudget {
	gasLimit = max(gasLimit, minBlockGas)
	gas := min(gasLimit, max(gasLimit/8, initialBlockGas))
	return &buildBudget{time: timeLimit, gas: gas, gasLimit: gasLimit, blockTime: blockTime}
}

// fillTime is how long the proposer may spend filling its next block.
func (b *buildBudget) fillTime() time.Duration { return b.time }

// gasTarget is the gas at which the proposer closes its next block.
func (b *buildBudget) gasTarget() uint64 { return b.gas }

// observe adjusts the target after a committed height: its decision round,
// how long it took from its start to its commit, how long its block took
// this node to build or execute, and the block's gas used.
func (b *buildBudget) observe(round consensus.Round, took, exec time.Duration, gasUsed uint64) {
	heavy := exec >= b.blockTime/10 && float64(gasUsed) >= blockGasHeavy*float64(b.gas)
	late := heavy && (round > 0 || float64(took) > lateHeight*float64(b.blockTime))
	lateBefore := b.lateRecently > 0
	switch {
	case late:
		b.lateRecently = 1
	case b.lateRecently > 0 && b.lateRecently < lateWindow-1:
		b.lateRecently++
	default:
		b.lateRecently = 0
	}
	switch {
	case late && (round > 0 || lateBefore):
		b.gas = max(uint64(float64(max(gasUsed, b.gas))*blockGasShrink), minBlockGas)
	case late:
		// The only late height in lateWindow: held.
	case round == 0 && took <= b.blockTime && gasUsed > b.gas:
		b.gas = min(gasUsed, b.gasLimit)
	case round == 0 && took <= b.blockTime && float64(gasUsed) >= blockGasFull*float64(b.gas):
		grown := float64(b.gas) * blockGasGrowth
		if took > 0 {
			f := min(blockGasMaxGrowth, blockGasAim*float64(b.blockTime)/float64(took))
			grown = max(grown, float64(gasUsed)*f)
		}
		b.gas = min(uint64(grown)+1, b.gasLimit)
	}
}
