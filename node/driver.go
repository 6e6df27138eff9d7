package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/ethereum/go-ethereum/common"
)

// Driver timing.
const (
	// resendInterval is how often the driver re-sends its own messages of
	// the current height, so a message lost before the gossip mesh formed
	// (or while a peer was away) still arrives, and, once a height has run
	// that long, the votes of others of its current and previous round
	// (driver_relay.go).
	resendInterval = time.Second
	// maxFuture bounds the messages buffered for the next height.
	maxFuture = 4096
	// maxClockDrift is how far ahead of the local clock a proposed block's
	// timestamp may be.
	maxClockDrift = 15 * time.Second
	// maxReplays bounds the rounds of replaying buffered messages after one
	// event (each needs the event to have moved the machine to a new
	// height; two suffice, the bound only guards the loop).
	maxReplays = 8
)

// errCrashed halts a driver whose test crashed it (Node.crashBefore).
var errCrashed = errors.New("crashed by the test")

// Events the driver loop handles.
type event interface{}

// evMessage is a verified consensus message from gossip.
type evMessage struct{ msg consensusMsg }

// evTimeout is a consensus timeout that elapsed.
type evTimeout struct{ t consensus.TimeoutFired }

// evApply starts the next height once the block time has passed.
type evApply struct{ height consensus.Height }

// evSynced is a block with its commit certificate fetched from a peer.
type evSynced struct {
	block  *block.Block
	commit *block.Commit
}

// driver owns the consensus machine; only the loop goroutine touches it.
type driver struct {
	n      *Node
	m      *consensus.Machine
	blocks map[consensus.BlockID]*block.Block
	// savedValues are the blocks of this height already saved as locked or
	// valid values (saveValueBlocks).
	savedValues map[consensus.BlockID]bool
	executed    map[consensus.BlockID]*chain.Executed
	synced      map[consensus.BlockID]bool
	// awaiting is the decision of this height while its block is missing
	// (commit asked sync for it); a synced block or a proposal carrying
	// it completes the height.
	awaiting *consensus.Commit
	future   []consensusMsg
	// replay is set when the machine entered a new height: the buffered
	// messages of that height are replayed when the current event is done.
	replay bool
	own    [][]byte // own messages of the current height, for re-sending
	// heard are the votes of other validators of the current height held
	// for re-sending (driver_relay.go); heardSlots their values per slot.
	heard      []heardVote
	heardSlots map[heardSlot][]consensus.BlockID
	nonce      uint64

	heightStart time.Time
	// slot is the current height's scheduled start (pacing.go): at or
	// before heightStart, behind it when the height before ran late.
	// nextSlot is the next height's, set when this one is committed.
	slot, nextSlot time.Time
	lastCommit     time.Time
	// proposalAt is when the height's first proposal arrived (or this
	// node built its own), for the commit's log line; proposalArrived is
	// when that proposal reached this node's gossip check (the same for
	// its own); proposalSent is when this node published its own
	// proposal (zero if it proposed none).
	proposalAt, proposalArrived, proposalSent time.Time
	// signTook is how long this height's signatures took, the double-sign
	// guard's durable record of each included.
	signTook time.Duration
	// aheadWait is how long this node's proposal of the height waited for
	// the block it was building ahead to be filled.
	aheadWait time.Duration
	// execTook is how long building or executing each block of the height
	// took this node.
	execTook map[consensus.BlockID]time.Duration
	// budget is how long this node may spend filling its next block,
	// following how the chain coped with the last ones (buildbudget.go).
	budget *buildBudget
	// ahead is the block being built for the next height before this one
	// is decided (driver_ahead.go).
	ahead *aheadBuild
	// stagedParents are the blocks of this height whose states are staged
	// (stage); the ones not decided are discarded after the commit.
	stagedParents []*chain.Executed
	halted        error
	equivocated   bool
	evidence      []pendingEvidence
	reported      map[common.Address]uint64 // offender -> head height when this node reported it
}

