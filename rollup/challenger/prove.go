package challenger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rlp"

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

// leavesAndIndex returns the batch's Merkle leaves and n's position.
func (p *Posted) leavesAndIndex(n block.L2Number) ([]common.Hash, uint64, *protocol.Block, error) {
	if len(p.Batch.Blocks) == 0 {
		return nil, 0, nil, fmt.Errorf("batch %d has no blocks", p.Index)
	}
	first := p.Batch.Blocks[0].Number
	if n < first || uint64(n-first) >= uint64(len(p.Batch.Blocks)) {
		return nil, 0, nil, fmt.Errorf("L2 block %d is not in batch %d (%d-%d)", n, p.Index, first, first+block.L2Number(len(p.Batch.Blocks))-1)
	}
	leaves, err := p.Batch.Leaves(func(x block.L1Number) (common.Hash, uint64, bool) {
		h, ok := p.OriginHash(x)
		return h, 0, ok
	})
	if err != nil {
		return nil, 0, nil, fmt.Errorf("leaves of batch %d: %w", p.Index, err)
	}
	i := uint64(n - first)
	return leaves, i, &p.Batch.Blocks[i], nil
}

// BuildProof assembles the fraud proof against the posted output of L2
// block n: the block as posted in its batch with its Merkle path, the
// parent (the own block n−1, which agrees with its posted output: n is the
// first wrong one) with its posted inputs hash, withdrawals root and path,
// and the witness of re-executing the posted block on the own state of
// n−1. parentBatch is nil when n is 1 (the parent is the L2 genesis).
func BuildProof(chain *l2chain.Chain, n block.L2Number, batch, parentBatch *Posted) (*protocol.FraudProof, error) {
	leaves, idx, posted, err := batch.leavesAndIndex(n)
	if err != nil {
		return nil, err
	}
	path, err := protocol.MerkleProof(leaves, idx)
	if err != nil {
		return nil, err
	}
	p := &protocol.FraudProof{Number: uint64(n), Time: posted.Time, Origin: uint64(posted.Origin), StateRoot: posted.StateRoot,
		BlockHash: posted.BlockHash, Withdrawals: posted.Withdrawals, Path: path}
	for _, tx := range posted.Transactions {
		raw, err := tx.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode transaction %s: %w", tx.Hash(), err)
		}
		p.Transactions = append(p.Transactions, raw)
	}
	parent, err := chain.BlockByNumber(n - 1)
	if err != nil {
		return nil, fmt.Errorf("own parent %d: %w", n-1, err)
	}
	if p.ParentHeader, err = rlp.EncodeToBytes(parent.Header); err != nil {
		return nil, fmt.Errorf("encode parent header: %w", err)
	}
	if p.ParentExtras, err = rlp.EncodeToBytes(parent.L2); err != nil {
		return nil, fmt.Errorf("encode parent extras: %w", err)
	}
	if n > 1 {
		if parentBatch == nil {
			return nil, fmt.Errorf("the batch of parent %d is needed", n-1)
		}
		pLeaves, pIdx, pPosted, err := parentBatch.leavesAndIndex(n - 1)
		if err != nil {
			return nil, err
		}
		if pPosted.BlockHash != parent.Hash() || pPosted.StateRoot != parent.Header.Root {
			return nil, fmt.Errorf("the posted parent %d differs from the own one: challenge it first", n-1)
		}
		originHash, ok := parentBatch.OriginHash(pPosted.Origin)
		if !ok {
			return nil, fmt.Errorf("origin %d of parent %d unknown", pPosted.Origin, n-1)
		}
		p.ParentInputsHash = pPosted.InputsHash(originHash)
		if p.ParentWithdrawalsRoot, err = protocol.WithdrawalsRoot(pPosted.Withdrawals); err != nil {
			return nil, err
		}
		if p.ParentPath, err = protocol.MerkleProof(pLeaves, pIdx); err != nil {
			return nil, err
		}
	}
	if p.Witness, err = chain.Witness(n, posted.Transactions); err != nil {
		return nil, err
	}
	return p, nil
}
