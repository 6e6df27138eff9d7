package store

import "errors"

// MaxKeyLen is the longest key a Store accepts. Keys in this project are
// short (a prefix byte or two plus a height or a 32-byte hash); the limit lets
// both backends represent an unbounded range end exactly (see MaxKey).
const MaxKeyLen = 1024

// Sentinel errors. Backends wrap them with context; check with errors.Is.
var (
	// ErrNotFound is returned by Get when the key is absent.
	ErrNotFound = errors.New("store: not found")
	// ErrClosed is returned by every operation on a closed Store, by Commit of
	// a batch whose Store is closed, and by iterators the Store closed.
	ErrClosed = errors.New("store: closed")
	// ErrKeyTooLong is returned when a key is longer than MaxKeyLen.
	ErrKeyTooLong = errors.New("store: key too long")
	// ErrBatchCommitted is returned when a committed batch is written to or
	// committed again before Reset.
	ErrBatchCommitted = errors.New("store: batch already committed")
	// ErrCorrupt is returned by typed accessors when a stored value does not
	// decode (wrong length or format).
	ErrCorrupt = errors.New("store: corrupt value")
)

// Reader reads keys. All methods are safe for concurrent use.
type Reader interface {
	// Get returns the value stored under key, or an error wrapping ErrNotFound.
	// The returned slice is a fresh copy owned by the caller.
	Get(key []byte) ([]byte, error)
	// Has reports whether key is present.
	Has(key []byte) (bool, error)
	// NewIterator returns an iterator over the keys that start with prefix,
	// in ascending byte order, beginning at prefix+start (or the next key
	// after it). A nil or empty prefix iterates the whole store. The iterator
	// sees a consistent point-in-time view taken when it is created: later
	// writes are not visible to it. It must be released with Release.
	NewIterator(prefix, start []byte) Iterator
}

// Writer writes keys. Put and Delete copy their arguments: the caller may
// reuse the slices as soon as the call returns.
type Writer interface {
	// Put stores value under key, replacing any earlier value. A nil value
	// is stored as an empty value.
	Put(key, value []byte) error
	// Delete removes key. Deleting an absent key is not an error.
	Delete(key []byte) error
}

// Store is an ordered key-value store. All methods are safe for concurrent
// use. Put and Delete on the Store itself are NOT synced to disk: they become
// durable with the next Commit(true) of any batch, or on Close. Use a Batch to
// write atomically and durably.
type Store interface {
	Reader
	Writer
	// NewBatch returns an empty batch. It never fails; on a closed Store the
	// batch accepts writes and its Commit returns ErrClosed.
	NewBatch() Batch
	// Close releases the store. Iterators still open are released (their
	// Next returns false and Error returns ErrClosed). Every later call
	// returns ErrClosed. Close is idempotent.
	Close() error
}

// BatchWriter receives batch operations, both when a batch is built and
// when it is replayed.
type BatchWriter interface {
	Writer
	// DeleteRange removes every key in [start, end). A nil start means the
	// first key; a nil end means past the last key.
	DeleteRange(start, end []byte) error
}

// Batch collects writes and applies them atomically: after Commit either all
// of them are visible or (if Commit failed or the process crashed before a
// synced commit returned) none are. Nothing is visible before Commit. A Batch
// is NOT safe for concurrent use.
//
// After Commit the batch is read-only until Reset: Len, Size and Replay still
// describe its contents; Put, Delete, DeleteRange and Commit return
// ErrBatchCommitted.
type Batch interface {
	BatchWriter
	// Len returns the number of queued operations.
	Len() int
	// Size returns the number of key and value bytes queued.
	Size() int
	// Replay calls w with every queued operation, in order. Slices passed to
	// w are only valid during the call.
	Replay(w BatchWriter) error
	// Commit applies the batch atomically. With sync the call returns only
	// after the batch (and every write committed before it) is durable on
	// disk; without sync it may be lost in a crash, but never partially.
	// Commit(true) of an empty batch makes all earlier writes durable.
	Commit(sync bool) error
	// Reset empties the batch for reuse, keeping its buffers.
	Reset()
}

// Iterator walks keys in ascending order. It is used by one goroutine.
//
//	it := s.NewIterator(prefix, nil)
//	defer it.Release()
//	for it.Next() { use(it.Key(), it.Value()) }
//	if err := it.Error(); err != nil { ... }
type Iterator interface {
	// Next moves to the next entry and reports whether there is one.
	Next() bool
	// Key returns the current key (nil before the first Next or when done).
	// The slice is owned by the caller and is not changed by later calls.
	Key() []byte
	// Value returns the current value, with the same ownership as Key.
	Value() []byte
	// Error returns the error that stopped iteration, if any. Exhausting the
	// range is not an error.
	Error() error
	// Release frees the iterator. It may be called more than once.
	Release()
}

// Stater is implemented by stores that can describe their internal state.
type Stater interface {
	// Stat returns human-readable statistics.
	Stat() (string, error)
}

// Compacter is implemented by stores that can compact a key range.
type Compacter interface {
	// Compact compacts [start, limit); nil bounds mean unbounded.
	Compact(start, limit []byte) error
}

// SizedBatcher is implemented by stores that can start a batch with room
// for about size bytes of operations, so that a large batch (a block's
// trie nodes) is not grown by copying as it fills.
type SizedBatcher interface {
	// NewBatchWithSize is NewBatch with room for size bytes.
	NewBatchWithSize(size int) Batch
}

// WriteOnceBatcher is implemented by stores that can start a batch whose
// operations are committed once and never replayed: Replay may fail after
// its Commit. A store may otherwise keep a copy of a large committed batch
// for Replay (pebble takes a large batch's memory for a memtable), and a
// block's trie nodes, megabytes that nothing replays, were copied once
// more for nothing (issue 17).
type WriteOnceBatcher interface {
	// NewWriteOnceBatch is NewBatchWithSize for a batch that is not
	// replayed after its Commit.
	NewWriteOnceBatch(size int) Batch
}