func (n *Node) newDriver() (*driver, error) {
	h := consensus.Height(n.chain.Head().Number() + 1)
	vals, err := n.validatorsAt(h)
	if err != nil {
		return nil, err
	}
	d := &driver{n: n, budget: newBuildBudget(fillTimeOf(n.ccfg.TimeoutPropose, n.cfg.Genesis.BlockTime.Duration), n.cfg.Genesis.BlockTime.Duration, n.cfg.Genesis.GasLimit)}
	n.metrics.gasTarget(0, d.budget.gasTarget())
	d.resetHeight()
	st, ok, err := loadConsensusState(n.cfg.DB)
	if err != nil {
		return nil, err
	}
	if ok && st.Height == h && n.signer != nil {
		d.m = consensus.RestoreMachine(n.ccfg, n.self, st, vals)
		blocks, err := loadValueBlocks(n.cfg.DB, st, int(n.cfg.Genesis.MaxBlockSize))
		if err != nil {
			return nil, err
		}
		for id, b := range blocks {
			d.blocks[id] = b
			d.savedValues[id] = true
		}
		n.log.Info("Restored consensus state", "height", st.Height, "round", st.Round, "step", st.Step, "valueBlocks", len(blocks))
	} else {
		d.m = consensus.NewMachine(n.ccfg, n.self, h, vals)
	}
	return d, nil
}

func (d *driver) resetHeight() {
	d.blocks = make(map[consensus.BlockID]*block.Block)
	d.savedValues = make(map[consensus.BlockID]bool)
	d.executed = make(map[consensus.BlockID]*chain.Executed)
	d.execTook = make(map[consensus.BlockID]time.Duration)
	d.synced = make(map[consensus.BlockID]bool)
	d.awaiting = nil
	d.own = nil
	d.heard, d.heardSlots = nil, nil
	d.heightStart = time.Now()
	d.slot, d.nextSlot = slotOf(d.nextSlot, d.heightStart), time.Time{}
	d.proposalAt, d.proposalArrived, d.proposalSent = time.Time{}, time.Time{}, time.Time{}
	d.signTook = 0
	d.aheadWait = 0
}

func (d *driver) run(ctx context.Context) {
	d.exec(ctx, d.m.Start())
	d.publishStatus()
	resend := time.NewTicker(resendInterval)
	defer resend.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-d.n.events:
			d.handle(ctx, ev)
		case <-resend.C:
			d.resend(ctx)
		}
		d.publishStatus()
	}
}

func (d *driver) handle(ctx context.Context, ev event) {
	if d.halted != nil {
		return
	}
	switch ev := ev.(type) {
	case evMessage:
		d.onMessage(ctx, ev.msg)
	case evTimeout:
		d.exec(ctx, d.m.Step(ev.t))
	case evApply:
		d.apply(ctx, ev.height)
	case evSynced:
		d.onSynced(ctx, ev)
	}
	// Whatever path applied a height (a timer, a synced block, a height
	// slower than the block time), the next height's buffered messages
	// are fed to the machine now, not lost.
	for i := 0; d.replay && d.halted == nil && i < maxReplays; i++ {
		d.replay = false
		d.replayFuture(ctx)
	}
}

// onMessage feeds a verified message of the current height to the machine
// and buffers one of the next height until the machine gets there. While
// the height is decided, a proposal still matters if it carries the
// decided block this node is missing.
func (d *driver) onMessage(ctx context.Context, m consensusMsg) {
	h := messageHeight(m)
	switch {
	case h == d.m.Height() && d.m.Decided():
		if m.proposal != nil {
			d.completeDecided(ctx, m.block, false)
		}
		return
	case h == d.m.Height():
	case h == d.m.Height()+1:
		if len(d.future) < maxFuture {
			d.future = append(d.future, m)
		}
		if !d.m.Decided() {
			d.n.syncer.movedPast(uint64(d.m.Height()))
		}
		return
	default:
		return
	}
	if m.vote != nil {
		d.hear(*m.vote)
		d.exec(ctx, d.m.Step(consensus.VoteReceived{Vote: *m.vote}))
		return
	}
	id := m.proposal.Proposal.BlockID
	if d.proposalAt.IsZero() {
		d.proposalAt, d.proposalArrived = time.Now(), m.arrived
	}
	if _, known := d.blocks[id]; !known {
		d.blocks[id] = d.n.withPooledTxs(m.block)
	}
	for _, v := range m.proposal.POL {
		d.hear(v)
		d.exec(ctx, d.m.Step(consensus.VoteReceived{Vote: v}))
	}
	d.exec(ctx, d.m.Step(consensus.ProposalReceived{Proposal: m.proposal.Proposal}))
}

func messageHeight(m consensusMsg) consensus.Height {
	if m.vote != nil {
		return m.vote.Height
	}
	return m.proposal.Proposal.Height
}

