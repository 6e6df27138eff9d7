package chain

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/bilayer/bilayer/chaindb"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/store"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// blockOverhead is the room Build leaves in MaxBlockSize for the header,
// the extras and the commit certificate the block carries.
const blockOverhead = 128 << 10

// Executed is a block executed on top of the head: its receipts and its
// post-state, ready to commit. Commit it at most once. Its methods and the
// chain's methods taking it are called from one goroutine (the consensus
// driver's); only staging (StageInBackground) and the build BuildOn returns
// run on others, and the methods wait for the staging where they need its
// result.
type Executed struct {
	Block    *block.Block
	Receipts types.Receipts
	// SystemLogs are the logs of the end-of-block hooks (no receipt holds
	// them; eth_getLogs serves them after the receipts' logs).
	SystemLogs []*types.Log
	// ClosedBy says what closed a block this node built (Build, BuildOn):
	// the pool's candidates, the gas target, the fill time ("enough"); ""
	// for a block it executed.
	ClosedBy execution.FillClose
	state    *state.StateDB
	// staging is closed once the post-state has been moved into the trie
	// database's memory (StageInBackground); nil until that starts. Then
	// staged (or stageErr) is set and state is nil: read them only after
	// staging is closed.
	staging  chan struct{}
	staged   *stagedState
	stageErr error
	// finished is set once the block is committed or discarded.
	finished bool
	// Took is where CommitBlock's time went, set when it returns.
	Took CommitTimes
}

// CommitTimes splits a block's commit: the wait for its post-state's
// staging to finish (StageInBackground), the flush of its trie nodes, and
// the synced write of the block, its receipts and the head.
type CommitTimes struct {
	Staging, Flush, Write time.Duration
}

// stagedState is the post-state of a block staged in the trie database:
// its root is the header's, and after holds the accounts of the block's
// senders as it left them.
type stagedState struct {
	db    *statedb.DB
	root  common.Hash
	after map[common.Address]AccountState
}

// AccountState is an account's nonce and balance.
type AccountState struct {
	Nonce   uint64
	Balance *uint256.Int
}

// Accounts returns the nonce and balance of each address in the state the
// block leaves (read from the executed state, whose objects the execution
// already loaded), before CommitBlock consumes it. The pool re-checks the
// senders of a committed block against these instead of walking the
// committed trie for each one.
func (ex *Executed) Accounts(addrs map[common.Address]bool) (map[common.Address]AccountState, error) {
	if ex.finished {
		return nil, fmt.Errorf("accounts after block %d: %w", ex.Block.Number(), ErrAlreadyCommitted)
	}
	if err := ex.settle(); err != nil {
		return nil, err
	}
	if ex.staged != nil {
		return ex.staged.accounts(addrs, ex.Block.Number())
	}
	return readAccounts(ex.state, addrs), nil
}

// settle waits for a staging in progress and returns its error.
func (ex *Executed) settle() error {
	if ex.staging == nil {
		return nil
	}
	<-ex.staging
	return ex.stageErr
}

func readAccounts(st *state.StateDB, addrs map[common.Address]bool) map[common.Address]AccountState {
	out := make(map[common.Address]AccountState, len(addrs))
	for a := range addrs {
		out[a] = AccountState{Nonce: st.GetNonce(a), Balance: st.GetBalance(a).Clone()}
	}
	return out
}

// accounts returns addrs as the staged state holds them: from after, and
// any other from the state at the staged root.
func (s *stagedState) accounts(addrs map[common.Address]bool, number uint64) (map[common.Address]AccountState, error) {
	out := make(map[common.Address]AccountState, len(addrs))
	var rest map[common.Address]bool
	for a := range addrs {
		if acc, ok := s.after[a]; ok {
			out[a] = acc
			continue
		}
		if rest == nil {
			rest = map[common.Address]bool{}
		}
		rest[a] = true
	}
	if rest == nil {
		return out, nil
	}
	st, err := s.db.StateAt(s.root)
	if err != nil {
		return nil, fmt.Errorf("accounts after block %d: %w", number, err)
	}
	for a, acc := range readAccounts(st, rest) {
		out[a] = acc
	}
	return out, nil
}

// TxSource yields candidate transactions for a new block, best first; the
// pool's iterator is one. It is the state transition's (execution.TxSource).
type TxSource = execution.TxSource

