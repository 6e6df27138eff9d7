package block

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
)

// MaxExtraSize is the largest header Extra field a block may carry, as in
// Ethereum.
const MaxExtraSize = 32

// Errors returned by CheckCommitments and Decode. Each is wrapped with the
// details of the block that failed.
var (
	ErrNoHeader          = errors.New("block has no header")
	ErrUncleHash         = errors.New("uncle hash is not the empty uncle hash")
	ErrDifficulty        = errors.New("difficulty is not zero")
	ErrNonce             = errors.New("nonce is not zero")
	ErrNoBaseFee         = errors.New("header has no base fee")
	ErrExtraTooLong      = errors.New("header extra data is too long")
	ErrForkFields        = errors.New("header sets a post-London field bilayer does not use")
	ErrTxRoot            = errors.New("transactions root does not match the transactions")
	ErrExtrasHash        = errors.New("mix digest does not match the consensus extras")
	ErrLastCommit        = errors.New("last commit does not certify the parent block")
	ErrBlockTooLarge     = errors.New("block is larger than the size limit")
	ErrUnexpectedCommit  = errors.New("block at height 0 or 1 carries a last commit")
	ErrMissingLastCommit = errors.New("block above height 1 has no last commit")
)

// Block is a bilayer block: an Ethereum header, the transactions, and the
// consensus extras the header commits to through MixDigest.
type Block struct {
	Header       *types.Header
	Transactions types.Transactions
	Extras       Extras
	// L2 is set on L2 blocks only: the L1 origin and operations the header
	// commits to through MixDigest (instead of Extras, which is then empty).
	// It is an optional trailing RLP field, so L1 block encodings are
	// unchanged.
	L2 *L2Extras `rlp:"optional"`
}

// Assemble completes header with the fields that depend only on the
// transactions and extras (TxHash, MixDigest) and the constants of a bilayer
// header (empty uncles, zero difficulty and nonce), and returns the block.
// The caller sets everything that comes from execution (Root, ReceiptHash,
// Bloom, GasUsed) before or after, but before hashing. Assemble copies the
// header.
func Assemble(header *types.Header, txs types.Transactions, extras Extras) *Block {
	h := types.CopyHeader(header)
	h.UncleHash = types.EmptyUncleHash
	h.Difficulty = new(big.Int)
	h.Nonce = types.BlockNonce{}
	h.TxHash = TxRoot(txs)
	h.MixDigest = extras.Hash()
	if h.Number == nil {
		h.Number = new(big.Int)
	}
	if h.BaseFee == nil {
		h.BaseFee = new(big.Int)
	}
	return &Block{Header: h, Transactions: txs, Extras: extras}
}

// TxRoot is the Ethereum transactions root of txs.
func TxRoot(txs types.Transactions) common.Hash {
	return types.DeriveSha(txs, trie.NewStackTrie(nil))
}

// ReceiptsRoot is the Ethereum receipts root of receipts.
func ReceiptsRoot(receipts types.Receipts) common.Hash {
	return types.DeriveSha(receipts, trie.NewStackTrie(nil))
}

// Hash returns the block hash: the Ethereum hash of the header.
func (b *Block) Hash() common.Hash { return b.Header.Hash() }

// Number returns the block height.
func (b *Block) Number() uint64 { return b.Header.Number.Uint64() }

// CheckCommitments checks that the block is internally consistent: the
// header has the constant fields of a bilayer header, its TxHash commits to
// the transactions, its MixDigest commits to the extras, and the last commit
// certifies the parent block at the parent height. It does not execute the
// block or verify signatures.
func (b *Block) CheckCommitments() error {
	h := b.Header
	if h == nil {
		return ErrNoHeader
	}
	if h.Number == nil || h.Difficulty == nil {
		return fmt.Errorf("%w: number and difficulty are required", ErrNoHeader)
	}
	n := h.Number.Uint64()
	if err := checkHeaderConstants(h); err != nil {
		return fmt.Errorf("block %d: %w", n, err)
	}
	if got := TxRoot(b.Transactions); got != h.TxHash {
		return fmt.Errorf("block %d: %w: header %s, transactions %s", n, ErrTxRoot, h.TxHash, got)
	}
	if b.L2 != nil {
		return b.checkL2()
	}
	if got := b.Extras.Hash(); got != h.MixDigest {
		return fmt.Errorf("block %d: %w: header %s, extras %s", n, ErrExtrasHash, h.MixDigest, got)
	}
	return b.checkLastCommit()
}