// exec performs the actions of one Step in order; answers become later
// inputs, stepped after the current actions are done.
func (d *driver) exec(ctx context.Context, actions []consensus.Action) {
	queue := [][]consensus.Action{actions}
	for len(queue) > 0 && d.halted == nil {
		batch := queue[0]
		queue = queue[1:]
		var answers []consensus.Input
		for _, a := range batch {
			if d.n.crashBefore != nil && d.n.crashBefore(a) {
				// A test's simulated process death between two actions
				// (after a persist and before the signature, after the
				// signature and before the send): nothing more runs until
				// the test restarts the node on its database.
				d.halted = errCrashed
				return
			}
			in, err := d.perform(ctx, a)
			if err != nil {
				// Nothing after a failed action may run: a failed persist
				// must not be followed by a signature.
				d.halt(err)
				return
			}
			if in != nil {
				answers = append(answers, in)
			}
		}
		for _, in := range answers {
			queue = append(queue, d.m.Step(in))
		}
	}
}

// halt stops the driver after an error it cannot recover from (a failed
// fsync, a decided block that does not execute): continuing could break
// safety. The node keeps serving RPC; an operator restarts it.
func (d *driver) halt(err error) {
	d.halted = err
	d.n.log.Error("Consensus halted: restart the node after fixing the cause", "height", d.m.Height(), "err", err)
}

func (d *driver) perform(ctx context.Context, a consensus.Action) (consensus.Input, error) {
	n := d.n
	switch a := a.(type) {
	case consensus.Persist:
		// The blocks the state locks on first, then the state naming them.
		if err := saveValueBlocks(n.cfg.DB, a.State, d.blocks, d.savedValues); err != nil {
			return nil, err
		}
		return nil, saveConsensusState(n.cfg.DB, a.State)
	case consensus.SignVote:
		return d.signVote(a.Vote)
	case consensus.SignProposal:
		return d.signProposal(a.Proposal)
	case consensus.BroadcastVote:
		d.broadcastVote(ctx, a.Vote)
	case consensus.BroadcastProposal:
		d.broadcastProposal(ctx, a)
	case consensus.ScheduleTimeout:
		t := consensus.TimeoutFired{Height: a.Height, Round: a.Round, Step: a.Step}
		time.AfterFunc(a.Duration, func() { n.post(ctx, evTimeout{t: t}) })
	case consensus.BuildValue:
		return d.build(a), nil
	case consensus.Validate:
		return d.validate(a), nil
	case consensus.CommitBlock:
		return d.commit(ctx, a.Commit)
	case consensus.ReportEvidence:
		if n.evidence.add(a.Evidence) {
			n.log.Warn("Equivocation detected", "evidence", a.Evidence.String())
			if n.metrics != nil {
				n.metrics.Evidence.Inc()
			}
			d.queueEvidence(a.Evidence)
		}
	}
	return nil, nil
}

// parentCommit returns the certificate a block of height h carries: that of
// block h-1 (none for block 1).
func (d *driver) parentCommit(h consensus.Height) (*block.Commit, error) {
	if h < 2 {
		return nil, nil
	}
	c, err := d.n.chain.Commit(uint64(h - 1))
	if err != nil {
		return nil, fmt.Errorf("commit of block %d: %w", h-1, err)
	}
	return c, nil
}

// build is the paper's getValue(): a new block from the mempool.
func (d *driver) build(a consensus.BuildValue) consensus.Input {
	n := d.n
	last, err := d.parentCommit(a.Height)
	if err != nil {
		n.log.Error("Cannot build a block", "height", a.Height, "err", err)
		return nil
	}
	if ex, took := d.takeAhead(a.Height, a.Round, last); ex != nil {
		id := consensus.BlockID(ex.Block.Hash())
		d.blocks[id] = ex.Block
		d.executed[id] = ex
		d.execTook[id] = took
		d.proposalAt = time.Now()
		d.proposalArrived = d.proposalAt
		d.stage(ex)
		n.pool.SetDeciding(ex.Block.Transactions)
		n.log.Debug("Proposing the block built ahead", "height", a.Height, "txs", len(ex.Block.Transactions), "took", took)
		n.builtAhead.Add(1)
		if n.metrics != nil {
			n.metrics.BuiltAhead.Inc()
		}
		n.metrics.proposed(ex.ClosedBy)
		return consensus.ValueBuilt{Height: a.Height, Round: a.Round, BlockID: id}
	}
	start := time.Now()
	// Validators must receive and re-execute the block before their
	// propose timeout, and they share the machine's cores: the proposer
	// fills for at most two fifths of the block time or of that timeout
	// (fillTimeOf), and stops at the gas target that follows the chain's
	// heights (buildbudget.go).
	fill := d.budget.fillTime()
	var ex *chain.Executed
	n.execGate.exclusive(func() {
		ex, err = n.chain.Build(chain.BuildParams{Proposer: n.self, Time: uint64(time.Now().Unix()), LastCommit: last,
			Enough: func() bool { return time.Since(start) > fill }, MaxGas: d.budget.gasTarget()},
			n.pool.Executable(n.chain.NextBaseFee(n.chain.Head().Header)))
	})
	if err != nil {
		n.log.Error("Cannot build a block", "height", a.Height, "err", err)
		return nil
	}
	id := consensus.BlockID(ex.Block.Hash())
	d.blocks[id] = ex.Block
	d.executed[id] = ex
	d.execTook[id] = time.Since(start)
	d.proposalAt = time.Now()
	d.proposalArrived = d.proposalAt
	d.stage(ex)
	n.pool.SetDeciding(ex.Block.Transactions)
	n.metrics.proposed(ex.ClosedBy)
	return consensus.ValueBuilt{Height: a.Height, Round: a.Round, BlockID: id}
}

