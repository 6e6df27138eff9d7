package protocol

import (
	"errors"
	"fmt"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// ErrProofInputs means a fraud proof cannot be built from the inputs
// given: a batch that does not hold the block, an origin the lookup does
// not know, a parent header that is not the block's parent or does not
// match its posted output.
var ErrProofInputs = errors.New("cannot build the fraud proof")

// ErrParentMismatch means the posted output of the disputed block's
// parent is not the parent header given: the parent's output is wrong
// too, so the first wrong block is at or before the parent — challenge
// that one. It is wrapped together with ErrProofInputs.
var ErrParentMismatch = errors.New("the posted parent differs from the parent header: challenge the parent")

// ProofInputs is what BuildFraudProof needs: the posted batches (as
// posted: every block, even if a challenge truncated the batch since, for
// the Merkle root is over all of them), the L1 origins' hashes, the
// parent as the challenger's own chain has it, and the witness.
type ProofInputs struct {
	// Number is the disputed L2 block (at least 1).
	Number block.L2Number
	// Batch is the batch that posted Number.
	Batch *Batch
	// ParentBatch is the batch that posted Number−1 (Batch again if the
	// same); ignored for block 1, whose parent is the L2 genesis.
	ParentBatch *Batch
	// Origins looks up the hashes of the L1 origins the two batches'
	// blocks name (the times are not used).
	Origins OriginLookup
	// ParentHeader and ParentExtras are the block Number−1 (the L2
	// genesis for block 1) as the challenger's own chain has it: its
	// posted output must be this header's (else ErrParentMismatch).
	ParentHeader *types.Header
	ParentExtras *block.L2Extras
	// Witness is the encoded execution.Witness of re-executing the posted
	// block Number on the state of ParentHeader.Root, collected with
	// execution.Options{CollectWitness: true}.
	Witness []byte
}

// BuildFraudProof assembles the fraud proof against the posted output of
// block in.Number: the block as posted with its Merkle path in its batch,
// the parent's header and extras, and (above block 1) the parent's
// posted inputs hash, withdrawals root and Merkle path in its batch. It is
// pure; the caller encodes the proof (FraudProof.Encode) and sends it as
// challenge(Number, proof). It fails with ErrProofInputs when the inputs
// cannot make a valid proof.
func BuildFraudProof(in ProofInputs) (*FraudProof, error) {
	n := in.Number
	if n == 0 {
		return nil, fmt.Errorf("%w: the L2 genesis is not posted", ErrProofInputs)
	}
	if in.Origins == nil || in.ParentHeader == nil || in.ParentExtras == nil {
		return nil, fmt.Errorf("%w: origins, parent header and parent extras are required", ErrProofInputs)
	}
	posted, path, err := openLeaf(in.Batch, n, in.Origins)
	if err != nil {
		return nil, err
	}
	p := &FraudProof{Number: uint64(n), Time: posted.Time, Origin: uint64(posted.Origin), StateRoot: posted.StateRoot,
		BlockHash: posted.BlockHash, Withdrawals: posted.Withdrawals, Path: path, Witness: in.Witness}
	for i, tx := range posted.Transactions { // none nil: openLeaf checked
		raw, err := tx.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("%w: L2 block %d: transaction %d: %w", ErrProofInputs, n, i, err)
		}
		p.Transactions = append(p.Transactions, raw)
	}
	if err := p.setParent(in); err != nil {
		return nil, err
	}
	return p, nil
}

// setParent fills the parent fields of p from in.
func (p *FraudProof) setParent(in ProofInputs) error {
	n, h, x := in.Number, in.ParentHeader, in.ParentExtras
	if h.Number == nil || !h.Number.IsUint64() || h.Number.Uint64() != uint64(n-1) {
		return fmt.Errorf("%w: the parent header has number %v, want %d", ErrProofInputs, h.Number, n-1)
	}
	if err := x.Validate(); err != nil {
		return fmt.Errorf("%w: parent extras: %w", ErrProofInputs, err)
	}
	if x.Hash() != h.MixDigest {
		return fmt.Errorf("%w: the parent header does not commit to the parent extras", ErrProofInputs)
	}
	var err error
	if p.ParentHeader, err = rlp.EncodeToBytes(h); err != nil {
		return fmt.Errorf("%w: parent header: %w", ErrProofInputs, err)
	}
	if p.ParentExtras, err = rlp.EncodeToBytes(x); err != nil {
		return fmt.Errorf("%w: parent extras: %w", ErrProofInputs, err)
	}
	if n == 1 {
		return nil // the parent is the L2 genesis: its hash is all the verifier checks
	}
	posted, path, err := openLeaf(in.ParentBatch, n-1, in.Origins)
	if err != nil {
		return err
	}
	if posted.BlockHash != h.Hash() || posted.StateRoot != h.Root {
		return fmt.Errorf("%w: %w: L2 block %d was posted with hash %s and state root %s, the header has %s and %s",
			ErrProofInputs, ErrParentMismatch, n-1, posted.BlockHash, posted.StateRoot, h.Hash(), h.Root)
	}
	hash, _, ok := in.Origins(posted.Origin)
	if !ok {
		return fmt.Errorf("%w: origin %d of L2 block %d is unknown", ErrProofInputs, posted.Origin, n-1)
	}
	p.ParentInputsHash = posted.InputsHash(hash)
	if p.ParentWithdrawalsRoot, err = WithdrawalsRoot(posted.Withdrawals); err != nil {
		return fmt.Errorf("%w: L2 block %d: %w", ErrProofInputs, n-1, err)
	}
	p.ParentPath = path
	return nil
}

// openLeaf returns block n of batch b and its Merkle path among the
// batch's leaves.
func openLeaf(b *Batch, n block.L2Number, origins OriginLookup) (*Block, [][32]byte, error) {
	if b == nil || len(b.Blocks) == 0 {
		return nil, nil, fmt.Errorf("%w: no batch given for L2 block %d", ErrProofInputs, n)
	}
	first := b.Blocks[0].Number
	if n < first || uint64(n-first) >= uint64(len(b.Blocks)) {
		return nil, nil, fmt.Errorf("%w: L2 block %d is not in the batch of blocks %d to %d", ErrProofInputs, n, first,
			first+block.L2Number(len(b.Blocks))-1)
	}
	i := uint64(n - first)
	if b.Blocks[i].Number != n {
		return nil, nil, fmt.Errorf("%w: the batch's block #%d is numbered %d, want %d", ErrProofInputs, i, b.Blocks[i].Number, n)
	}
	for j := range b.Blocks {
		for k, tx := range b.Blocks[j].Transactions {
			if tx == nil {
				return nil, nil, fmt.Errorf("%w: L2 block %d: %w: transaction %d", ErrProofInputs, b.Blocks[j].Number, ErrNilTransaction, k)
			}
		}
	}
	leaves, err := b.Leaves(origins)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrProofInputs, err)
	}
	path, err := MerkleProof(leaves, i)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrProofInputs, err)
	}
	return &b.Blocks[i], path, nil
}