func checkHeaderConstants(h *types.Header) error {
	switch {
	case !h.Number.IsUint64():
		return fmt.Errorf("%w: number %s does not fit 64 bits", ErrNoHeader, h.Number)
	case h.UncleHash != types.EmptyUncleHash:
		return fmt.Errorf("%w: %s", ErrUncleHash, h.UncleHash)
	case h.Difficulty.Sign() != 0:
		return fmt.Errorf("%w: %s", ErrDifficulty, h.Difficulty)
	case h.Nonce != (types.BlockNonce{}):
		return fmt.Errorf("%w: %x", ErrNonce, h.Nonce)
	case h.BaseFee == nil:
		return ErrNoBaseFee
	case len(h.Extra) > MaxExtraSize:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrExtraTooLong, len(h.Extra), MaxExtraSize)
	case h.WithdrawalsHash != nil || h.BlobGasUsed != nil || h.ExcessBlobGas != nil ||
		h.ParentBeaconRoot != nil || h.RequestsHash != nil || h.BlockAccessListHash != nil || h.SlotNumber != nil:
		return ErrForkFields
	}
	return nil
}

func (b *Block) checkLastCommit() error {
	n := b.Header.Number.Uint64()
	c := b.Extras.LastCommit
	if n <= 1 {
		if c != nil {
			return fmt.Errorf("block %d: %w", n, ErrUnexpectedCommit)
		}
		return nil
	}
	if c == nil {
		return fmt.Errorf("block %d: %w", n, ErrMissingLastCommit)
	}
	if c.Height != n-1 || c.BlockHash != b.Header.ParentHash {
		return fmt.Errorf("block %d: %w: commit is for block %d %s, parent is %s",
			n, ErrLastCommit, c.Height, c.BlockHash, b.Header.ParentHash)
	}
	if err := c.ValidateBasic(); err != nil {
		return fmt.Errorf("block %d: last commit: %w", n, err)
	}
	return nil
}

// Encode returns the RLP encoding of the block: [header, transactions, extras].
func (b *Block) Encode() ([]byte, error) {
	enc, err := rlp.EncodeToBytes(b)
	if err != nil {
		return nil, fmt.Errorf("encode block: %w", err)
	}
	return enc, nil
}

// Decode decodes a block encoded by Encode, refusing inputs longer than
// maxSize bytes before reading them; trailing bytes are an error. It does
// not check commitments: call CheckCommitments.
func Decode(data []byte, maxSize int) (*Block, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBlockTooLarge, len(data), maxSize)
	}
	var b Block
	if err := rlp.DecodeBytes(data, &b); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	if b.Header == nil {
		return nil, fmt.Errorf("decode block: %w", ErrNoHeader)
	}
	return &b, nil
}

// checkL2 checks an L2 block's extras: well formed, committed by
// MixDigest, and no L1 consensus data beside them.
func (b *Block) checkL2() error {
	n := b.Header.Number.Uint64()
	if err := b.L2.Validate(); err != nil {
		return fmt.Errorf("L2 block %d: %w", n, err)
	}
	if got := b.L2.Hash(); got != b.Header.MixDigest {
		return fmt.Errorf("L2 block %d: %w: header %s, extras %s", n, ErrL2ExtrasHash, b.Header.MixDigest, got)
	}
	if b.Extras.LastCommit != nil || b.Extras.ValidatorsHash != (common.Hash{}) || b.Extras.NextValidatorsHash != (common.Hash{}) {
		return fmt.Errorf("L2 block %d: %w", n, ErrUnexpectedCommit)
	}
	return nil
}
