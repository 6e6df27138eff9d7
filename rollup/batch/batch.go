package batch

import (
	"errors"
	"fmt"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// Version1 is the first byte of every batch in the format this package
// writes (doc.go describes it byte by byte).
const Version1 byte = 1

// MaxBatchBytes is the largest batch the L1 rollup contract accepts: 4 MiB,
// version byte included (DESIGN section 6).
const MaxBatchBytes = 4 << 20

// Errors of Decode (and, where the batch itself is at fault, of Encode).
// They arrive wrapped with detail ("batch: too many transactions: block 3
// has 1200 > 1000"); test for them with errors.Is. Each message says what is
// wrong so that the rollup contract can revert with it.
var (
	// ErrEmpty means there is no data, not even a version byte.
	ErrEmpty = errors.New("batch: empty data, no version byte")
	// ErrUnknownVersion means the first byte is not a version this package
	// reads.
	ErrUnknownVersion = errors.New("batch: unknown version")
	// ErrTooLarge means the data is above Limits.MaxBatchBytes.
	ErrTooLarge = errors.New("batch: data too large")
	// ErrBadFrame means the bytes after the version are not one valid zstd
	// frame (bad magic, reserved bits, a dictionary, corrupt blocks, a
	// checksum mismatch).
	ErrBadFrame = errors.New("batch: bad zstd frame")
	// ErrTruncated means the data ends inside the zstd frame, or the
	// decompressed payload ends before the batch does.
	ErrTruncated = errors.New("batch: truncated")
	// ErrTrailingData means bytes follow the zstd frame, or the payload
	// goes on after the batch ends.
	ErrTrailingData = errors.New("batch: trailing data")
	// ErrDecompressedTooLarge means the payload is, or claims to be,
	// above Limits.MaxDecompressedBytes. It is refused before that much is
	// allocated.
	ErrDecompressedTooLarge = errors.New("batch: decompressed payload too large")
	// ErrMalformed means the payload, or a batch given to Encode, is not
	// well formed: a non-canonical or overflowing number, an unknown
	// transaction kind, a missing field, no blocks.
	ErrMalformed = errors.New("batch: malformed")
	// ErrTooManyBlocks means the batch has more than Limits.MaxBlocks
	// blocks.
	ErrTooManyBlocks = errors.New("batch: too many blocks")
	// ErrTooManyTxs means a block has more than Limits.MaxTxsPerBlock
	// transactions.
	ErrTooManyTxs = errors.New("batch: too many transactions")
	// ErrTxTooLarge means a transaction's encoding is above
	// Limits.MaxTxSize.
	ErrTxTooLarge = errors.New("batch: transaction too large")
	// ErrTooManyWithdrawals means a block has more than
	// Limits.MaxWithdrawalsPerBlock withdrawals.
	ErrTooManyWithdrawals = errors.New("batch: too many withdrawals")
	// ErrNotConsecutive means the block numbers are not consecutive.
	ErrNotConsecutive = errors.New("batch: block numbers not consecutive")
	// ErrTimeDecreasing means a block's time is before its predecessor's.
	ErrTimeDecreasing = errors.New("batch: block time decreases")
	// ErrOriginJump means a block's L1 origin is neither its
	// predecessor's nor the next L1 block.
	ErrOriginJump = errors.New("batch: L1 origin decreases or skips")
	// ErrBadTx means a transaction cannot be rebuilt from the payload (a
	// value above 256 bits, a chain id the transactions cannot carry).
	ErrBadTx = errors.New("batch: invalid transaction")
	// ErrUnsupportedTx means Encode was given a transaction the format
	// cannot represent exactly: contract creation, a non-empty access
	// list, blob or set-code transactions, unprotected legacy
	// transactions, chain ids that differ within the batch, fields above
	// 256 bits or a non-canonical signature.
	ErrUnsupportedTx = errors.New("batch: transaction not representable")
	// ErrInvalidLimits means a Limits field is not positive.
	ErrInvalidLimits = errors.New("batch: invalid limits")
)

// Limits bound what Decode accepts and what it allocates. Every field must
// be positive. The rollup contract and derivation must use the same limits
// (from the rollup config), or they would disagree on which batches exist.
type Limits struct {
	// MaxBatchBytes bounds the posted data, version byte included.
	MaxBatchBytes int
	// MaxDecompressedBytes bounds the decompressed payload; a zstd frame
	// that would exceed it is refused before the memory is allocated.
	MaxDecompressedBytes int
	// MaxBlocks bounds the blocks of one batch.
	MaxBlocks int
	// MaxTxsPerBlock bounds the transactions of one block.
	MaxTxsPerBlock int
	// MaxTxSize bounds the canonical encoding of one transaction
	// (types.Transaction.Size), as the transaction pool does.
	MaxTxSize int
	// MaxWithdrawalsPerBlock bounds the withdrawals of one block.
	MaxWithdrawalsPerBlock int
}

// DefaultLimits returns the devnet limits: 4 MiB batches, 16 MiB
// decompressed, 10,000 blocks per batch, 1,000 transactions and 1,000
// withdrawals per block, 128 KiB per transaction. Callers that have a
// rollup config set MaxTxsPerBlock from it.
func DefaultLimits() Limits {
	return Limits{
		MaxBatchBytes:          MaxBatchBytes,
		MaxDecompressedBytes:   16 << 20,
		MaxBlocks:              10_000,
		MaxTxsPerBlock:         1_000,
		MaxTxSize:              128 << 10,
		MaxWithdrawalsPerBlock: 1_000,
	}
}

// Validate reports ErrInvalidLimits if a field is not positive.
func (l Limits) Validate() error {
	switch {
	case l.MaxBatchBytes <= 0:
		return fmt.Errorf("%w: MaxBatchBytes %d", ErrInvalidLimits, l.MaxBatchBytes)
	case l.MaxDecompressedBytes <= 0:
		return fmt.Errorf("%w: MaxDecompressedBytes %d", ErrInvalidLimits, l.MaxDecompressedBytes)
	case l.MaxBlocks <= 0:
		return fmt.Errorf("%w: MaxBlocks %d", ErrInvalidLimits, l.MaxBlocks)
	case l.MaxTxsPerBlock <= 0:
		return fmt.Errorf("%w: MaxTxsPerBlock %d", ErrInvalidLimits, l.MaxTxsPerBlock)
	case l.MaxTxSize <= 0:
		return fmt.Errorf("%w: MaxTxSize %d", ErrInvalidLimits, l.MaxTxSize)
	case l.MaxWithdrawalsPerBlock <= 0:
		return fmt.Errorf("%w: MaxWithdrawalsPerBlock %d", ErrInvalidLimits, l.MaxWithdrawalsPerBlock)
	}
	return nil
}

// Check reports whether b keeps the limits on counts and transaction sizes
// (the ones Decode applies to the content rather than to the bytes): the
// batcher calls it before Encode to learn whether a batch would be
// refused. It does not check the encoded or decompressed sizes; Decode the
// encoding to check those.
func (l Limits) Check(b *Batch) error {
	if err := l.Validate(); err != nil {
		return err
	}
	if b == nil {
		return fmt.Errorf("%w: nil batch", ErrMalformed)
	}
	if len(b.Blocks) > l.MaxBlocks {
		return fmt.Errorf("%w: %d > %d", ErrTooManyBlocks, len(b.Blocks), l.MaxBlocks)
	}
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		if len(blk.Transactions) > l.MaxTxsPerBlock {
			return fmt.Errorf("%w: block %d has %d > %d", ErrTooManyTxs, blk.Number, len(blk.Transactions), l.MaxTxsPerBlock)
		}
		if len(blk.Withdrawals) > l.MaxWithdrawalsPerBlock {
			return fmt.Errorf("%w: block %d has %d > %d", ErrTooManyWithdrawals, blk.Number, len(blk.Withdrawals), l.MaxWithdrawalsPerBlock)
		}
		for j, tx := range blk.Transactions {
			if tx == nil {
				return fmt.Errorf("%w: block %d transaction %d is nil", ErrMalformed, blk.Number, j)
			}
			if tx.Size() > uint64(l.MaxTxSize) {
				return fmt.Errorf("%w: block %d transaction %d is %d bytes > %d", ErrTxTooLarge, blk.Number, j, tx.Size(), l.MaxTxSize)
			}
		}
	}
	return nil
}

