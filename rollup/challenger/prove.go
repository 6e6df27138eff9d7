package challenger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// Posted is a batch as the L1 holds it: its index, the data posted, and
// the hashes of the L1 origins its blocks name (to rebuild its leaves).
type Posted struct {
	Index uint64
	Batch *protocol.Batch
	// OriginHash returns the hash of L1 block n.
	OriginHash func(n block.L1Number) (common.Hash, bool)
}

// postedBlock returns the posted block n of p.
func (p *Posted) postedBlock(n block.L2Number) (*protocol.Block, error) {
	if len(p.Batch.Blocks) == 0 {
		return nil, fmt.Errorf("batch %d has no blocks", p.Index)
	}
	first := p.Batch.Blocks[0].Number
	if n < first || uint64(n-first) >= uint64(len(p.Batch.Blocks)) {
		return nil, fmt.Errorf("L2 block %d is not in batch %d", n, p.Index)
	}
	return &p.Batch.Blocks[n-first], nil
}

// BuildProof assembles the fraud proof against the posted output of L2
// block n (protocol.BuildFraudProof) from the posted batches and the own
// chain: the parent is the own block n−1 (which agrees with its posted
// output: n is the first wrong one), the witness comes from re-executing
// the posted block on the own state of n−1. parentBatch is nil when n is 1.
func BuildProof(chain *l2chain.Chain, n block.L2Number, batch, parentBatch *Posted) (*protocol.FraudProof, error) {
	posted, err := batch.postedBlock(n)
	if err != nil {
		return nil, err
	}
	parent, err := chain.BlockByNumber(n - 1)
	if err != nil {
		return nil, fmt.Errorf("own parent %d: %w", n-1, err)
	}
	witness, err := chain.Witness(n, posted.Transactions)
	if err != nil {
		return nil, err
	}
	in := protocol.ProofInputs{Number: n, Batch: batch.Batch, ParentHeader: parent.Header, ParentExtras: parent.L2, Witness: witness,
		Origins: func(x block.L1Number) (common.Hash, uint64, bool) {
			h, ok := batch.OriginHash(x)
			return h, 0, ok
		}}
	if parentBatch != nil {
		in.ParentBatch = parentBatch.Batch
	}
	return protocol.BuildFraudProof(in)
}
