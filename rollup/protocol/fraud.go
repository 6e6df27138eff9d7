package protocol

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/bilayer/bilayer/core/block"
)

// FraudProofVersion is the first byte of every encoded FraudProof.
const FraudProofVersion byte = 1

// MaxFraudProofSize bounds an encoded fraud proof (the challenge
// transaction's calldata): the witness of a capped block fits well inside.
const MaxFraudProofSize = 4 << 20

// ErrBadFraudProof means a fraud proof cannot be decoded: an invalid
// challenge, never a verdict.
var ErrBadFraudProof = errors.New("malformed fraud proof")

// FraudProof is everything one L1 transaction needs to show that the
// posted output of L2 block Number is wrong (DESIGN §7): the block as
// posted with its Merkle path in its batch, the parent as posted (header,
// L2 extras, inputs hash, withdrawals root and Merkle path), and the trie
// nodes that re-executing the block reads (the witness).
//
// The verifier (the rollup contract) rebuilds the block's leaf from the
// posted claims and the origin it keeps in its history, checks both paths
// against the batches' roots, checks the parent header against the
// parent's posted output, reads the origin's operations from the bridge,
// re-executes statelessly with core/execution and compares the outputs.
type FraudProof struct {
	// Number is the disputed L2 block.
	Number uint64

	// The disputed block as posted (its batch data).
	Time         uint64
	Origin       uint64
	Transactions [][]byte // canonical encodings
	StateRoot    common.Hash
	BlockHash    common.Hash
	Withdrawals  []Withdrawal
	// Path is the block's Merkle path in its batch.
	Path [][32]byte

	// The parent as posted. For block 1 the parent is the L2 genesis:
	// ParentHeader must hash to the genesis hash the contract keeps, and
	// the other parent fields are ignored.
	ParentHeader          []byte // RLP of the go-ethereum header
	ParentExtras          []byte // RLP of its block.L2Extras (MixDigest commits to it)
	ParentInputsHash      common.Hash
	ParentWithdrawalsRoot common.Hash
	ParentPath            [][32]byte

	// Witness is the encoded execution.Witness of the block's execution
	// on the parent's state.
	Witness []byte
}

// Encode returns version ‖ rlp(p).
func (p *FraudProof) Encode() ([]byte, error) {
	enc, err := rlp.EncodeToBytes(p)
	if err != nil {
		return nil, fmt.Errorf("encode fraud proof: %w", err)
	}
	return append([]byte{FraudProofVersion}, enc...), nil
}

// DecodeFraudProof decodes an encoded proof, refusing anything above
// MaxFraudProofSize, an unknown version or trailing bytes.
func DecodeFraudProof(data []byte) (*FraudProof, error) {
	switch {
	case len(data) == 0:
		return nil, fmt.Errorf("%w: empty", ErrBadFraudProof)
	case len(data) > MaxFraudProofSize:
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadFraudProof, len(data), MaxFraudProofSize)
	case data[0] != FraudProofVersion:
		return nil, fmt.Errorf("%w: version %d, want %d", ErrBadFraudProof, data[0], FraudProofVersion)
	}
	var p FraudProof
	if err := rlp.DecodeBytes(data[1:], &p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadFraudProof, err)
	}
	return &p, nil
}

// DecodeTransactions decodes the disputed block's transactions.
func (p *FraudProof) DecodeTransactions() (types.Transactions, error) {
	txs := make(types.Transactions, len(p.Transactions))
	for i, raw := range p.Transactions {
		tx := new(types.Transaction)
		if err := tx.UnmarshalBinary(raw); err != nil {
			return nil, fmt.Errorf("%w: transaction %d: %v", ErrBadFraudProof, i, err)
		}
		txs[i] = tx
	}
	return txs, nil
}

// DecodeParent decodes the parent header and its L2 extras and checks
// that the header commits to the extras.
func (p *FraudProof) DecodeParent() (*types.Header, *block.L2Extras, error) {
	var h types.Header
	if err := rlp.DecodeBytes(p.ParentHeader, &h); err != nil {
		return nil, nil, fmt.Errorf("%w: parent header: %v", ErrBadFraudProof, err)
	}
	var x block.L2Extras
	if err := rlp.DecodeBytes(p.ParentExtras, &x); err != nil {
		return nil, nil, fmt.Errorf("%w: parent extras: %v", ErrBadFraudProof, err)
	}
	if err := x.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: parent extras: %v", ErrBadFraudProof, err)
	}
	if x.Hash() != h.MixDigest {
		return nil, nil, fmt.Errorf("%w: the parent header does not commit to the parent extras", ErrBadFraudProof)
	}
	return &h, &x, nil
}
