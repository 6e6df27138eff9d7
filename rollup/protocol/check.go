package protocol

import (
	"errors"
	"fmt"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
)

// Verdict is CheckBatch's decision about a batch.
type Verdict uint8

// The verdicts. The zero value is Drop, so a verdict that was never set
// accepts nothing.
const (
	// Drop: the batch does not extend the rollup; the error says why.
	Drop Verdict = iota
	// Accept: the batch extends the rollup from the last accepted block.
	Accept
)

// String names the verdict.
func (v Verdict) String() string {
	switch v {
	case Drop:
		return "drop"
	case Accept:
		return "accept"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Why CheckBatch drops a batch. Each arrives wrapped with the detail
// ("L2 block 7: ..."); test with errors.Is.
var (
	// ErrInvalidContext means the CheckContext itself is unusable (no
	// origin lookup, a zero cap or sequencing window): the caller's fault,
	// not the batch's.
	ErrInvalidContext = errors.New("invalid batch check context")
	// ErrNoBlocks means the batch holds no L2 block.
	ErrNoBlocks = errors.New("the batch holds no L2 block")
	// ErrTooManyBlocks means the batch holds more blocks than the cap.
	ErrTooManyBlocks = errors.New("the batch holds too many L2 blocks")
	// ErrParentHash means the batch's parent hash is not the hash of the
	// last accepted L2 block: it does not build on the accepted chain.
	ErrParentHash = errors.New("the batch does not build on the last accepted L2 block")
	// ErrOverlap means a block number is not above its predecessor's: the
	// batch repeats blocks already accepted or numbers blocks backwards.
	ErrOverlap = errors.New("the batch repeats L2 block numbers already taken")
	// ErrGap means a block number skips ahead: blocks are missing.
	ErrGap = errors.New("the batch leaves a gap in the L2 block numbers")
	// ErrOriginOrder means a block's L1 origin is neither its parent's
	// origin nor the next L1 block.
	ErrOriginOrder = errors.New("L1 origins out of order: each L2 block's origin must be its parent's or the next L1 block")
	// ErrOriginFuture means a block names as origin an L1 block the L1
	// never had when the batch was included (at or after the including
	// L1 block).
	ErrOriginFuture = errors.New("an origin the L1 never had")
	// ErrOriginNotKept means a block's origin is older than the L1 history
	// the rollup contract keeps, so its hash cannot be known.
	ErrOriginNotKept = errors.New("an origin older than the L1 history kept")
	// ErrTimeDecreasing means a block's time is before its parent's.
	ErrTimeDecreasing = errors.New("L2 block time goes backwards")
	// ErrTimeBeforeOrigin means a block's time is before its L1 origin's.
	ErrTimeBeforeOrigin = errors.New("L2 block time before its L1 origin's time")
	// ErrTimeAheadOfL1 means a block's time is after the time of the L1
	// block that includes the batch: ahead of the L1 clock.
	ErrTimeAheadOfL1 = errors.New("L2 block time ahead of the L1 clock")
	// ErrWindowStay means a block stays at an L1 origin whose sequencing
	// window has closed: such an origin has exactly one L2 block, the
	// deposit-only one that advances to it.
	ErrWindowStay = errors.New("an L2 block stays at an L1 origin whose sequencing window has closed")
	// ErrWindowNotDepositOnly means the block advancing to an origin whose
	// sequencing window has closed is not the deposit-only block
	// derivation makes for it (no transactions, time max(parent time,
	// origin time)).
	ErrWindowNotDepositOnly = errors.New("the L2 block of an L1 origin whose sequencing window has closed must be deposit-only")
	// ErrTooManyTxs means a block holds more transactions than the cap.
	ErrTooManyTxs = errors.New("an L2 block holds too many transactions")
	// ErrTxGasLimit means a transaction's gas limit is above the L2 block
	// gas limit (no block could ever include it).
	ErrTxGasLimit = errors.New("an L2 transaction's gas limit is above the L2 block gas limit")
	// ErrNilTransaction means a block lists a nil transaction.
	ErrNilTransaction = errors.New("an L2 block lists a missing transaction")
	// ErrTooManyWithdrawals means a block lists more withdrawals than the
	// cap.
	ErrTooManyWithdrawals = errors.New("an L2 block lists too many withdrawals")
)

// Head is an L2 block as the batch rules see it: the last accepted L2
// block (or the L2 genesis) that a batch must extend.
type Head struct {
	Number block.L2Number
	Hash   common.Hash
	Time   uint64
	Origin block.L1Number
}

// OriginLookup returns the hash and time of L1 block n if the caller's L1
// history holds it (for the rollup contract: the history it keeps in its
// state).
type OriginLookup func(n block.L1Number) (hash common.Hash, time uint64, ok bool)

// Caps bound a batch. Every field must be positive.
type Caps struct {
	// MaxBlocks bounds the blocks of one batch.
	MaxBlocks uint64
	// MaxTxsPerBlock bounds the transactions of one block.
	MaxTxsPerBlock uint64
	// MaxWithdrawalsPerBlock bounds the withdrawals of one block.
	MaxWithdrawalsPerBlock uint64
	// L2GasLimit is the L2 block gas limit; no transaction's gas limit
	// may exceed it.
	L2GasLimit uint64
}

// CheckContext is everything besides the batch that CheckBatch decides
// on.
type CheckContext struct {
	// Last is the last accepted L2 block, or the L2 genesis.
	Last Head
	// L1Number and L1Time are the number and time of the L1 block that
	// includes the batch.
	L1Number block.L1Number
	L1Time   uint64
	// Origin looks up L1 blocks below L1Number.
	Origin OriginLookup
	// SequencingWindow is S: the origin X's window closes at L1 block X+S.
	SequencingWindow uint64
	// Caps bound the batch.
	Caps Caps
}

// validate checks the context's own form.
func (c *CheckContext) validate() error {
	switch {
	case c.Origin == nil:
		return fmt.Errorf("%w: no origin lookup", ErrInvalidContext)
	case c.SequencingWindow == 0:
		return fmt.Errorf("%w: sequencing window 0", ErrInvalidContext)
	case c.Caps.MaxBlocks == 0 || c.Caps.MaxTxsPerBlock == 0 || c.Caps.MaxWithdrawalsPerBlock == 0 || c.Caps.L2GasLimit == 0:
		return fmt.Errorf("%w: caps %+v must all be positive", ErrInvalidContext, c.Caps)
	}
	return nil
}

// CheckBatch decides whether b extends the rollup from ctx.Last when the
// L1 block ctx.L1Number includes it. It returns Accept and nil, or Drop
// and an error wrapping the sentinel of the first broken rule:
//
//   - the batch holds at least one and at most Caps.MaxBlocks blocks
//     (ErrNoBlocks, ErrTooManyBlocks);
//   - its ParentHash is the last accepted block's hash (ErrParentHash);
//
// and, for each block, its parent being the last accepted block for the
// first and the previous block for the others:
//
//   - its number is its parent's + 1 (ErrOverlap, ErrGap);
//   - its origin is its parent's origin or the next L1 block
//     (ErrOriginOrder), below the including L1 block (ErrOriginFuture)
//     and in the history (ErrOriginNotKept);
//   - its time is at least its parent's (ErrTimeDecreasing) and its
//     origin's (ErrTimeBeforeOrigin), and at most the including L1
//     block's (ErrTimeAheadOfL1);
//   - if its origin X is past its sequencing window (X + S ≤ L1Number),
//     it is the one block that advances to X (ErrWindowStay) and it is
//     deposit-only: no transactions and time = max(parent time, origin
//     time) (ErrWindowNotDepositOnly);
//   - it holds at most Caps.MaxTxsPerBlock transactions (ErrTooManyTxs),
//     none nil (ErrNilTransaction) nor with a gas limit above
//     Caps.L2GasLimit (ErrTxGasLimit), and at most
//     Caps.MaxWithdrawalsPerBlock well-formed withdrawals
//     (ErrTooManyWithdrawals, ErrBadWithdrawal).
//
// It is pure and cheap: no signature is recovered and nothing executed.
// Transactions that are invalid for other reasons (signature, nonce,
// balance) are the state transition's business: it leaves them out.
func CheckBatch(b *Batch, ctx CheckContext) (Verdict, error) {
	if err := ctx.validate(); err != nil {
		return Drop, err
	}
	if err := checkShape(b, &ctx); err != nil {
		return Drop, err
	}
	parent := ctx.Last
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		if err := checkBlock(blk, &parent, &ctx); err != nil {
			return Drop, fmt.Errorf("L2 block %d (#%d of the batch): %w", blk.Number, i, err)
		}
		parent = Head{Number: blk.Number, Hash: blk.BlockHash, Time: blk.Time, Origin: blk.Origin}
	}
	return Accept, nil
}

// checkShape checks the batch as a whole: its size and its parent.
func checkShape(b *Batch, ctx *CheckContext) error {
	switch {
	case b == nil || len(b.Blocks) == 0:
		return ErrNoBlocks
	case uint64(len(b.Blocks)) > ctx.Caps.MaxBlocks:
		return fmt.Errorf("%w: %d blocks, at most %d", ErrTooManyBlocks, len(b.Blocks), ctx.Caps.MaxBlocks)
	case b.ParentHash != ctx.Last.Hash:
		return fmt.Errorf("%w: parent hash %s, the last accepted L2 block %d has hash %s",
			ErrParentHash, b.ParentHash, ctx.Last.Number, ctx.Last.Hash)
	}
	return nil
}

// checkBlock checks the per-block rules for blk, whose parent is parent,
// in order, and returns the first broken one.
func checkBlock(blk *Block, parent *Head, ctx *CheckContext) error {
	for _, rule := range [...]func(*Block, *Head, *CheckContext) error{
		nextNumber,
		originFollowsParent,
		originKnown,
		timeInBounds,
		sequencingWindow,
		blockCaps,
	} {
		if err := rule(blk, parent, ctx); err != nil {
			return err
		}
	}
	return nil
}

// nextNumber: the block's number is its parent's + 1.
func nextNumber(blk *Block, parent *Head, _ *CheckContext) error {
	switch {
	case blk.Number <= parent.Number:
		return fmt.Errorf("%w: it follows L2 block %d", ErrOverlap, parent.Number)
	case blk.Number == parent.Number+2:
		return fmt.Errorf("%w: it follows L2 block %d, block %d is missing", ErrGap, parent.Number, parent.Number+1)
	case blk.Number != parent.Number+1:
		return fmt.Errorf("%w: it follows L2 block %d, blocks %d to %d are missing", ErrGap, parent.Number, parent.Number+1, blk.Number-1)
	}
	return nil
}

// originFollowsParent: the origin stays or advances by one L1 block.
func originFollowsParent(blk *Block, parent *Head, _ *CheckContext) error {
	if blk.Origin < parent.Origin || blk.Origin-parent.Origin > 1 {
		return fmt.Errorf("%w: origin %d after its parent's %d", ErrOriginOrder, blk.Origin, parent.Origin)
	}
	return nil
}

// originKnown: the origin is an L1 block before the including one, and
// in the history.
func originKnown(blk *Block, _ *Head, ctx *CheckContext) error {
	if blk.Origin >= ctx.L1Number {
		return fmt.Errorf("%w: origin %d, the batch is in L1 block %d", ErrOriginFuture, blk.Origin, ctx.L1Number)
	}
	if _, _, ok := ctx.Origin(blk.Origin); !ok {
		return fmt.Errorf("%w: origin %d is not in the history at L1 block %d", ErrOriginNotKept, blk.Origin, ctx.L1Number)
	}
	return nil
}

// timeInBounds: parent time ≤ time, origin time ≤ time ≤ L1 time.
func timeInBounds(blk *Block, parent *Head, ctx *CheckContext) error {
	_, originTime, _ := ctx.Origin(blk.Origin)
	switch {
	case blk.Time < parent.Time:
		return fmt.Errorf("%w: time %d, its parent's %d", ErrTimeDecreasing, blk.Time, parent.Time)
	case blk.Time < originTime:
		return fmt.Errorf("%w: time %d, origin %d has time %d", ErrTimeBeforeOrigin, blk.Time, blk.Origin, originTime)
	case blk.Time > ctx.L1Time:
		return fmt.Errorf("%w: time %d, the including L1 block %d has time %d", ErrTimeAheadOfL1, blk.Time, ctx.L1Number, ctx.L1Time)
	}
	return nil
}

// expired reports whether origin's sequencing window has closed at L1
// block at: origin + s ≤ at.
func expired(origin block.L1Number, s uint64, at block.L1Number) bool {
	return uint64(at) >= s && uint64(origin) <= uint64(at)-s
}

// sequencingWindow: a block whose origin's window has closed is the
// deposit-only block advancing to it.
func sequencingWindow(blk *Block, parent *Head, ctx *CheckContext) error {
	if !expired(blk.Origin, ctx.SequencingWindow, ctx.L1Number) {
		return nil
	}
	closed := uint64(blk.Origin) + ctx.SequencingWindow
	if blk.Origin == parent.Origin {
		return fmt.Errorf("%w: origin %d (window closed at L1 block %d) already has L2 block %d",
			ErrWindowStay, blk.Origin, closed, parent.Number)
	}
	_, originTime, _ := ctx.Origin(blk.Origin)
	want := max(parent.Time, originTime)
	if len(blk.Transactions) != 0 || blk.Time != want {
		return fmt.Errorf("%w: origin %d (window closed at L1 block %d): %d transactions and time %d, want none and time %d",
			ErrWindowNotDepositOnly, blk.Origin, closed, len(blk.Transactions), blk.Time, want)
	}
	return nil
}

// blockCaps: transaction and withdrawal counts, transaction gas limits,
// withdrawal forms.
func blockCaps(blk *Block, _ *Head, ctx *CheckContext) error {
	caps := &ctx.Caps
	if n := uint64(len(blk.Transactions)); n > caps.MaxTxsPerBlock {
		return fmt.Errorf("%w: %d, at most %d", ErrTooManyTxs, n, caps.MaxTxsPerBlock)
	}
	for j, tx := range blk.Transactions {
		if tx == nil {
			return fmt.Errorf("%w: transaction %d", ErrNilTransaction, j)
		}
		if tx.Gas() > caps.L2GasLimit {
			return fmt.Errorf("%w: transaction %d (%s) has gas limit %d, the block %d", ErrTxGasLimit, j, tx.Hash(), tx.Gas(), caps.L2GasLimit)
		}
	}
	if n := uint64(len(blk.Withdrawals)); n > caps.MaxWithdrawalsPerBlock {
		return fmt.Errorf("%w: %d, at most %d", ErrTooManyWithdrawals, n, caps.MaxWithdrawalsPerBlock)
	}
	for j := range blk.Withdrawals {
		if err := blk.Withdrawals[j].Validate(); err != nil {
			return fmt.Errorf("withdrawal #%d of the block: %w", j, err)
		}
	}
	return nil
}
