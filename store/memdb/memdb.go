package memdb

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/RaduBerinde/btreemap"

	"github.com/bilayer/bilayer/store"
)

// btreeDegree is the B-tree fan-out; 32 keeps nodes a few cache lines wide.
const btreeDegree = 32

type tree = btreemap.BTreeMap[string, []byte]

// DB is an in-memory store.Store. The zero value is not usable; call New.
// Values held by the tree are private copies and are never mutated, so
// snapshots can share them.
type DB struct {
	mu     sync.RWMutex // guards tree; Lock to write or to snapshot
	tree   *tree
	closed atomic.Bool // set under mu.Lock
}

var _ store.Store = (*DB)(nil)

// New returns an empty in-memory store.
func New() *DB {
	return &DB{tree: btreemap.New[string, []byte](btreeDegree, strings.Compare)}
}

// Get implements store.Reader.
func (db *DB) Get(key []byte) ([]byte, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed.Load() {
		return nil, fmt.Errorf("memdb get: %w", store.ErrClosed)
	}
	_, v, ok := db.tree.Get(string(key))
	if !ok {
		return nil, fmt.Errorf("memdb get %x: %w", key, store.ErrNotFound)
	}
	return bytes.Clone(v), nil
}

// Has implements store.Reader.
func (db *DB) Has(key []byte) (bool, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed.Load() {
		return false, fmt.Errorf("memdb has: %w", store.ErrClosed)
	}
	return db.tree.Has(string(key)), nil
}

// Put implements store.Writer.
func (db *DB) Put(key, value []byte) error {
	if err := store.CheckKey(key); err != nil {
		return fmt.Errorf("memdb put: %w", err)
	}
	v := cloneValue(value)
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Load() {
		return fmt.Errorf("memdb put: %w", store.ErrClosed)
	}
	db.tree.ReplaceOrInsert(string(key), v)
	return nil
}

// Delete implements store.Writer.
func (db *DB) Delete(key []byte) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Load() {
		return fmt.Errorf("memdb delete: %w", store.ErrClosed)
	}
	db.tree.Delete(string(key))
	return nil
}

// NewBatch implements store.Store.
func (db *DB) NewBatch() store.Batch {
	return &batch{db: db}
}

// NewIterator implements store.Reader. The iterator walks a copy-on-write
// snapshot of the tree taken now, so it never blocks writers.
func (db *DB) NewIterator(prefix, start []byte) store.Iterator {
	it := &iterator{db: db, upper: store.PrefixEnd(prefix)}
	it.lower = string(prefix) + string(start)
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Load() {
		it.err = fmt.Errorf("memdb iterator: %w", store.ErrClosed)
		return it
	}
	it.snap = db.tree.Clone()
	return it
}

// Close implements store.Store.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Load() {
		return nil
	}
	db.closed.Store(true)
	db.tree = nil
	return nil
}

// Len returns the number of keys stored (0 once closed).
func (db *DB) Len() int {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed.Load() {
		return 0
	}
	return db.tree.Len()
}

// apply writes the operations of a batch under one lock, so readers see all
// of them or none.
func (db *DB) apply(ops []op) error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.closed.Load() {
		return fmt.Errorf("memdb commit: %w", store.ErrClosed)
	}
	for i := range ops {
		o := &ops[i]
		switch o.kind {
		case opPut:
			db.tree.ReplaceOrInsert(o.key, o.value)
		case opDelete:
			db.tree.Delete(o.key)
		case opDeleteRange:
			db.deleteRangeLocked(o.key, o.end)
		}
	}
	return nil
}

// deleteRangeLocked deletes [start, end); end == nil means unbounded.
func (db *DB) deleteRangeLocked(start string, end []byte) {
	stop := btreemap.Max[string]()
	if end != nil {
		stop = btreemap.LT(string(end))
	}
	var doomed []string
	db.tree.AscendFunc(btreemap.GE(start), stop, func(k string, _ []byte) bool {
		doomed = append(doomed, k)
		return true
	})
	for _, k := range doomed {
		db.tree.Delete(k)
	}
}

// cloneValue copies v, turning nil into an empty value.
func cloneValue(v []byte) []byte {
	if v == nil {
		return []byte{}
	}
	return bytes.Clone(v)
}
