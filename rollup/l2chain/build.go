package l2chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/chaindb"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/store"
)

// Attributes are the inputs of an L2 block besides its transactions: what
// the sequencer chooses and derivation reproduces from the L1.
type Attributes struct {
	// Time is the block timestamp in whole seconds.
	Time uint64
	// Origin is the L1 block the L2 block is anchored to.
	Origin block.L1Ref
	// OriginTime is the origin's timestamp; Time may not be before it.
	OriginTime uint64
	// Operations are the L1 operations of the origin, applied first; they
	// must be empty unless the block advances its origin.
	Operations []block.Operation
}

// Executed is a block executed on top of the head, with its receipts and
// post-state, ready to commit. Commit it at most once.
type Executed struct {
	Block    *block.Block
	Receipts types.Receipts
	// Result is the state transition's full outcome (skipped transactions,
	// operation outcomes, system logs).
	Result *execution.Result
	state  *state.StateDB
}

// checkAttributes enforces the L2 block rules that relate a block to its
// parent: time non-decreasing and not before the origin's; the origin
// stays or advances by exactly one L1 block; operations only when it
// advances, and only the new origin's.
func checkAttributes(parent *block.Block, a Attributes) error {
	ph := parent.Header
	n := parent.Number() + 1
	if parent.L2 == nil {
		return fmt.Errorf("%w: parent %d is not an L2 block", ErrBadInputs, parent.Number())
	}
	prev := parent.L2.Origin.Number
	switch {
	case a.Time < ph.Time:
		return fmt.Errorf("%w: block %d time %d is before its parent's %d", ErrBadInputs, n, a.Time, ph.Time)
	case a.Time < a.OriginTime:
		return fmt.Errorf("%w: block %d time %d is before its origin's %d", ErrBadInputs, n, a.Time, a.OriginTime)
	case a.Origin.Number != prev && a.Origin.Number != prev+1:
		return fmt.Errorf("%w: block %d origin %d, parent's origin is %d (it may stay or advance by one)", ErrBadInputs, n, a.Origin.Number, prev)
	case a.Origin.Number == prev && a.Origin.Hash != parent.L2.Origin.Hash:
		return fmt.Errorf("%w: block %d names origin %d with hash %s, its parent %s", ErrBadInputs, n, prev, a.Origin.Hash, parent.L2.Origin.Hash)
	case a.Origin.Number == prev && len(a.Operations) > 0:
		return fmt.Errorf("%w: block %d applies operations without advancing its origin", ErrBadInputs, n)
	}
	for i, op := range a.Operations {
		if op.L1Block != a.Origin.Number || op.Index != uint64(i) {
			return fmt.Errorf("%w: block %d operation %d is %d/%d, want %d/%d (the origin's, in order)",
				ErrBadInputs, n, i, op.L1Block, op.Index, a.Origin.Number, i)
		}
	}
	return nil
}

// header returns the header of the block after parent with attributes a:
// execution.NextL2Header, the rule the L1 fraud-proof verifier applies too.
func (c *Chain) header(parent *block.Block, a Attributes) (*types.Header, error) {
	h, err := execution.NextL2Header(c.cfg, parent.Header, a.Time)
	if err != nil {
		return nil, fmt.Errorf("L2 block after %d: %w", parent.Number(), err)
	}
	return h, nil
}

// Build executes a new block on the head with attributes a and as many
// transactions from src as the block's gas, transaction cap and lim allow,
// skipping invalid ones.
func (c *Chain) Build(a Attributes, src execution.TxSource, lim execution.FillLimits) (*Executed, error) {
	parent := c.Head()
	if err := checkAttributes(parent, a); err != nil {
		return nil, err
	}
	header, err := c.header(parent, a)
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	sdb, err := c.state.StateAt(parent.Header.Root)
	if err != nil {
		return nil, fmt.Errorf("build L2 block %d: %w", header.Number, err)
	}
	extras := block.L2Extras{Origin: a.Origin, Operations: a.Operations}
	ex, err := execution.NewBlockExecutor(c.cfg, sdb, header, c.reg, execution.Options{L2: &extras})
	if err != nil {
		return nil, fmt.Errorf("build L2 block %d: %w", header.Number, err)
	}
	if src != nil {
		if _, err := ex.Fill(src, lim); err != nil {
			ex.Abort()
			return nil, fmt.Errorf("build L2 block %d: %w", header.Number, err)
		}
	}
	res, err := ex.Finish()
	if err != nil {
		return nil, fmt.Errorf("build L2 block %d: %w", header.Number, err)
	}
	return c.seal(header, extras, res, sdb), nil
}

