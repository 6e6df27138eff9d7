package store

import (
	"encoding/binary"
	"fmt"
)

// TxLocation is where a transaction sits in the canonical chain.
type TxLocation struct {
	Height uint64 // block height
	Index  uint32 // position in the block's transaction list
}

// EncodeUint64 returns v as 8 bytes big-endian.
func EncodeUint64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// DecodeUint64 decodes 8 bytes big-endian, or fails with ErrCorrupt.
func DecodeUint64(b []byte) (uint64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("uint64 of %d bytes: %w", len(b), ErrCorrupt)
	}
	return binary.BigEndian.Uint64(b), nil
}

// readUint64 reads an 8-byte big-endian value stored under key.
func readUint64(r Reader, key []byte, what string) (uint64, error) {
	b, err := r.Get(key)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", what, err)
	}
	v, err := DecodeUint64(b)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", what, err)
	}
	return v, nil
}

// writeUint64 stores v under key as 8 bytes big-endian.
func writeUint64(w Writer, key []byte, v uint64, what string) error {
	if err := w.Put(key, EncodeUint64(v)); err != nil {
		return fmt.Errorf("write %s %d: %w", what, v, err)
	}
	return nil
}

// ReadSchemaVersion returns the schema version recorded in the database.
// A fresh database has none: the error wraps ErrNotFound.
func ReadSchemaVersion(r Reader) (uint64, error) {
	return readUint64(r, SchemaVersionKey(), "schema version")
}

// WriteSchemaVersion records the schema version.
func WriteSchemaVersion(w Writer, v uint64) error {
	return writeUint64(w, SchemaVersionKey(), v, "schema version")
}

// ReadHeadHeight returns the height of the last committed block; the error
// wraps ErrNotFound before the first block (genesis) is written.
func ReadHeadHeight(r Reader) (uint64, error) {
	return readUint64(r, HeadHeightKey(), "head height")
}

// WriteHeadHeight records the height of the last committed block. Write it
// in the same batch as the block it points to.
func WriteHeadHeight(w Writer, height uint64) error {
	return writeUint64(w, HeadHeightKey(), height, "head height")
}

// ReadGenesisHash returns the genesis block hash.
func ReadGenesisHash(r Reader) ([32]byte, error) {
	var h [32]byte
	b, err := r.Get(GenesisHashKey())
	if err != nil {
		return h, fmt.Errorf("read genesis hash: %w", err)
	}
	if len(b) != len(h) {
		return h, fmt.Errorf("read genesis hash: %d bytes: %w", len(b), ErrCorrupt)
	}
	copy(h[:], b)
	return h, nil
}

// WriteGenesisHash records the genesis block hash.
func WriteGenesisHash(w Writer, hash [32]byte) error {
	if err := w.Put(GenesisHashKey(), hash[:]); err != nil {
		return fmt.Errorf("write genesis hash: %w", err)
	}
	return nil
}

// ReadHeightByHash returns the height of the block with the given hash.
func ReadHeightByHash(r Reader, hash [32]byte) (uint64, error) {
	return readUint64(r, HeightByHashKey(hash), fmt.Sprintf("height of block %x", hash))
}

// WriteHeightByHash records the height of the block with the given hash.
func WriteHeightByHash(w Writer, hash [32]byte, height uint64) error {
	return writeUint64(w, HeightByHashKey(hash), height, fmt.Sprintf("height of block %x", hash))
}

// EncodeTxLocation returns height (8 bytes BE) then index (4 bytes BE).
func EncodeTxLocation(loc TxLocation) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 12), loc.Height)
	return binary.BigEndian.AppendUint32(b, loc.Index)
}

// DecodeTxLocation is the inverse of EncodeTxLocation; it fails with
// ErrCorrupt unless b is exactly 12 bytes.
func DecodeTxLocation(b []byte) (TxLocation, error) {
	if len(b) != 12 {
		return TxLocation{}, fmt.Errorf("tx location of %d bytes: %w", len(b), ErrCorrupt)
	}
	return TxLocation{Height: binary.BigEndian.Uint64(b), Index: binary.BigEndian.Uint32(b[8:])}, nil
}

// ReadTxLookup returns where the transaction with the given hash is.
func ReadTxLookup(r Reader, txHash [32]byte) (TxLocation, error) {
	b, err := r.Get(TxLookupKey(txHash))
	if err != nil {
		return TxLocation{}, fmt.Errorf("read tx lookup %x: %w", txHash, err)
	}
	loc, err := DecodeTxLocation(b)
	if err != nil {
		return TxLocation{}, fmt.Errorf("read tx lookup %x: %w", txHash, err)
	}
	return loc, nil
}

// WriteTxLookup records where the transaction with the given hash is.
func WriteTxLookup(w Writer, txHash [32]byte, loc TxLocation) error {
	if err := w.Put(TxLookupKey(txHash), EncodeTxLocation(loc)); err != nil {
		return fmt.Errorf("write tx lookup %x: %w", txHash, err)
	}
	return nil
}
