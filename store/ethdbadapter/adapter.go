package ethdbadapter

import (
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/bilayer/bilayer/store"
)

// errNoRangeDelete is returned by Replay into a writer that cannot delete
// ranges while the batch holds a range deletion.
var errNoRangeDelete = errors.New("ethdbadapter: replay target does not implement DeleteRange")

// Database is a view of a store.Store under a key prefix, as an
// ethdb.KeyValueStore. Every key go-ethereum passes in is stored as
// prefix+key, so its data cannot collide with the rest of the store.
//
// Writes (Put, Delete, batch Write) are not synced: make them durable with a
// later synced commit on the same store (a node commits the trie, then
// writes its block with Commit(true), which syncs both) or SyncKeyValue.
type Database struct {
	s      store.Store
	prefix []byte
	end    []byte // store.PrefixEnd(prefix); nil when unbounded
	closed atomic.Bool
}

var _ ethdb.KeyValueStore = (*Database)(nil)

// New returns a view of s under prefix (nil for none). The caller keeps
// ownership of s: closing the view does not close s.
func New(s store.Store, prefix []byte) *Database {
	p := append([]byte(nil), prefix...)
	return &Database{s: s, prefix: p, end: store.PrefixEnd(p)}
}

// key returns prefix+k in a new slice.
func (d *Database) key(k []byte) []byte {
	out := make([]byte, 0, len(d.prefix)+len(k))
	return append(append(out, d.prefix...), k...)
}

// rangeEnd maps an ethdb range end (nil: unbounded) into the namespace.
func (d *Database) rangeEnd(end []byte) []byte {
	if end == nil {
		return d.end
	}
	return d.key(end)
}

func (d *Database) check(op string) error {
	if d.closed.Load() {
		return fmt.Errorf("ethdb %s: %w", op, store.ErrClosed)
	}
	return nil
}

// Has implements ethdb.KeyValueReader.
func (d *Database) Has(key []byte) (bool, error) {
	if err := d.check("has"); err != nil {
		return false, err
	}
	return d.s.Has(d.key(key))
}

// Get implements ethdb.KeyValueReader. A missing key is an error wrapping
// store.ErrNotFound.
func (d *Database) Get(key []byte) ([]byte, error) {
	if err := d.check("get"); err != nil {
		return nil, err
	}
	return d.s.Get(d.key(key))
}

// Put implements ethdb.KeyValueWriter.
func (d *Database) Put(key, value []byte) error {
	if err := d.check("put"); err != nil {
		return err
	}
	return d.s.Put(d.key(key), value)
}

// Delete implements ethdb.KeyValueWriter.
func (d *Database) Delete(key []byte) error {
	if err := d.check("delete"); err != nil {
		return err
	}
	return d.s.Delete(d.key(key))
}

// DeleteRange implements ethdb.KeyValueRangeDeleter, atomically.
func (d *Database) DeleteRange(start, end []byte) error {
	if err := d.check("delete range"); err != nil {
		return err
	}
	b := d.s.NewBatch()
	if err := b.DeleteRange(d.key(start), d.rangeEnd(end)); err != nil {
		return fmt.Errorf("ethdb delete range: %w", err)
	}
	if err := b.Commit(false); err != nil {
		return fmt.Errorf("ethdb delete range: %w", err)
	}
	return nil
}

// Stat implements ethdb.KeyValueStater with the store's statistics, if it
// has any.
func (d *Database) Stat() (string, error) {
	if st, ok := d.s.(store.Stater); ok {
		return st.Stat()
	}
	return "", nil
}

// SyncKeyValue implements ethdb.KeyValueSyncer: an empty synced commit makes
// every earlier write to the store durable.
func (d *Database) SyncKeyValue() error {
	if err := d.check("sync"); err != nil {
		return err
	}
	if err := d.s.NewBatch().Commit(true); err != nil {
		return fmt.Errorf("ethdb sync: %w", err)
	}
	return nil
}

// Compact implements ethdb.Compacter; a no-op if the store cannot compact.
func (d *Database) Compact(start, limit []byte) error {
	c, ok := d.s.(store.Compacter)
	if !ok {
		return nil
	}
	return c.Compact(d.key(start), d.rangeEnd(limit))
}

// NewBatch implements ethdb.Batcher.
func (d *Database) NewBatch() ethdb.Batch {
	return &batch{d: d, b: d.s.NewBatch()}
}

// NewBatchWithSize implements ethdb.Batcher: the store's batch starts with
// room for size bytes of keys and values (and the namespace of each key is
// counted in the hint's overhead) if the store can do that
// (store.SizedBatcher); otherwise the hint is ignored.
func (d *Database) NewBatchWithSize(size int) ethdb.Batch {
	if sb, ok := d.s.(store.SizedBatcher); ok {
		return &batch{d: d, b: sb.NewBatchWithSize(size)}
	}
	return d.NewBatch()
}

// NewWriteOnceBatch is NewBatchWithSize for a batch whose operations are
// written once and never replayed after Write: its Replay may then fail.
// The store then keeps no copy of a large batch for Replay
// (store.WriteOnceBatcher); a store that cannot do that gives a sized batch.
func (d *Database) NewWriteOnceBatch(size int) ethdb.Batch {
	if wb, ok := d.s.(store.WriteOnceBatcher); ok {
		return &batch{d: d, b: wb.NewWriteOnceBatch(size)}
	}
	return d.NewBatchWithSize(size)
}

// NewIterator implements ethdb.Iteratee: keys that start with prefix, from
// prefix+start on, with the namespace stripped from the returned keys.
func (d *Database) NewIterator(prefix, start []byte) ethdb.Iterator {
	if err := d.check("iterator"); err != nil {
		return &closedIterator{err: err}
	}
	return &iterator{it: d.s.NewIterator(d.key(prefix), start), strip: len(d.prefix)}
}

// Close detaches the view: later calls fail with store.ErrClosed. The
// underlying store stays open; its owner closes it.
func (d *Database) Close() error {
	d.closed.Store(true)
	return nil
}

// iterator strips the namespace from the keys of a store.Iterator.
type iterator struct {
	it    store.Iterator
	strip int
}

// Next implements ethdb.Iterator.
func (it *iterator) Next() bool { return it.it.Next() }

// Error implements ethdb.Iterator.
func (it *iterator) Error() error { return it.it.Error() }

// Value implements ethdb.Iterator; the slice is the caller's.
func (it *iterator) Value() []byte { return it.it.Value() }

// Release implements ethdb.Iterator.
func (it *iterator) Release() { it.it.Release() }

// Key implements ethdb.Iterator: the key without the namespace, nil when done.
func (it *iterator) Key() []byte {
	k := it.it.Key()
	if k == nil {
		return nil
	}
	return k[it.strip:]
}

// closedIterator is returned by NewIterator on a closed view.
type closedIterator struct{ err error }

// Next implements ethdb.Iterator: there is nothing to iterate.
func (it *closedIterator) Next() bool { return false }

// Error implements ethdb.Iterator: why there is nothing.
func (it *closedIterator) Error() error { return it.err }

// Key implements ethdb.Iterator.
func (it *closedIterator) Key() []byte { return nil }

// Value implements ethdb.Iterator.
func (it *closedIterator) Value() []byte { return nil }

// Release implements ethdb.Iterator.
func (it *closedIterator) Release() {}
