package execution

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/stateless"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"
)

// Witness errors.
var (
	// ErrWitnessTooLarge means an encoded witness exceeds the decode limit.
	ErrWitnessTooLarge = errors.New("witness too large")
	// ErrBadWitness means a witness does not decode.
	ErrBadWitness = errors.New("malformed witness")
)

// Witness is the set of trie nodes (account and storage tries together)
// and contract codes a block touched: enough to re-execute it without the
// database and get the same post-state root. Nodes are keyed by their hash
// when used, so a forged node can only be ignored, never trusted. State and
// Codes are sorted and free of duplicates.
type Witness struct {
	State [][]byte
	Codes [][]byte
}

func newWitness(w *stateless.Witness) *Witness {
	out := &Witness{State: make([][]byte, 0, len(w.State)), Codes: make([][]byte, 0, len(w.Codes))}
	for n := range w.State {
		out.State = append(out.State, []byte(n))
	}
	for c := range w.Codes {
		out.Codes = append(out.Codes, []byte(c))
	}
	slices.SortFunc(out.State, bytes.Compare)
	slices.SortFunc(out.Codes, bytes.Compare)
	return out
}

// Size is the total byte size of the nodes and codes.
func (w *Witness) Size() int {
	n := 0
	for _, b := range w.State {
		n += len(b)
	}
	for _, b := range w.Codes {
		n += len(b)
	}
	return n
}

// Encode returns the wire form of the witness: RLP of [[node...], [code...]].
func (w *Witness) Encode() ([]byte, error) {
	b, err := rlp.EncodeToBytes(w)
	if err != nil {
		return nil, fmt.Errorf("encode witness: %w", err)
	}
	return b, nil
}

// DecodeWitness parses the wire form, refusing input longer than maxSize
// bytes before decoding anything.
func DecodeWitness(data []byte, maxSize int) (*Witness, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrWitnessTooLarge, len(data), maxSize)
	}
	w := new(Witness)
	if err := rlp.DecodeBytes(data, w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadWitness, err)
	}
	return w, nil
}

// database writes the nodes (hash-keyed, as the hash trie scheme expects)
// and codes into a fresh in-memory database.
func (w *Witness) database() ethdb.Database {
	db := rawdb.NewMemoryDatabase()
	for _, n := range w.State {
		rawdb.WriteLegacyTrieNode(db, crypto.Keccak256Hash(n), n)
	}
	for _, c := range w.Codes {
		rawdb.WriteCode(db, crypto.Keccak256Hash(c), c)
	}
	return db
}
