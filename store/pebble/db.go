package pebblestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/bilayer/bilayer/store"
)

// ErrFailed is returned by writes after pebble reported an unrecoverable
// error (a failed WAL write): the process should stop and the database be
// reopened.
var ErrFailed = errors.New("pebblestore: database failed")

// DB is a store.Store on pebble. All methods are safe for concurrent use.
type DB struct {
	db  *pebble.DB
	log *slogLogger

	// largeBatch is a conservative lower bound of the batch size pebble
	// commits as a "large batch", after which it drops the batch contents;
	// such batches are copied before commit so Replay still works.
	largeBatch int

	mu     sync.RWMutex // RLock around every use of db; Lock to close
	closed bool
	failed atomic.Pointer[fatalError] // set once a write recovered a pebble fatal error

	itMu  sync.Mutex // guards iters
	iters map[*iterator]struct{}
}

var (
	_ store.Store            = (*DB)(nil)
	_ store.Stater           = (*DB)(nil)
	_ store.Compacter        = (*DB)(nil)
	_ store.SizedBatcher     = (*DB)(nil)
	_ store.WriteOnceBatcher = (*DB)(nil)
)

// Open opens (creating if needed) the pebble database in directory path.
func Open(path string, o Options) (*DB, error) {
	o = o.withDefaults()
	log := &slogLogger{log: o.Logger.With("db", path)}
	opts, cache := o.pebbleOptions(log)
	defer cache.Unref() // pebble holds its own reference
	pdb, err := pebble.Open(path, opts)
	if err != nil {
		return nil, fmt.Errorf("open pebble at %s: %w", path, err)
	}
	log.log.Debug("pebble opened", "cache", o.CacheSize, "memtable", o.MemTableSize, "handles", o.MaxOpenFiles)
	return &DB{
		db:         pdb,
		log:        log,
		largeBatch: int(o.MemTableSize / 4),
		iters:      make(map[*iterator]struct{}),
	}, nil
}

// readable reports an error if the store cannot be read. Call under mu.
func (d *DB) readable(op string) error {
	if d.closed {
		return fmt.Errorf("pebble %s: %w", op, store.ErrClosed)
	}
	return nil
}

// writable reports an error if the store cannot be written. Call under mu.
func (d *DB) writable(op string) error {
	if err := d.readable(op); err != nil {
		return err
	}
	if fe := d.failed.Load(); fe != nil {
		return fmt.Errorf("pebble %s: %w: %w", op, ErrFailed, fe)
	}
	return nil
}

// Get implements store.Reader.
func (d *DB) Get(key []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.readable("get"); err != nil {
		return nil, err
	}
	v, closer, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, fmt.Errorf("pebble get %x: %w", key, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("pebble get %x: %w", key, err)
	}
	out := bytes.Clone(v)
	if out == nil {
		out = []byte{}
	}
	if err := closer.Close(); err != nil {
		return nil, fmt.Errorf("pebble get %x: close: %w", key, err)
	}
	return out, nil
}

// Has implements store.Reader without copying the value.
func (d *DB) Has(key []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.readable("has"); err != nil {
		return false, err
	}
	_, closer, err := d.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("pebble has %x: %w", key, err)
	}
	if err := closer.Close(); err != nil {
		return false, fmt.Errorf("pebble has %x: close: %w", key, err)
	}
	return true, nil
}

// Put implements store.Writer. The write is not synced.
func (d *DB) Put(key, value []byte) error {
	if err := store.CheckKey(key); err != nil {
		return fmt.Errorf("pebble put: %w", err)
	}
	return d.write("put", func() error { return d.db.Set(key, value, pebble.NoSync) })
}

// Delete implements store.Writer. The write is not synced.
func (d *DB) Delete(key []byte) error {
	return d.write("delete", func() error { return d.db.Delete(key, pebble.NoSync) })
}

// write runs fn, which writes to pebble, under the read lock, turning a
// pebble fatal error into ErrFailed.
func (d *DB) write(op string, fn func() error) (err error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.writable(op); err != nil {
		return err
	}
	defer func() {
		if r := recover(); r != nil {
			fe, ok := r.(*fatalError)
			if !ok {
				panic(r)
			}
			d.failed.CompareAndSwap(nil, fe) // the first failure wins
			err = fmt.Errorf("pebble %s: %w: %w", op, ErrFailed, fe)
		}
	}()
	if err := fn(); err != nil {
		return fmt.Errorf("pebble %s: %w", op, err)
	}
	return nil
}

// NewBatch implements store.Store.
func (d *DB) NewBatch() store.Batch {
	return &batch{db: d, b: d.db.NewBatch()}
}

// NewBatchWithSize implements store.SizedBatcher.
func (d *DB) NewBatchWithSize(size int) store.Batch {
	return &batch{db: d, b: d.db.NewBatchWithSize(max(size, 0))}
}

// NewWriteOnceBatch implements store.WriteOnceBatcher: a large batch is
// committed without a copy kept for Replay, which then fails.
func (d *DB) NewWriteOnceBatch(size int) store.Batch {
	return &batch{db: d, b: d.db.NewBatchWithSize(max(size, 0)), writeOnce: true}
}

// Stat implements store.Stater with pebble's metrics table.
func (d *DB) Stat() (string, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.readable("stat"); err != nil {
		return "", err
	}
	return d.db.Metrics().String(), nil
}

// Compact implements store.Compacter.
func (d *DB) Compact(start, limit []byte) error {
	if limit == nil {
		limit = store.MaxKey()
	}
	if start == nil {
		start = []byte{}
	}
	return d.write("compact", func() error {
		return d.db.Compact(context.Background(), start, limit, true)
	})
}

// Close implements store.Store. It releases open iterators, then closes
// pebble, which syncs the WAL.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	d.itMu.Lock()
	for it := range d.iters {
		it.closeByDB()
	}
	clear(d.iters)
	d.itMu.Unlock()
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close pebble: %w", err)
	}
	return nil
}
