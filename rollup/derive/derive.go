package derive

import (
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/batch"
)

// Errors of derivation.
var (
	// ErrCritical means the L1 data contradicts the rules the rollup
	// contract enforces (a batch derivation cannot place): the L1 source
	// is wrong or the contract has a bug. Derivation stops; it never skips.
	ErrCritical = errors.New("critical derivation error")
	// ErrOutOfOrder means an L1 block was given out of order.
	ErrOutOfOrder = errors.New("L1 block out of order")
	// ErrMissingL1 means derivation needs an L1 block it does not have.
	ErrMissingL1 = errors.New("L1 block unavailable")
)

// DefaultHistory is how many recent L1 blocks a Deriver keeps in memory,
// as many as the rollup contract's history (older ones come from Source).
const DefaultHistory = 8192

// L1Block is what derivation reads from one L1 block.
type L1Block struct {
	Ref  block.L1Ref
	Time uint64
	// Operations are the bridge operations recorded in this block.
	Operations []block.Operation
	// Batches are the batches the rollup contract accepted in this block,
	// in transaction order.
	Batches []AcceptedBatch
	// Rollbacks are the successful challenges of this block: each deleted
	// the outputs from a block on, in transaction order.
	Rollbacks []Rollback
}

// AcceptedBatch is a batch the rollup contract accepted, with its index
// and the position of its transaction in the L1 block.
type AcceptedBatch struct {
	Index   uint64
	TxIndex uint
	Batch   *batch.Batch
}

// Rollback is a successful challenge: the contract deleted the outputs of
// L2 blocks after To (the last valid block), so the L2 chain continues
// from To with the batches posted next.
type Rollback struct {
	TxIndex uint
	To      block.L2Number
}

// Source gives derivation L1 blocks it no longer holds in memory (origins
// older than its history, after a restart).
type Source interface {
	L1Block(n block.L1Number) (*L1Block, error)
}

// Head is the newest derived L2 block: number, time and origin.
type Head struct {
	Number block.L2Number
	Time   uint64
	Origin block.L1Number
}

// Inputs are the inputs of one derived L2 block: what the state
// transition needs besides the parent state.
type Inputs struct {
	Number     block.L2Number
	Time       uint64
	Origin     block.L1Ref
	OriginTime uint64
	// Operations are the origin's L1 operations when the block advances
	// to it (else empty), applied before the transactions.
	Operations   []block.Operation
	Transactions []*types.Transaction
	// DepositOnly marks a block derivation made because the sequencing
	// window of its origin closed with no batch covering it.
	DepositOnly bool
}

// Claim is what a posted batch says about one L2 block.
type Claim struct {
	Number      block.L2Number
	BatchIndex  uint64
	L1Block     block.L1Number
	StateRoot   common.Hash
	BlockHash   common.Hash
	Withdrawals []batch.Withdrawal
}

// Result is what one L1 block adds: new blocks to execute, in order, and
// claims (about those blocks or earlier ones) to check once they are.
type Result struct {
	// RollbackTo, when set, says a challenge deleted the outputs after
	// this block: the caller rewinds its chain to it before executing
	// Blocks.
	RollbackTo *block.L2Number
	Blocks     []Inputs
	Claims     []Claim
}

// Config holds the rollup parameters derivation needs.
type Config struct {
	// HeadAt returns the derived block n as a Head (number, time,
	// origin); a rollback needs it. The verifier reads its own chain.
	HeadAt func(n block.L2Number) (Head, error)
	// SequencingWindow is S: a batch must cover origin X before L1 block
	// X+S, else derivation makes a deposit-only block for it there.
	SequencingWindow uint64
	// History is how many recent L1 blocks to keep in memory
	// (DefaultHistory if 0).
	History int
}

// State is a Deriver's resumable state.
type State struct {
	// Head is the newest derived L2 block.
	Head Head
	// Next is the next L1 block to derive from.
	Next block.L1Number
	// Unclaimed are derived deposit-only blocks no batch has posted yet.
	Unclaimed []Inputs
}

// l1Entry is what derivation remembers of an L1 block.
type l1Entry struct {
	ref  block.L1Ref
	time uint64
	ops  []block.Operation
}

