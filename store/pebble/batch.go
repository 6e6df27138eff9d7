package pebblestore

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/batchrepr"

	"github.com/bilayer/bilayer/store"
)

// errReplayLost means pebble dropped the contents of a committed batch:
// a write-once batch (DB.NewWriteOnceBatch) that was large, or one this
// package did not expect to be large, which indicates a sizing bug here.
var errReplayLost = errors.New("pebblestore: committed batch contents were dropped by pebble")

// entryOverhead over-estimates pebble's per-entry memtable cost (skiplist
// node with a full tower); used to predict "large batch" commits.
const entryOverhead = 256

// batch is the pebble store.Batch: operations are encoded straight into a
// pebble batch (one copy of each key and value).
type batch struct {
	db        *DB
	b         *pebble.Batch
	n         int    // operations queued
	size      int    // key and value bytes queued
	committed bool   // read-only until Reset
	saved     []byte // copy of the repr of a large committed batch
	lost      bool   // pebble dropped the repr and nothing was saved
	writeOnce bool   // never replayed after its commit: nothing is saved
}

// Put implements store.BatchWriter.
func (b *batch) Put(key, value []byte) error {
	if err := b.writable(key); err != nil {
		return fmt.Errorf("pebble batch put: %w", err)
	}
	if err := b.b.Set(key, value, nil); err != nil {
		return fmt.Errorf("pebble batch put: %w", err)
	}
	b.n++
	b.size += len(key) + len(value)
	return nil
}

// Delete implements store.BatchWriter.
func (b *batch) Delete(key []byte) error {
	if err := b.writable(key); err != nil {
		return fmt.Errorf("pebble batch delete: %w", err)
	}
	if err := b.b.Delete(key, nil); err != nil {
		return fmt.Errorf("pebble batch delete: %w", err)
	}
	b.n++
	b.size += len(key)
	return nil
}

// DeleteRange implements store.BatchWriter. A nil end is encoded as
// store.MaxKey(), which sorts after every valid key.
func (b *batch) DeleteRange(start, end []byte) error {
	if err := b.writable(start); err != nil {
		return fmt.Errorf("pebble batch delete range: %w", err)
	}
	size := len(start) + len(end)
	if start == nil {
		start = []byte{}
	}
	if end == nil {
		end = store.MaxKey()
	}
	if err := b.b.DeleteRange(start, end, nil); err != nil {
		return fmt.Errorf("pebble batch delete range: %w", err)
	}
	b.n++
	b.size += size
	return nil
}

func (b *batch) writable(key []byte) error {
	if b.committed {
		return store.ErrBatchCommitted
	}
	return store.CheckKey(key)
}

// Len implements store.Batch.
func (b *batch) Len() int { return b.n }

// Size implements store.Batch.
func (b *batch) Size() int { return b.size }

// Commit implements store.Batch: pebble.Sync when sync, else pebble.NoSync.
func (b *batch) Commit(sync bool) error {
	if b.committed {
		return fmt.Errorf("pebble commit: %w", store.ErrBatchCommitted)
	}
	opts := pebble.NoSync
	if sync {
		opts = pebble.Sync
		if b.n == 0 {
			// Pebble skips empty batches; a log record forces the WAL sync
			// that makes earlier unsynced writes durable.
			if err := b.b.LogData(nil, nil); err != nil {
				return fmt.Errorf("pebble commit: %w", err)
			}
		}
	} else if b.n == 0 {
		// Nothing to write, but a closed or failed store still says so.
		if err := b.db.write("commit", func() error { return nil }); err != nil {
			return err
		}
		b.committed = true
		return nil
	}
	if !b.writeOnce && b.size+entryOverhead*b.n >= b.db.largeBatch {
		b.saved = bytes.Clone(b.b.Repr())
	}
	err := b.db.write("commit", func() error { return b.b.Commit(opts) })
	if err != nil {
		return err
	}
	b.committed = true
	if b.saved == nil && b.n > 0 && b.b.Empty() {
		b.lost = true
	}
	return nil
}

// Replay implements store.Batch. It decodes the pebble batch encoding, so
// it needs no second copy of the operations.
func (b *batch) Replay(w store.BatchWriter) error {
	if b.lost {
		return fmt.Errorf("pebble replay: %w", errReplayLost)
	}
	r := b.b.Reader()
	if b.saved != nil {
		r = batchrepr.Read(b.saved)
	}
	for i := 0; ; i++ {
		kind, k, v, ok, err := r.Next()
		if err != nil {
			return fmt.Errorf("pebble replay op %d: %w", i, err)
		}
		if !ok {
			return nil
		}
		switch kind {
		case pebble.InternalKeyKindSet:
			err = w.Put(k, v)
		case pebble.InternalKeyKindDelete:
			err = w.Delete(k)
		case pebble.InternalKeyKindRangeDelete:
			if store.IsMaxKey(v) {
				v = nil
			}
			err = w.DeleteRange(k, v)
		case pebble.InternalKeyKindLogData:
			continue
		default:
			err = fmt.Errorf("unexpected operation kind %v", kind)
		}
		if err != nil {
			return fmt.Errorf("pebble replay op %d: %w", i, err)
		}
	}
}

// Reset implements store.Batch.
func (b *batch) Reset() {
	b.b.Reset()
	b.n, b.size = 0, 0
	b.committed, b.saved, b.lost = false, nil, false
}