// BuildParams are the proposer's choices for a new block.
type BuildParams struct {
	// Proposer receives the tips (the header's Coinbase).
	Proposer common.Address
	// Time is the block timestamp in Unix seconds; Build raises it to the
	// parent's if it is earlier. Equal timestamps are allowed: blocks may
	// come faster than one a second, and strictly increasing seconds would
	// drag block time ahead of the clock.
	Time uint64
	// LastCommit is the certificate of the parent block (nil for block 1).
	// The validator-set hashes of the extras come from the chain.
	LastCommit *block.Commit
	// Enough, if set, is asked before each transaction; when it returns
	// true the block is closed. The proposer uses it to bound building
	// time, so validators can execute the block within the consensus
	// timeouts however large the backlog.
	Enough func() bool
	// MaxGas, if not 0, closes the block once its gas used reaches it
	// (execution.FillLimits.MaxGas).
	MaxGas uint64
}

// Build executes a new block on the head with as many transactions from
// txs as fit its gas limit and size limit, skipping invalid ones.
func (c *Chain) Build(p BuildParams, txs TxSource) (*Executed, error) {
	parent := c.Head()
	sdb, err := c.state.StateAt(parent.Header.Root)
	if err != nil {
		return nil, fmt.Errorf("build block %d: %w", parent.Number()+1, err)
	}
	return c.build(parent, sdb, p, txs)
}

// StageInBackground starts moving ex's post-state into the trie
// database's memory on another goroutine (statedb.DB.Stage: the first half
// of its commit), so the work is done while the block is still being voted
// on and CommitBlock then only flushes it. The state at the block's root
// can then be opened before the block is committed (BuildOn). If ex is
// never committed, Discard it. It does nothing for a block already staging
// or done.
func (c *Chain) StageInBackground(ex *Executed) {
	if ex.staging != nil || ex.finished || ex.state == nil {
		return
	}
	done := make(chan struct{})
	ex.staging = done
	go func() {
		defer close(done)
		ex.stageErr = c.stage(ex)
	}()
}

// stage moves ex's post-state into the trie database's memory, keeping its
// senders' accounts as it left them.
func (c *Chain) stage(ex *Executed) error {
	n := ex.Block.Number()
	senders := make(map[common.Address]bool, len(ex.Block.Transactions))
	for _, tx := range ex.Block.Transactions {
		if from, err := types.Sender(c.signer, tx); err == nil {
			senders[from] = true
		}
	}
	after := readAccounts(ex.state, senders)
	root, err := c.state.Stage(ex.state, n)
	if err != nil {
		return fmt.Errorf("stage block %d: %w", n, err)
	}
	ex.state = nil
	if root != ex.Block.Header.Root {
		// Not kept: a root that is not the header's is never committed.
		if err := c.state.Discard(root); err != nil {
			c.log.Warn("Cannot drop a staged state", "height", n, "root", root, "err", err)
		}
		return fmt.Errorf("stage block %d: state root %s, its header says %s", n, root, ex.Block.Header.Root)
	}
	ex.staged = &stagedState{db: c.state, root: root, after: after}
	return nil
}

// BuildOn executes a new block on parent, a block executed and not yet
// committed (the proposer of the next height builds while the current one
// is still being decided), with as many transactions from txs as fit.
// Parent's post-state is staged first (StageInBackground, unless that has
// started); the new block executes on a fresh state at that root, and can
// be committed once parent is the head. If parent is never committed,
// Discard it. The transactions parent includes must not come from txs
// again (they would be skipped as invalid with their senders' later ones).
// Call BuildOn from the goroutine that owns parent; the returned function
// waits for the staging and runs the build, and may run on another
// goroutine, concurrently with parent's commit.
func (c *Chain) BuildOn(parent *Executed, p BuildParams, txs TxSource) (func() (*Executed, error), error) {
	n := parent.Block.Number()
	if parent.finished || (parent.staging == nil && parent.state == nil) {
		return nil, fmt.Errorf("build block %d: parent %w", n+1, ErrAlreadyCommitted)
	}
	c.StageInBackground(parent)
	staging := parent.staging
	return func() (*Executed, error) {
		<-staging
		if parent.stageErr != nil {
			return nil, fmt.Errorf("build block %d: %w", n+1, parent.stageErr)
		}
		sdb, err := c.state.StateAt(parent.staged.root)
		if err != nil {
			return nil, fmt.Errorf("build block %d: %w", n+1, err)
		}
		return c.build(parent.Block, sdb, p, txs)
	}, nil
}

// Discard drops the staged state of a block that was not committed (the
// height decided another block). Call it after committing the block that
// was decided instead.
func (c *Chain) Discard(ex *Executed) error {
	if ex.finished || ex.staging == nil {
		return nil
	}
	ex.finished = true
	if ex.settle() != nil {
		return nil // nothing was kept
	}
	return c.state.Discard(ex.staged.root)
}

