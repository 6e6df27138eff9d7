package fallback

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// Chain is the derived L2 chain the proposer reads (the challenger's
// verifier's *l2chain.Chain): every block in it was derived from the L1.
type Chain interface {
	// Head returns the newest block.
	Head() *block.Block
	// BlockByNumber returns block n of the chain.
	BlockByNumber(n block.L2Number) (*block.Block, error)
	// Withdrawals returns the withdrawals block b initiated.
	Withdrawals(b *block.Block) ([]block.Withdrawal, error)
}

// ErrChainMoved means the derived chain changed while it was read (its
// verifier rewound it after a challenge): the blocks read do not link.
var ErrChainMoved = errors.New("fallback: the derived chain changed while it was read")

// scan returns the hash of the own block numbered la.Number (zero if the
// chain does not reach it) and the last block of the run of deposit-only
// blocks right after la, looking at most limit blocks ahead.
//
// A block is taken as deposit-only when it has no transactions and
// advances the origin by exactly one L1 block, its time not before its
// parent's: derivation's form for an expired origin. (Its time equals
// max(parent time, origin time) by derivation; the chain read here holds
// only derived blocks.) Blocks with transactions after la can only be
// those of a batch a later challenge deleted, which the verifier has not
// derived yet: they are never posted.
func scan(c Chain, la protocol.Head, limit int) (common.Hash, block.L2Number, error) {
	head := block.L2Number(c.Head().Number())
	if head < la.Number {
		return common.Hash{}, la.Number, nil
	}
	parent, err := c.BlockByNumber(la.Number)
	if err != nil {
		return common.Hash{}, la.Number, fmt.Errorf("derived L2 block %d: %w", la.Number, err)
	}
	at := parent.Hash()
	last := la.Number
	for n := la.Number + 1; n <= head && int(n-la.Number) <= limit; n++ {
		b, err := c.BlockByNumber(n)
		if err != nil {
			return at, last, fmt.Errorf("derived L2 block %d: %w", n, err)
		}
		if b.Header.ParentHash != parent.Hash() {
			return at, last, fmt.Errorf("%w: L2 block %d does not link to %d", ErrChainMoved, n, n-1)
		}
		if !depositOnly(b, parent) {
			break
		}
		last, parent = n, b
	}
	return at, last, nil
}

// depositOnly reports whether b, on parent, has the deposit-only form.
func depositOnly(b, parent *block.Block) bool {
	return b.L2 != nil && parent.L2 != nil && len(b.Transactions) == 0 &&
		b.L2.Origin.Number == parent.L2.Origin.Number+1 && b.Header.Time >= parent.Header.Time
}

// batchOf returns the batch of the own blocks after la up to last, as the
// verifier computed them: time, origin, no transactions, state root, block
// hash and withdrawals. The blocks must link to la by their parent hashes.
func batchOf(c Chain, la protocol.Head, last block.L2Number) (*batch.Batch, error) {
	b := &batch.Batch{ParentHash: la.Hash}
	prev := la.Hash
	for n := la.Number + 1; n <= last; n++ {
		blk, err := c.BlockByNumber(n)
		if err != nil {
			return nil, fmt.Errorf("derived L2 block %d: %w", n, err)
		}
		if blk.Header.ParentHash != prev {
			return nil, fmt.Errorf("%w: L2 block %d has parent %s, not %s", ErrChainMoved, n, blk.Header.ParentHash, prev)
		}
		ws, err := c.Withdrawals(blk)
		if err != nil {
			return nil, fmt.Errorf("withdrawals of derived L2 block %d: %w", n, err)
		}
		b.Blocks = append(b.Blocks, batch.Block{Number: n, Time: blk.Header.Time, Origin: blk.L2.Origin.Number,
			Transactions: blk.Transactions, StateRoot: blk.Header.Root, BlockHash: blk.Hash(), Withdrawals: ws})
		prev = blk.Hash()
	}
	return b, nil
}

// buildBatch encodes the own blocks after la up to last, as many as fit:
// the batch limits (blocks, bytes) and maxGas for the submitBatch
// transaction (0: no bound). It halves the range until the batch fits, as
// the sequencer's batcher does, and fails if the first block alone does
// not.
func buildBatch(c Chain, enc *batch.Encoder, la protocol.Head, last block.L2Number, lim batch.Limits, maxGas uint64) (*batch.Batch, []byte, error) {
	last = min(last, la.Number+block.L2Number(lim.MaxBlocks))
	for range 64 { // halving: at most log2(MaxBlocks) rounds
		b, err := batchOf(c, la, last)
		if err != nil {
			return nil, nil, err
		}
		if err := lim.Check(b); err != nil {
			return nil, nil, fmt.Errorf("batch of L2 blocks %d-%d: %w", la.Number+1, last, err)
		}
		data, err := enc.Encode(b)
		if err != nil {
			return nil, nil, fmt.Errorf("encode the batch of L2 blocks %d-%d: %w", la.Number+1, last, err)
		}
		gas := sequencer.SubmitGas(b, data)
		if len(data) <= lim.MaxBatchBytes && (maxGas == 0 || gas <= maxGas) {
			return b, data, nil
		}
		if last == la.Number+1 {
			return nil, nil, fmt.Errorf("L2 block %d alone encodes to %d bytes (limit %d) and needs %d gas to post (limit %d)",
				last, len(data), lim.MaxBatchBytes, gas, maxGas)
		}
		last = la.Number + (last-la.Number)/2
	}
	return nil, nil, fmt.Errorf("no batch of the L2 blocks after %d fits", la.Number)
}