// Deriver derives the L2 chain one L1 block at a time. It is not safe for
// concurrent use.
type Deriver struct {
	cfg       Config
	src       Source
	head      Head
	next      block.L1Number
	unclaimed []Inputs
	recent    map[block.L1Number]*l1Entry
}

// New returns a Deriver resuming from st (for a fresh chain: the L2
// genesis as head, Next = 1 and the L1 genesis given to Remember).
func New(cfg Config, st State, src Source) *Deriver {
	if cfg.History <= 0 {
		cfg.History = DefaultHistory
	}
	return &Deriver{cfg: cfg, src: src, head: st.Head, next: st.Next, unclaimed: slices.Clone(st.Unclaimed),
		recent: make(map[block.L1Number]*l1Entry)}
}

// State returns the resumable state after the last Step.
func (d *Deriver) State() State {
	return State{Head: d.head, Next: d.next, Unclaimed: slices.Clone(d.unclaimed)}
}

// Head returns the newest derived L2 block.
func (d *Deriver) Head() Head { return d.head }

// Remember records an L1 block derivation may need as an origin without
// deriving from it (the L1 genesis, or blocks before a resume point).
func (d *Deriver) Remember(b *L1Block) {
	d.recent[b.Ref.Number] = &l1Entry{ref: b.Ref, time: b.Time, ops: b.Operations}
	if n, h := b.Ref.Number, block.L1Number(d.cfg.History); n >= h {
		delete(d.recent, n-h)
	}
}

// l1 returns the remembered L1 block n, or asks the source.
func (d *Deriver) l1(n block.L1Number) (*l1Entry, error) {
	if e, ok := d.recent[n]; ok {
		return e, nil
	}
	if d.src == nil {
		return nil, fmt.Errorf("%w: %d", ErrMissingL1, n)
	}
	b, err := d.src.L1Block(n)
	if err != nil {
		return nil, fmt.Errorf("%w: %d: %w", ErrMissingL1, n, err)
	}
	return &l1Entry{ref: b.Ref, time: b.Time, ops: b.Operations}, nil
}

// Step derives from L1 block b, which must be the next one.
func (d *Deriver) Step(b *L1Block) (*Result, error) {
	if b.Ref.Number != d.next {
		return nil, fmt.Errorf("%w: got %d, want %d", ErrOutOfOrder, b.Ref.Number, d.next)
	}
	d.Remember(b)
	res := &Result{}
	bi, ri := 0, 0
	for bi < len(b.Batches) || ri < len(b.Rollbacks) {
		if ri < len(b.Rollbacks) && (bi == len(b.Batches) || b.Rollbacks[ri].TxIndex < b.Batches[bi].TxIndex) {
			if err := d.rollback(b.Rollbacks[ri], res); err != nil {
				return nil, err
			}
			ri++
			continue
		}
		if err := d.addBatch(b.Ref.Number, b.Batches[bi], res); err != nil {
			return nil, err
		}
		bi++
	}
	if err := d.expire(b.Ref.Number, res); err != nil {
		return nil, err
	}
	d.next++
	return res, nil
}

// rollback forgets the derived blocks after r.To: the chain continues from
// r.To (the caller rewinds its executed chain to Result.RollbackTo).
func (d *Deriver) rollback(r Rollback, res *Result) error {
	if r.To >= d.head.Number {
		return nil
	}
	if d.cfg.HeadAt == nil {
		return fmt.Errorf("%w: a rollback to block %d, and no way to look up derived blocks", ErrCritical, r.To)
	}
	h, err := d.cfg.HeadAt(r.To)
	if err != nil {
		return fmt.Errorf("rollback to L2 block %d: %w", r.To, err)
	}
	d.head = h
	d.unclaimed = slices.DeleteFunc(d.unclaimed, func(in Inputs) bool { return in.Number > r.To })
	res.Blocks = slices.DeleteFunc(res.Blocks, func(in Inputs) bool { return in.Number > r.To })
	res.Claims = slices.DeleteFunc(res.Claims, func(c Claim) bool { return c.Number > r.To })
	if res.RollbackTo == nil || *res.RollbackTo > r.To {
		to := r.To
		res.RollbackTo = &to
	}
	return nil
}

