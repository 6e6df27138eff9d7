package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// Completing a height: a decided block is stored with its certificate and
// the next height starts after the block time; a block learned from sync
// (with its certificate verified here) decides or completes the height;
// the messages buffered for the next height are replayed once it starts.

// onSynced verifies a fetched block's certificate and lets the machine
// decide it; when the machine already decided the height without holding
// its block, the synced block completes the height.
func (d *driver) onSynced(ctx context.Context, ev evSynced) {
	h := consensus.Height(ev.block.Number())
	if h == d.m.Height()+1 && d.m.Decided() && d.awaiting == nil {
		// This height is committed and only waits out the block time, but
		// the chain is already past the next one: start it now. Dropping
		// the block instead left sync waiting (syncApplyWait) for a head
		// that could not move.
		d.apply(ctx, d.m.Height())
	}
	if h != d.m.Height() {
		return
	}
	if d.m.Decided() {
		d.completeDecided(ctx, ev.block, true)
		return
	}
	c, err := d.verifyCommit(ev.commit, h)
	if err == nil && ev.commit.BlockHash != ev.block.Hash() {
		err = errors.New("certificate is for another block")
	}
	if err != nil {
		d.n.log.Warn("Discarded synced block", "height", h, "err", err)
		return
	}
	d.blocks[c.BlockID] = d.n.withPooledTxs(ev.block)
	d.synced[c.BlockID] = true
	d.exec(ctx, d.m.Step(consensus.CommitReceived{Commit: c}))
}

// completeDecided commits the decided block of this height once it
// arrives (from sync, or in a proposal sent again), if the machine decided
// without it. The decision itself certifies the block: its hash is what
// 2/3+ of the stake precommitted, so it is history like a synced block
// (exempt from the proposal clock check).
func (d *driver) completeDecided(ctx context.Context, b *block.Block, synced bool) {
	c := d.awaiting
	if c == nil || b == nil || consensus.BlockID(b.Hash()) != c.BlockID {
		return
	}
	d.awaiting = nil
	d.blocks[c.BlockID] = d.n.withPooledTxs(b)
	d.synced[c.BlockID] = true
	d.n.log.Info("Received the decided block", "height", c.Height, "block", c.BlockID.String(), "fromSync", synced)
	in, err := d.commit(ctx, *c)
	if err != nil {
		d.halt(err)
		return
	}
	if in != nil {
		d.exec(ctx, d.m.Step(in))
	}
}

// verifyCommit checks a block certificate against the validator set of
// height h.
func (d *driver) verifyCommit(bc *block.Commit, h consensus.Height) (consensus.Commit, error) {
	if bc == nil {
		return consensus.Commit{}, errors.New("no commit certificate")
	}
	if bc.Height != uint64(h) {
		return consensus.Commit{}, fmt.Errorf("certificate for height %d, want %d", bc.Height, h)
	}
	c, err := wire.FromBlockCommit(bc)
	if err != nil {
		return consensus.Commit{}, err
	}
	vals, err := d.n.validatorsAt(h)
	if err != nil {
		return consensus.Commit{}, err
	}
	if err := consensus.VerifyCommit(d.n.chainID, c, vals); err != nil {
		return consensus.Commit{}, err
	}
	return c, nil
}