// build executes a new block on parent, whose post-state sdb is.
func (c *Chain) build(parent *block.Block, sdb *state.StateDB, p BuildParams, txs TxSource) (*Executed, error) {
	ph := parent.Header
	header := &types.Header{
		ParentHash: parent.Hash(),
		Coinbase:   p.Proposer,
		Number:     new(big.Int).SetUint64(parent.Number() + 1),
		GasLimit:   c.gen.GasLimit,
		Time:       max(p.Time, ph.Time),
		BaseFee:    c.NextBaseFee(ph),
	}
	ex, err := execution.NewBlockExecutor(c.cfg, sdb, header, c.reg, execution.Options{})
	if err != nil {
		return nil, fmt.Errorf("build block %d: %w", header.Number, err)
	}
	st, err := ex.Fill(txs, execution.FillLimits{MaxBytes: int(c.gen.MaxBlockSize) - blockOverhead, Enough: p.Enough, MaxGas: p.MaxGas})
	if err != nil {
		ex.Abort()
		return nil, fmt.Errorf("build block %d: %w", header.Number, err)
	}
	skipped := st.Skipped
	res, err := ex.Finish()
	if err != nil {
		return nil, fmt.Errorf("build block %d: %w", header.Number, err)
	}
	header.Root, header.ReceiptHash, header.Bloom, header.GasUsed = res.StateRoot, res.ReceiptsRoot, res.Bloom, res.GasUsed
	extras := block.Extras{ValidatorsHash: parent.Extras.NextValidatorsHash, NextValidatorsHash: c.nextValidatorsHash(sdb, parent),
		LastCommit: p.LastCommit}
	b := block.Assemble(header, res.Transactions, extras)
	execution.StampBlockHash(b.Hash(), res.Receipts, res.SystemLogs)
	if skipped > 0 {
		c.log.Debug("Skipped invalid transactions while building", "height", b.Number(), "skipped", skipped)
	}
	return &Executed{Block: b, Receipts: res.Receipts, SystemLogs: res.SystemLogs, ClosedBy: st.ClosedBy, state: sdb}, nil
}

// Seal returns ex with its block carrying last as its parent's commit
// certificate: a block built ahead (BuildOn) before its parent was
// decided. The certificate is not part of the state transition, so the
// execution stands; the block's hash changes, and its receipts and logs
// are stamped with the new one. ex must not be used afterwards.
func (ex *Executed) Seal(last *block.Commit) *Executed {
	// A staging in progress finishes first: the sealed block takes over
	// its result.
	_ = ex.settle()
	extras := ex.Block.Extras
	extras.LastCommit = last
	h := types.CopyHeader(ex.Block.Header)
	h.MixDigest = extras.Hash()
	b := &block.Block{Header: h, Transactions: ex.Block.Transactions, Extras: extras}
	execution.StampBlockHash(b.Hash(), ex.Receipts, ex.SystemLogs)
	sealed := &Executed{Block: b, Receipts: ex.Receipts, SystemLogs: ex.SystemLogs, ClosedBy: ex.ClosedBy, state: ex.state,
		staging: ex.staging, staged: ex.staged, stageErr: ex.stageErr, finished: ex.finished}
	ex.state, ex.staged, ex.finished = nil, nil, true
	return sealed
}

// Execute checks a proposed block against the head (parent link, time,
// gas limit, base fee, its own commitments) and re-executes it, comparing
// every root with its header. Checking the consensus extras (validator
// sets, the last commit's signatures, the proposer) is the caller's.
func (c *Chain) Execute(b *block.Block) (*Executed, error) {
	parent := c.Head()
	if err := c.checkHeader(b, parent); err != nil {
		return nil, err
	}
	sdb, err := c.state.StateAt(parent.Header.Root)
	if err != nil {
		return nil, fmt.Errorf("execute block %d: %w", b.Number(), err)
	}
	res, err := execution.ApplyBlock(c.cfg, sdb, b.Header, b.Transactions, c.reg, execution.RejectInvalid, execution.Options{})
	if err != nil {
		return nil, fmt.Errorf("execute block %d: %w", b.Number(), err)
	}
	if err := res.CheckHeader(b.Header); err != nil {
		return nil, fmt.Errorf("execute block %d: %w", b.Number(), err)
	}
	if want := c.nextValidatorsHash(sdb, parent); b.Extras.NextValidatorsHash != want {
		return nil, fmt.Errorf("execute block %d: %w: next validator set hash %s, the state says %s",
			b.Number(), ErrBadHeader, b.Extras.NextValidatorsHash, want)
	}
	execution.StampBlockHash(b.Hash(), res.Receipts, res.SystemLogs)
	return &Executed{Block: b, Receipts: res.Receipts, SystemLogs: res.SystemLogs, state: sdb}, nil
}