// addBatch derives the blocks of an accepted batch and collects its claims.
func (d *Deriver) addBatch(at block.L1Number, ab AcceptedBatch, res *Result) error {
	for i := range ab.Batch.Blocks {
		blk := &ab.Batch.Blocks[i]
		claim := Claim{Number: blk.Number, BatchIndex: ab.Index, L1Block: at, StateRoot: blk.StateRoot, BlockHash: blk.BlockHash,
			Withdrawals: blk.Withdrawals}
		if blk.Number <= d.head.Number {
			if err := d.claimDepositOnly(blk); err != nil {
				return fmt.Errorf("batch %d in L1 block %d: %w", ab.Index, at, err)
			}
			res.Claims = append(res.Claims, claim)
			continue
		}
		in, err := d.inputsOf(blk)
		if err != nil {
			return fmt.Errorf("batch %d in L1 block %d: %w", ab.Index, at, err)
		}
		d.head = Head{Number: in.Number, Time: in.Time, Origin: in.Origin.Number}
		res.Blocks = append(res.Blocks, in)
		res.Claims = append(res.Claims, claim)
	}
	return nil
}

// inputsOf turns the next batch block into block inputs.
func (d *Deriver) inputsOf(blk *batch.Block) (Inputs, error) {
	switch {
	case blk.Number != d.head.Number+1:
		return Inputs{}, fmt.Errorf("%w: block %d follows derived head %d", ErrCritical, blk.Number, d.head.Number)
	case blk.Origin != d.head.Origin && blk.Origin != d.head.Origin+1:
		return Inputs{}, fmt.Errorf("%w: block %d origin %d after origin %d", ErrCritical, blk.Number, blk.Origin, d.head.Origin)
	case blk.Time < d.head.Time:
		return Inputs{}, fmt.Errorf("%w: block %d time %d before %d", ErrCritical, blk.Number, blk.Time, d.head.Time)
	}
	e, err := d.l1(blk.Origin)
	if err != nil {
		return Inputs{}, err
	}
	in := Inputs{Number: blk.Number, Time: blk.Time, Origin: e.ref, OriginTime: e.time, Transactions: blk.Transactions}
	if blk.Origin == d.head.Origin+1 {
		in.Operations = e.ops
	}
	return in, nil
}

// claimDepositOnly matches a posted block with the deposit-only block
// derivation already made at its number.
func (d *Deriver) claimDepositOnly(blk *batch.Block) error {
	i := slices.IndexFunc(d.unclaimed, func(in Inputs) bool { return in.Number == blk.Number })
	if i < 0 {
		return fmt.Errorf("%w: block %d is posted twice", ErrCritical, blk.Number)
	}
	in := d.unclaimed[i]
	if blk.Origin != in.Origin.Number || blk.Time != in.Time || len(blk.Transactions) != 0 {
		return fmt.Errorf("%w: posted block %d (origin %d, time %d, %d txs) differs from its deposit-only form (origin %d, time %d)",
			ErrCritical, blk.Number, blk.Origin, blk.Time, len(blk.Transactions), in.Origin.Number, in.Time)
	}
	d.unclaimed = slices.Delete(d.unclaimed, i, i+1)
	return nil
}

// expire makes a deposit-only block for every origin whose sequencing
// window closed at L1 block at with no batch covering it.
func (d *Deriver) expire(at block.L1Number, res *Result) error {
	for uint64(d.head.Origin)+1+d.cfg.SequencingWindow <= uint64(at) {
		x := d.head.Origin + 1
		e, err := d.l1(x)
		if err != nil {
			return err
		}
		in := Inputs{Number: d.head.Number + 1, Time: max(d.head.Time, e.time), Origin: e.ref, OriginTime: e.time,
			Operations: e.ops, DepositOnly: true}
		d.head = Head{Number: in.Number, Time: in.Time, Origin: x}
		d.unclaimed = append(d.unclaimed, in)
		res.Blocks = append(res.Blocks, in)
	}
	return nil
}