// commit stores the decided block with its certificate, then starts the
// next height once the block time has passed since this one started (at
// once for a block learned from sync).
func (d *driver) commit(ctx context.Context, c consensus.Commit) (consensus.Input, error) {
	n := d.n
	b := d.blocks[c.BlockID]
	if b == nil {
		// Decided by 2/3+ precommits for a block we do not hold (a
		// restarted proposer re-proposing a value whose block it lost):
		// sync fetches it from a peer, and completeDecided commits it.
		n.log.Info("Decided a block this node has not received; fetching it", "height", c.Height, "block", c.BlockID.String())
		d.awaiting = &c
		n.syncer.poke()
		return nil, nil
	}
	if err := d.check(c.Height, c.BlockID); err != nil {
		return nil, fmt.Errorf("decided block %d %s does not execute: %w", c.Height, common.Hash(c.BlockID), err)
	}
	bc, err := wire.ToBlockCommit(c)
	if err != nil {
		return nil, err
	}
	touched := make(map[common.Address]bool, len(b.Transactions))
	for _, tx := range b.Transactions {
		if from, err := types.Sender(n.chain.Signer(), tx); err == nil {
			touched[from] = true
		}
	}
	ex := d.executed[c.BlockID]
	after, err := ex.Accounts(touched)
	if err != nil {
		return nil, err
	}
	decided := time.Now()
	if err := n.chain.CommitBlock(ex, bc); err != nil {
		return nil, err
	}
	committing := time.Since(decided)
	d.dropAheadUnless(b.Hash())
	st, err := n.chain.HeadState()
	if err != nil {
		return nil, err
	}
	n.pool.ResetAccounts(&postBlockState{after: after, head: st}, n.chain.NextBaseFee(b.Header), touched)
	d.submitDueEvidence()
	now := time.Now()
	poolReset := now.Sub(decided) - committing
	// Where the height's time went, by this node's clock: until the
	// proposal reached the gossip check and until the driver took it up
	// (the difference is its check and its wait in the driver's queue),
	// until this node published its own proposal (signed and encoded),
	// the time its signatures took (each waits for the double-sign
	// guard's record to be on disk),
	// until the decision, its own build or execution
	// of the block, and the commit (split into the wait for the block's
	// staging, the flush of its trie nodes and the synced write of the
	// block), then the pool's reset to the new head; with this node's gas target for its
	// next block and, if it proposed a block built ahead, how long the
	// proposal waited for that block to be filled.
	var proposalIn, arrivedIn time.Duration
	if !d.proposalAt.IsZero() {
		proposalIn = d.proposalAt.Sub(d.heightStart).Round(time.Millisecond)
	}
	if !d.proposalArrived.IsZero() {
		// A proposal that arrived before its height started (held in the
		// future buffer) counts as arrived at the start.
		arrivedIn = max(0, d.proposalArrived.Sub(d.heightStart)).Round(time.Millisecond)
	}
	attrs := []any{"height", b.Number(), "hash", b.Hash(), "txs", len(b.Transactions), "round", c.Round,
		"gasUsed", b.Header.GasUsed, "synced", d.synced[c.BlockID], "proposalArrivedIn", arrivedIn, "proposalIn", proposalIn}
	if !d.proposalSent.IsZero() {
		// Only a node that proposed in this height logs when it sent its
		// proposal (0s: at the height's start, a block built ahead).
		attrs = append(attrs, "proposalSentIn", d.proposalSent.Sub(d.heightStart).Round(time.Millisecond))
	}
	attrs = append(attrs, "decidedIn", decided.Sub(d.heightStart).Round(time.Millisecond), "exec", d.execTook[c.BlockID].Round(time.Millisecond),
		"commit", committing.Round(time.Millisecond), "staging", ex.Took.Staging.Round(time.Millisecond), "flush", ex.Took.Flush.Round(time.Millisecond),
		"write", ex.Took.Write.Round(time.Millisecond), "poolReset", poolReset.Round(time.Millisecond), "signing", d.signTook.Round(time.Millisecond), "gasTarget", d.budget.gasTarget(), "aheadWait", d.aheadWait.Round(time.Millisecond))
	n.log.Info("Committed block", attrs...)
	if m := n.metrics; m != nil {
		m.Height.Set(float64(b.Number()))
		m.BlockTxs.Observe(float64(len(b.Transactions)))
		m.MempoolSize.Set(float64(n.pool.Len()))
		m.Peers.Set(float64(len(n.net.Peers())))
		if !d.lastCommit.IsZero() {
			m.BlockInterval.Observe(now.Sub(d.lastCommit).Seconds())
		}
	}
	d.lastCommit = now
	if !d.synced[c.BlockID] {
		before := d.budget.gasTarget()
		d.budget.observe(c.Round, now.Sub(d.heightStart), d.execTook[c.BlockID], b.Header.GasUsed)
		n.metrics.heightTimes(arrivedIn, d.execTook[c.BlockID], committing, now.Sub(d.heightStart))
		n.metrics.gasTarget(before, d.budget.gasTarget())
		if after := d.budget.gasTarget(); after < before {
			n.log.Info("Smaller blocks: the height ran late", "height", b.Number(), "round", c.Round,
				"took", now.Sub(d.heightStart).Round(time.Millisecond), "gasUsed", b.Header.GasUsed, "gasTarget", after)
		}
	}
	if !d.synced[c.BlockID] {
		d.nextSlot = nextSlot(d.slot, now, n.cfg.Genesis.BlockTime.Duration)
	}
	wait := d.nextSlot.Sub(now)
	if d.synced[c.BlockID] || wait <= 0 {
		return d.appliedInput(c.Height)
	}
	h := c.Height
	time.AfterFunc(wait, func() { n.post(ctx, evApply{height: h}) })
	return nil, nil
}

// appliedInput is the machine's move to height h+1; the messages buffered
// for h+1 are replayed once the current event is handled (handle).
func (d *driver) appliedInput(h consensus.Height) (consensus.Input, error) {
	next, err := d.n.validatorsAt(h + 1)
	if err != nil {
		return nil, err
	}
	d.resetHeight()
	d.replay = true
	return consensus.Applied{Height: h, Next: next}, nil
}

// apply starts the height after h once the block time has passed.
func (d *driver) apply(ctx context.Context, h consensus.Height) {
	if h != d.m.Height() || !d.m.Decided() {
		return
	}
	in, err := d.appliedInput(h)
	if err != nil {
		d.halt(err)
		return
	}
	d.exec(ctx, d.m.Step(in))
}

// replayFuture feeds the buffered messages to the machine: those of its
// height now count, older ones are dropped. They were checked against the
// validator set the node assumed for their height; the machine admits only
// votes of its own set's members and proposals of its own proposer.
func (d *driver) replayFuture(ctx context.Context) {
	buffered := d.future
	d.future = nil
	for _, m := range buffered {
		d.onMessage(ctx, m)
	}
}

// postBlockState is the pool's view of the state after a committed block:
// the senders of the block as the execution left them, everything else
// from the head state. The pool re-checks every sender of the block at
// once; read from the head state, each would be a walk down the committed
// trie (issue 17: a sixth of the commit's cost).
type postBlockState struct {
	after map[common.Address]chain.AccountState
	head  *state.StateDB
}

// GetNonce returns the account's nonce after the block.
func (s *postBlockState) GetNonce(a common.Address) uint64 {
	if acc, ok := s.after[a]; ok {
		return acc.Nonce
	}
	return s.head.GetNonce(a)
}

// GetBalance returns the account's balance after the block.
func (s *postBlockState) GetBalance(a common.Address) *uint256.Int {
	if acc, ok := s.after[a]; ok {
		return acc.Balance
	}
	return s.head.GetBalance(a)
}
