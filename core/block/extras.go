package block

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// SignatureSize is the length of a secp256k1 signature in [R || S || V] form.
const SignatureSize = 65

// MaxCommitSignatures bounds the number of signatures in one commit
// certificate, and so the size of a decoded one.
const MaxCommitSignatures = 1024

// Errors returned by Commit.ValidateBasic.
var (
	ErrCommitEmpty         = errors.New("commit has no signatures")
	ErrCommitTooLarge      = errors.New("commit has too many signatures")
	ErrCommitSignatureSize = errors.New("commit signature has the wrong length")
	ErrCommitUnsorted      = errors.New("commit signatures are not sorted by validator address, or repeat one")
)

// Extras is the consensus data of a block that an Ethereum header has no
// field for. The header's MixDigest is Extras.Hash().
type Extras struct {
	// ValidatorsHash is the hash of the validator set that signs this block.
	ValidatorsHash common.Hash
	// NextValidatorsHash is the hash of the validator set that signs the
	// next block.
	NextValidatorsHash common.Hash
	// LastCommit is the commit certificate of the parent block. It is nil
	// for the genesis block and for block 1, whose parent is the genesis.
	LastCommit *Commit `rlp:"nil"`
}

// Hash returns keccak256(rlp(e)), the value a header carries in MixDigest.
func (e *Extras) Hash() common.Hash {
	enc, err := rlp.EncodeToBytes(e)
	if err != nil {
		// Extras holds only fixed-size hashes, integers and byte slices:
		// encoding cannot fail.
		panic(fmt.Sprintf("block: encode extras: %v", err))
	}
	return crypto.Keccak256Hash(enc)
}

// Commit is a commit certificate: the precommits of more than 2/3 of the
// stake for one block at one height and round.
type Commit struct {
	// Height is the height of the committed block.
	Height uint64
	// Round is the consensus round in which the block was decided.
	Round uint32
	// BlockHash is the hash of the committed block.
	BlockHash common.Hash
	// Signatures are the precommit signatures, sorted by validator address
	// with no address repeated.
	Signatures []CommitSig
}

// CommitSig is one validator's precommit signature in a Commit.
type CommitSig struct {
	// Validator is the address of the signing validator.
	Validator common.Address
	// Signature is the 65-byte secp256k1 signature of the precommit.
	Signature []byte
}

// ValidateBasic checks the commit's form without a validator set: at least
// one and at most MaxCommitSignatures signatures, each 65 bytes, sorted by
// validator address without repeats.
func (c *Commit) ValidateBasic() error {
	if len(c.Signatures) == 0 {
		return ErrCommitEmpty
	}
	if len(c.Signatures) > MaxCommitSignatures {
		return fmt.Errorf("%w: %d > %d", ErrCommitTooLarge, len(c.Signatures), MaxCommitSignatures)
	}
	for i, s := range c.Signatures {
		if len(s.Signature) != SignatureSize {
			return fmt.Errorf("%w: signature %d of %s is %d bytes, want %d",
				ErrCommitSignatureSize, i, s.Validator, len(s.Signature), SignatureSize)
		}
		if i > 0 && bytes.Compare(c.Signatures[i-1].Validator[:], s.Validator[:]) >= 0 {
			return fmt.Errorf("%w: %s after %s", ErrCommitUnsorted, s.Validator, c.Signatures[i-1].Validator)
		}
	}
	return nil
}
