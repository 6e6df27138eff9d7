package protocol

import (
	"fmt"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Block is what a batch claims about one L2 block: its inputs (number,
// time, origin, transactions) and its outcome (state root, block hash and
// the withdrawals it initiated), from which the output root is computed.
type Block struct {
	Number       block.L2Number
	Time         uint64
	Origin       block.L1Number
	Transactions types.Transactions
	StateRoot    common.Hash
	BlockHash    common.Hash
	Withdrawals  []Withdrawal
}

// Batch is a run of consecutive L2 blocks posted together. ParentHash is
// the hash of the L2 block before Blocks[0]; each later block's parent is
// the BlockHash its predecessor claims.
type Batch struct {
	ParentHash common.Hash
	Blocks     []Block
}

// OutputRoot returns the block's output root, over its claimed state
// root, the root of its withdrawals and its claimed block hash.
func (b *Block) OutputRoot() (common.Hash, error) {
	wroot, err := WithdrawalsRoot(b.Withdrawals)
	if err != nil {
		return common.Hash{}, fmt.Errorf("L2 block %d: %w", b.Number, err)
	}
	return OutputRoot(b.StateRoot, wroot, b.BlockHash), nil
}

// InputsHash returns the block's inputs hash, its origin being the L1
// block originHash (the block's Origin number and that hash).
func (b *Block) InputsHash(originHash common.Hash) common.Hash {
	return InputsHash(b.Number, b.Time, L1ID{Number: b.Origin, Hash: originHash}, b.Transactions)
}

// Leaf returns the block's Merkle leaf: Leaf(InputsHash, OutputRoot).
func (b *Block) Leaf(originHash common.Hash) (common.Hash, error) {
	out, err := b.OutputRoot()
	if err != nil {
		return common.Hash{}, err
	}
	return Leaf(b.InputsHash(originHash), out), nil
}

// Leaves returns the Merkle leaves of the batch's blocks, looking up each
// origin's hash with origin (the same lookup CheckBatch used). It fails
// if a lookup fails or a withdrawal is malformed.
func (b *Batch) Leaves(origin OriginLookup) ([]common.Hash, error) {
	leaves := make([]common.Hash, len(b.Blocks))
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		hash, _, ok := origin(blk.Origin)
		if !ok {
			return nil, fmt.Errorf("%w: L2 block %d names L1 block %d", ErrOriginNotKept, blk.Number, blk.Origin)
		}
		leaf, err := blk.Leaf(hash)
		if err != nil {
			return nil, err
		}
		leaves[i] = leaf
	}
	return leaves, nil
}

// Root returns the batch's Merkle root, MerkleRoot(Leaves(origin)).
func (b *Batch) Root(origin OriginLookup) (common.Hash, error) {
	leaves, err := b.Leaves(origin)
	if err != nil {
		return common.Hash{}, err
	}
	return MerkleRoot(leaves), nil
}