func (c *Chain) checkHeader(b *block.Block, parent *block.Block) error {
	h, ph := b.Header, parent.Header
	if h == nil || h.Number == nil {
		return fmt.Errorf("%w: %w", ErrBadHeader, block.ErrNoHeader)
	}
	if b.L2 != nil {
		return fmt.Errorf("%w: block %s is an L2 block (L1 origin %d): the L1 chain accepts L1 blocks only",
			ErrBadHeader, h.Number, b.L2.Origin.Number)
	}
	n := h.Number.Uint64()
	if !h.Number.IsUint64() || n != parent.Number()+1 || h.ParentHash != parent.Hash() {
		return fmt.Errorf("%w: block %s (parent %s) on head %d (%s)", ErrNotNext, h.Number, h.ParentHash, parent.Number(), parent.Hash())
	}
	if err := c.checkCommitments(b); err != nil {
		return fmt.Errorf("%w: %w", ErrBadHeader, err)
	}
	switch {
	case h.Time < ph.Time:
		return fmt.Errorf("%w: block %d time %d is before its parent's %d", ErrBadHeader, n, h.Time, ph.Time)
	case h.GasLimit != c.gen.GasLimit:
		return fmt.Errorf("%w: block %d gas limit %d, genesis says %d", ErrBadHeader, n, h.GasLimit, c.gen.GasLimit)
	}
	if b.Extras.ValidatorsHash != parent.Extras.NextValidatorsHash {
		return fmt.Errorf("%w: block %d names validator set %s, its parent committed to %s",
			ErrBadHeader, n, b.Extras.ValidatorsHash, parent.Extras.NextValidatorsHash)
	}
	if want := c.NextBaseFee(ph); h.BaseFee.Cmp(want) != 0 {
		return fmt.Errorf("%w: block %d base fee %s, want %s", ErrBadHeader, n, h.BaseFee, want)
	}
	return nil
}

// ErrAlreadyCommitted is returned when an Executed block is committed twice.
var ErrAlreadyCommitted = errors.New("block already committed")

// CommitBlock makes ex the new head: its state, block, receipts,
// transaction index and commit certificate are written, the last of them
// in one synced batch. commit may be nil only for tests that have none.
func (c *Chain) CommitBlock(ex *Executed, commit *block.Commit) error {
	b := ex.Block
	n := b.Number()
	if ex.finished {
		return fmt.Errorf("commit block %d: %w", n, ErrAlreadyCommitted)
	}
	// A staging in progress finishes before the head is locked: readers
	// of the head need not wait for it.
	start := time.Now()
	if err := ex.settle(); err != nil {
		return fmt.Errorf("commit block %d: %w", n, err)
	}
	ex.Took.Staging = time.Since(start)
	c.mu.Lock()
	defer c.mu.Unlock()
	if b.Header.ParentHash != c.head.Hash() || n != c.head.Number()+1 {
		return fmt.Errorf("commit block %d: %w: head is %d", n, ErrNotNext, c.head.Number())
	}
	if commit != nil && (commit.Height != n || commit.BlockHash != b.Hash()) {
		return fmt.Errorf("commit block %d: certificate is for block %d %s", n, commit.Height, commit.BlockHash)
	}
	var root common.Hash
	if ex.staged != nil {
		root = ex.staged.root
		if err := c.state.Flush(root, n); err != nil {
			return fmt.Errorf("commit block %d: %w", n, err)
		}
	} else {
		var err error
		if root, err = c.state.Commit(ex.state, n); err != nil {
			return fmt.Errorf("commit block %d: %w", n, err)
		}
		ex.state = nil
	}
	ex.finished = true
	ex.Took.Flush = time.Since(start) - ex.Took.Staging
	if root != b.Header.Root {
		return fmt.Errorf("commit block %d: state root %s, header says %s", n, root, b.Header.Root)
	}
	batch := c.db.NewBatch()
	if err := chaindb.WriteBlock(batch, b, ex.Receipts); err != nil {
		return err
	}
	if err := chaindb.WriteSystemLogs(batch, b.Hash(), ex.SystemLogs); err != nil {
		return fmt.Errorf("commit block %d: %w", n, err)
	}
	if commit != nil {
		if err := WriteCommit(batch, commit); err != nil {
			return err
		}
	}
	if err := store.WriteHeadHeight(batch, n); err != nil {
		return fmt.Errorf("commit block %d: %w", n, err)
	}
	if err := batch.Commit(true); err != nil {
		return fmt.Errorf("commit block %d: %w", n, err)
	}
	ex.Took.Write = time.Since(start) - ex.Took.Staging - ex.Took.Flush
	c.head = b
	return nil
}
