package pebblestore

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"github.com/bilayer/bilayer/store"
)

// iterator wraps a pebble iterator. Pebble iterators read a point-in-time
// view, which gives store.Iterator its snapshot semantics. The current entry
// is copied out on each Next, so Key and Value are owned by the caller and
// never touch pebble (safe even after the DB closed the iterator).
type iterator struct {
	db    *DB
	it    *pebble.Iterator // nil once released or closed
	first bool             // the pebble iterator is positioned but not yet returned
	key   []byte
	value []byte
	err   error
}

// NewIterator implements store.Reader.
func (d *DB) NewIterator(prefix, start []byte) store.Iterator {
	d.mu.RLock()
	defer d.mu.RUnlock()
	it := &iterator{db: d}
	if err := d.readable("iterator"); err != nil {
		it.err = err
		return it
	}
	var lower []byte // nil, not empty: pebble's invariant checks index key[0]
	if n := len(prefix) + len(start); n > 0 {
		lower = append(append(make([]byte, 0, n), prefix...), start...)
	}
	pit, err := d.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: store.PrefixEnd(prefix)})
	if err != nil {
		it.err = fmt.Errorf("pebble iterator: %w", err)
		return it
	}
	it.it, it.first = pit, true
	pit.First()
	d.itMu.Lock()
	d.iters[it] = struct{}{}
	d.itMu.Unlock()
	return it
}

// Next implements store.Iterator.
func (it *iterator) Next() bool {
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	it.key, it.value = nil, nil
	if it.it == nil {
		return false
	}
	var ok bool
	if it.first {
		it.first, ok = false, it.it.Valid()
	} else {
		ok = it.it.Next()
	}
	if !ok {
		if err := it.it.Error(); err != nil {
			it.err = fmt.Errorf("pebble iterate: %w", err)
		}
		return false
	}
	v, err := it.it.ValueAndErr()
	if err != nil {
		it.err = fmt.Errorf("pebble iterate value of %x: %w", it.it.Key(), err)
		return false
	}
	k := it.it.Key()
	buf := make([]byte, len(k)+len(v)) // one allocation per entry
	copy(buf, k)
	copy(buf[len(k):], v)
	it.key, it.value = buf[:len(k):len(k)], buf[len(k):]
	return true
}

// Key implements store.Iterator.
func (it *iterator) Key() []byte { return it.key }

// Value implements store.Iterator.
func (it *iterator) Value() []byte { return it.value }

// Error implements store.Iterator.
func (it *iterator) Error() error { return it.err }

// Release implements store.Iterator.
func (it *iterator) Release() {
	it.db.mu.RLock()
	defer it.db.mu.RUnlock()
	it.key, it.value = nil, nil
	if it.it == nil {
		return
	}
	if err := it.it.Close(); err != nil && it.err == nil {
		it.err = fmt.Errorf("pebble iterator close: %w", err)
	}
	it.it = nil
	it.db.itMu.Lock()
	delete(it.db.iters, it)
	it.db.itMu.Unlock()
}

// closeByDB closes the iterator because the DB is closing. Called with
// db.mu write-locked and db.itMu held.
func (it *iterator) closeByDB() {
	if it.it == nil {
		return
	}
	_ = it.it.Close() // the DB is going away; only ErrClosed matters to the user
	it.it = nil
	if it.err == nil {
		it.err = fmt.Errorf("pebble iterator: %w", store.ErrClosed)
	}
}