// checkSequence reports whether block i may follow block i-1: the next
// number, a time not before, an origin the same or the next. Encode and
// Decode share it.
func checkSequence(prev, cur *Block) error {
	if prev.Number == ^block.L2Number(0) || cur.Number != prev.Number+1 {
		return fmt.Errorf("%w: block %d follows block %d", ErrNotConsecutive, cur.Number, prev.Number)
	}
	if cur.Time < prev.Time {
		return fmt.Errorf("%w: block %d has time %d < %d", ErrTimeDecreasing, cur.Number, cur.Time, prev.Time)
	}
	if cur.Origin != prev.Origin && (prev.Origin == ^block.L1Number(0) || cur.Origin != prev.Origin+1) {
		return fmt.Errorf("%w: block %d has origin %d after %d", ErrOriginJump, cur.Number, cur.Origin, prev.Origin)
	}
	return nil
}

// The batch's data model is the protocol's (rollup/protocol): a batch
// is a run of consecutive L2 blocks, each with its inputs (number, time,
// origin, transactions) and its claimed outcome (state root, block hash,
// withdrawals). This package only encodes and decodes it.
type (
	// Withdrawal is a withdrawal an L2 block initiated.
	Withdrawal = protocol.Withdrawal
	// Block is what a batch carries of one L2 block.
	Block = protocol.Block
	// Batch is a run of consecutive L2 blocks posted together.
	Batch = protocol.Batch
)