// validate is the paper's valid(v): the block's consensus extras, its last
// commit, and its execution.
func (d *driver) validate(a consensus.Validate) consensus.Input {
	err := d.check(a.Height, a.BlockID)
	if err != nil {
		d.n.log.Warn("Invalid proposed block", "height", a.Height, "block", a.BlockID.String(), "err", err)
	}
	return consensus.ValidationResult{Height: a.Height, BlockID: a.BlockID, Valid: err == nil}
}

func (d *driver) check(h consensus.Height, id consensus.BlockID) error {
	if _, ok := d.executed[id]; ok {
		return nil
	}
	b := d.blocks[id]
	if b == nil {
		return errors.New("block not received")
	}
	vals, err := d.n.validatorsAt(h)
	if err != nil {
		return err
	}
	if b.Extras.ValidatorsHash != valsHash(vals) {
		return errors.New("block names another validator set than the one deciding this height")
	}
	if h >= 2 {
		if _, err := d.verifyCommit(b.Extras.LastCommit, h-1); err != nil {
			return fmt.Errorf("last commit: %w", err)
		}
	}
	if _, ok := vals.Power(b.Header.Coinbase); !ok {
		return fmt.Errorf("fee recipient %s is not a validator", b.Header.Coinbase)
	}
	// A block already certified by 2/3+ (learned from sync) is history; a
	// proposal must not claim a time far in this node's future, or one
	// faulty proposer could drag every later timestamp forward.
	if limit := time.Now().Add(maxClockDrift).Unix(); !d.synced[id] && b.Header.Time > uint64(limit) {
		return fmt.Errorf("block time %d is more than %s ahead of this node's clock", b.Header.Time, maxClockDrift)
	}
	start := time.Now()
	var ex *chain.Executed
	d.n.execGate.exclusive(func() { ex, err = d.n.chain.Execute(b) })
	if err != nil {
		return err
	}
	d.executed[id] = ex
	d.execTook[id] = time.Since(start)
	d.stage(ex)
	if h == d.m.Height() && !d.synced[id] {
		// Its transactions leave the pool at the commit: they no longer
		// take the clients' share of it (txpool SetDeciding).
		d.n.pool.SetDeciding(b.Transactions)
		d.startAhead(h, ex, d.execTook[id])
	}
	return nil
}

// stage moves the post-state of a block this node built or executed into
// the trie database's memory on another goroutine while the height is voted
// on (chain.StageInBackground): half of committing the block, off the
// height's critical path. A staged block the height does not decide is
// discarded after the decided one is committed (dropAheadUnless).
func (d *driver) stage(ex *chain.Executed) {
	d.n.chain.StageInBackground(ex)
	d.stagedParents = append(d.stagedParents, ex)
}

func (d *driver) publishStatus() {
	st := &ConsensusStatus{Height: uint64(d.m.Height()), Round: int32(d.m.Round()), Step: d.m.CurrentStep().String(),
		Proposer: d.m.Proposer(d.m.Round()).Hex(), Decided: d.m.Decided()}
	if d.halted != nil {
		st.Step = "halted: " + d.halted.Error()
	}
	d.n.status.Store(st)
	if m := d.n.metrics; m != nil {
		m.Round.Set(float64(d.m.Round()))
	}
}