// Apply executes a block with the given attributes and transactions on the
// head under SkipInvalid (an invalid transaction is left out, never fatal),
// as derivation does.
func (c *Chain) Apply(a Attributes, txs []*types.Transaction) (*Executed, error) {
	parent := c.Head()
	if err := checkAttributes(parent, a); err != nil {
		return nil, err
	}
	header, err := c.header(parent, a)
	if err != nil {
		return nil, fmt.Errorf("apply: %w", err)
	}
	sdb, err := c.state.StateAt(parent.Header.Root)
	if err != nil {
		return nil, fmt.Errorf("apply L2 block %d: %w", header.Number, err)
	}
	extras := block.L2Extras{Origin: a.Origin, Operations: a.Operations}
	res, err := execution.ApplyBlock(c.cfg, sdb, header, txs, c.reg, execution.SkipInvalid, execution.Options{L2: &extras})
	if err != nil {
		return nil, fmt.Errorf("apply L2 block %d: %w", header.Number, err)
	}
	return c.seal(header, extras, res, sdb), nil
}

func (c *Chain) seal(header *types.Header, extras block.L2Extras, res *execution.Result, sdb *state.StateDB) *Executed {
	b := execution.SealL2Block(header, extras, res)
	execution.StampBlockHash(b.Hash(), res.Receipts, res.SystemLogs)
	return &Executed{Block: b, Receipts: res.Receipts, Result: res, state: sdb}
}

// Commit makes ex the new head: its trie nodes, then its block, receipts,
// transaction index and the head pointer in one synced batch. When Commit
// returns nil the block survives any crash.
func (c *Chain) Commit(ex *Executed) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := ex.Block
	n := b.Number()
	if ex.state == nil {
		return fmt.Errorf("commit L2 block %d: %w", n, ErrAlreadyCommitted)
	}
	if b.Header.ParentHash != c.head.Hash() || n != c.head.Number()+1 {
		return fmt.Errorf("commit L2 block %d: %w: head is %d", n, ErrNotNext, c.head.Number())
	}
	root, err := c.state.Commit(ex.state, n)
	if err != nil {
		return fmt.Errorf("commit L2 block %d: %w", n, err)
	}
	ex.state = nil
	if root != b.Header.Root {
		return fmt.Errorf("commit L2 block %d: state root %s, header says %s", n, root, b.Header.Root)
	}
	batch := c.db.NewBatch()
	if err := chaindb.WriteBlock(batch, b, ex.Receipts); err != nil {
		return fmt.Errorf("commit L2 block %d: %w", n, err)
	}
	if err := writeOutcome(batch, b.Hash(), ex.Result); err != nil {
		return fmt.Errorf("commit L2 block %d: %w", n, err)
	}
	if err := chaindb.WriteSystemLogs(batch, b.Hash(), ex.Result.SystemLogs); err != nil {
		return fmt.Errorf("commit L2 block %d: %w", n, err)
	}
	if err := store.WriteHeadHeight(batch, n); err != nil {
		return fmt.Errorf("commit L2 block %d: %w", n, err)
	}
	if err := batch.Commit(true); err != nil {
		return fmt.Errorf("commit L2 block %d: %w", n, err)
	}
	c.head = b
	return nil
}

// Witness re-executes block n's inputs — its attributes as the own block
// has them, with txs, the transactions as posted (an invalid one is left
// out, as everywhere) — on the state of block n−1, collecting every trie
// node the execution reads: the witness of a fraud proof against n.
func (c *Chain) Witness(n block.L2Number, txs []*types.Transaction) ([]byte, error) {
	if n == 0 {
		return nil, fmt.Errorf("witness of the L2 genesis: %w", ErrBadInputs)
	}
	own, err := c.BlockByNumber(n)
	if err != nil {
		return nil, fmt.Errorf("witness of L2 block %d: %w", n, err)
	}
	parent, err := c.BlockByNumber(n - 1)
	if err != nil {
		return nil, fmt.Errorf("witness of L2 block %d: %w", n, err)
	}
	sdb, err := c.state.StateAt(parent.Header.Root)
	if err != nil {
		return nil, fmt.Errorf("witness of L2 block %d: %w", n, err)
	}
	header, err := c.header(parent, Attributes{Time: own.Header.Time})
	if err != nil {
		return nil, fmt.Errorf("witness of L2 block %d: %w", n, err)
	}
	res, err := execution.ApplyBlock(c.cfg, sdb, header, txs, c.reg, execution.SkipInvalid,
		execution.Options{CollectWitness: true, L2: own.L2})
	if err != nil {
		return nil, fmt.Errorf("witness of L2 block %d: %w", n, err)
	}
	if res.StateRoot != own.Header.Root {
		return nil, fmt.Errorf("witness of L2 block %d: re-execution gives root %s, the own block has %s", n, res.StateRoot, own.Header.Root)
	}
	enc, err := res.Witness.Encode()
	if err != nil {
		return nil, fmt.Errorf("witness of L2 block %d: %w", n, err)
	}
	return enc, nil
}
