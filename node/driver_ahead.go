package node

import (
	"sync/atomic"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// A height runs build → validate → vote → commit, one after the other: while
// the proposer fills its block, the other validators wait, and on a devnet
// whose validators share the machine's cores that leaves cores idle (issue
// 17). So the proposer of the next height's first round starts building
// its block as soon as it has executed the block the current height is
// deciding, on that block's post-state staged in the trie database's
// memory (driver.stage), while the votes and the commit go on; when the
// height is decided with that block, the block built ahead only needs the
// decision's certificate (chain.Executed.Seal).
// If the height decides another block, the one built ahead is dropped.
//
// It is done only behind a backlog: when the pool holds another full block
// besides the one being decided.
// The block built ahead holds what the pool held when it started, so on a
// lightly loaded chain it would leave out what arrives in the rest of the
// height and add that time to those transactions' wait; behind a backlog,
// the block is full either way.

// aheadSmall is the share of a full block (the gas target, or the gas
// limit if smaller) below which a block built ahead is dropped for a new
// build when a backlog waits (takeAhead).
const aheadSmall = 0.5

// aheadBuild is a block being built ahead for the next height.
type aheadBuild struct {
	height consensus.Height // the height the block is for
	parent common.Hash      // the block it extends
	done   chan struct{}    // closed when ex, err and took are set
	fill   *aheadFill       // when its filling stops
	ex     *chain.Executed
	err    error
	took   time.Duration
}

// startAhead starts building the block of height h+1 on ex, the block of
// height h this node has just executed (in execTook), if this node proposes the first
// round of h+1 and a backlog waits (backlogged). Who proposes h+1 is
// known before h is committed only when ex keeps the validator set;
// otherwise nothing is built ahead.
func (d *driver) startAhead(h consensus.Height, ex *chain.Executed, execTook time.Duration) {
	n := d.n
	b := ex.Block
	if d.ahead != nil && d.ahead.parent == b.Hash() {
		return
	}
	if b.Extras.NextValidatorsHash != b.Extras.ValidatorsHash {
		return
	}
	vals, err := n.validatorsAt(h)
	if err != nil || consensus.NewProposerSchedule(vals.NextHeight()).Proposer(0) != n.self {
		return
	}
	if !d.backlogged(b) {
		n.log.Debug("Not building the next block ahead: no full block waits", "height", h+1, "pooled", n.pool.Len(),
			"heldOfTheBlock", n.pool.CountHeld(b.Transactions), "blockTxs", len(b.Transactions), "gasTarget", d.budget.gasTarget())
		return
	}
	// Each sender of b continues after its last nonce in b: the pool
	// offers what b makes executable, not what b holds.
	next := make(map[common.Address]uint64, len(b.Transactions))
	for _, tx := range b.Transactions {
		if from, err := types.Sender(n.chain.Signer(), tx); err == nil {
			next[from] = max(next[from], tx.Nonce()+1)
		}
	}
	txs := n.pool.ExecutableAfter(n.chain.NextBaseFee(b.Header), next)
	// Filling may take until a fill time after the next height can start:
	// one block time after this one's slot (pacing.go), and not before the other
	// validators have executed this block too (about as long as it took
	// this node). The proposal then goes out no later than if it were
	// built when that height starts. Building ahead shares the cores with
	// the validators executing this height's block, so it is slower than
	// a build at the height's start.
	deadline := nextSlot(d.slot, time.Now(), n.cfg.Genesis.BlockTime.Duration)
	if others := time.Now().Add(execTook); deadline.Before(others) {
		deadline = others
	}
	fill := d.budget.fillTime()
	a := &aheadBuild{height: h + 1, parent: b.Hash(), done: make(chan struct{}),
		fill: newAheadFill(deadline.Add(fill), fill, time.Now)}
	run, err := n.chain.BuildOn(ex, chain.BuildParams{Proposer: n.self, Time: uint64(time.Now().Unix()),
		Enough: a.fill.enough, MaxGas: d.budget.gasTarget()}, txs)
	if err != nil {
		n.log.Debug("Cannot build the next block ahead", "height", h+1, "err", err)
		return
	}
	d.ahead = a
	go func() {
		defer close(a.done)
		start := time.Now()
		a.ex, a.err = run()
		a.took = time.Since(start)
	}()
}

// dropAheadUnless forgets the block built ahead unless it extends decided,
// the block just committed, and drops the staged states of the height's
// other blocks (driver.stage). A build still running on one fails
// (nobody takes its block).
func (d *driver) dropAheadUnless(decided common.Hash) {
	if a := d.ahead; a != nil && a.parent != decided {
		d.ahead = nil
	}
	for _, ex := range d.stagedParents {
		if ex.Block.Hash() == decided {
			continue
		}
		if err := d.n.chain.Discard(ex); err != nil {
			d.n.log.Warn("Cannot drop the state of an undecided block", "height", ex.Block.Number(), "err", err)
		}
	}
	d.stagedParents = nil
}

// backlogged reports whether the pool holds, besides b's transactions (b
// being the block being decided), at least a full block's gas: the gas
// target, or b's gas limit if smaller (counted at b's mean gas per
// transaction, or a transfer's for an empty b). The next block is then
// full whenever it is built. Whether b itself was full does not matter:
// validators' targets differ (each follows the chain by its own clock),
// and a block another proposer closed below this node's target says
// nothing about the backlog.
//
// Only those of b's transactions this pool holds are set aside. Under a
// load above what the chain carries, each validator's pool is full of
// what its own JSON-RPC clients sent, and the block another validator
// proposes holds that validator's clients' transactions, few of which are
// in this pool. Taking all of b's transactions off this pool's count (as
// it was until issue 17's session 22) made a pool of 3,000 with a block
// of 1,500 being decided look short of a 2,400-transfer target: the
// next proposer built ahead for 3 heights in a whole bench run, where
// some 60 ran behind a backlog, and each built its block at its height's
// start, on the critical path.
func (d *driver) backlogged(b *block.Block) bool {
	full := float64(min(d.budget.gasTarget(), b.Header.GasLimit))
	perTx := float64(execution.TxGas)
	if len(b.Transactions) > 0 {
		perTx = float64(b.Header.GasUsed) / float64(len(b.Transactions))
	}
	waiting := d.n.pool.Len() - d.n.pool.CountHeld(b.Transactions)
	return float64(waiting)*perTx >= full
}

// takeAhead returns the block built ahead for round r of height h, sealed
// with last (the parent's certificate), with how long building it took, or
// nil when there is none for that round on the current head. A build
// still running stops filling by half the propose timeout (aheadFill.stopBy),
// and takeAhead waits for it.
func (d *driver) takeAhead(h consensus.Height, r consensus.Round, last *block.Commit) (*chain.Executed, time.Duration) {
	a := d.ahead
	d.ahead = nil
	if a == nil || a.height != h || r != 0 || a.parent != d.n.chain.Head().Hash() {
		return nil, 0
	}
	waitFrom := time.Now()
	if a.fill != nil {
		a.fill.stopBy(waitFrom.Add(d.n.ccfg.TimeoutPropose / 2))
	}
	<-a.done
	d.aheadWait = time.Since(waitFrom)
	if a.err != nil {
		d.n.log.Warn("The block built ahead failed; building again", "height", h, "err", a.err)
		return nil, 0
	}
	// A block built ahead whose filling stalled (its reads wait while the
	// parent is flushed) can come out with a few dozen transactions while a
	// backlog waits: a whole height for almost nothing. Building again now,
	// on the committed parent, fills a block in the usual fill time.
	full := min(d.budget.gasTarget(), a.ex.Block.Header.GasLimit)
	if used := a.ex.Block.Header.GasUsed; float64(used) < aheadSmall*float64(full) && d.backlogged(a.ex.Block) {
		d.n.log.Debug("The block built ahead is small behind a backlog; building again", "height", h,
			"txs", len(a.ex.Block.Transactions), "gasUsed", used, "full", full)
		return nil, 0
	}
	return a.ex.Seal(last), a.took
}

// aheadFill is the Enough of a block built ahead: filling stops once the
// deadline has passed and the build has filled for at least fill (the
// time a build at the height's start gets), counted from the end of its
// first transaction. The build waits for its parent's post-state to be
// staged, and its first transaction for the trie database's lock while the
// parent is flushed once decided: on cores shared with the validators
// executing the parent, up to half a second. Counted from the deadline
// alone, that left time for a few dozen transfers, and the next height
// carried a block of 2 to 50 with a full pool (issue 17: one build in
// fifteen under load).
//
// Filling also stops at the time stopBy sets, whatever the rest says: once
// the height has started, by half the propose timeout, so the proposal
// reaches the others well within theirs. A build whose deadline was
// counted from a slow execution of its parent once filled 1.3 s into the
// height, past the others' propose timeout (then 1 s), and the height took
// a second round: 4-5 s for one block (issue 17). A cut at a fill time
// after the height's start was tried and dropped: under twice the peak's
// load, builds slowed by admission then carried a few hundred transfers,
// the blocks built again at the height's start no more, and the plateau
// fell to a quarter of the peak in two of three runs.
type aheadFill struct {
	deadline time.Time
	fill     time.Duration
	now      func() time.Time
	calls    int       // the build's goroutine only
	filling  time.Time // the build's goroutine only
	stopAt   atomic.Int64
}

func newAheadFill(deadline time.Time, fill time.Duration, now func() time.Time) *aheadFill {
	return &aheadFill{deadline: deadline, fill: fill, now: now}
}

// enough is asked by the build before each transaction.
func (f *aheadFill) enough() bool {
	t := f.now()
	if stop := f.stopAt.Load(); stop != 0 && t.UnixNano() >= stop {
		return true
	}
	if f.calls++; f.calls == 2 {
		f.filling = t
	}
	return f.calls >= 2 && t.After(f.deadline) && t.Sub(f.filling) >= f.fill
}

// stopBy makes filling stop at t at the latest; it may be called from
// another goroutine than the build's.
func (f *aheadFill) stopBy(t time.Time) { f.stopAt.Store(t.UnixNano()) }
