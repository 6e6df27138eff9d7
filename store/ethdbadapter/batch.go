package ethdbadapter

import (
	"bytes"
	"fmt"

	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/bilayer/bilayer/store"
)

// batch is an ethdb.Batch over a store.Batch. Keys are prefixed in a
// scratch buffer that the store batch copies, so Put allocates nothing.
type batch struct {
	d       *Database
	b       store.Batch
	scratch []byte
}

func (b *batch) key(k []byte) []byte {
	b.scratch = append(append(b.scratch[:0], b.d.prefix...), k...)
	return b.scratch
}

// Put implements ethdb.KeyValueWriter.
func (b *batch) Put(key, value []byte) error { return b.b.Put(b.key(key), value) }

// Delete implements ethdb.KeyValueWriter.
func (b *batch) Delete(key []byte) error { return b.b.Delete(b.key(key)) }

// DeleteRange implements ethdb.KeyValueRangeDeleter.
func (b *batch) DeleteRange(start, end []byte) error {
	return b.b.DeleteRange(b.d.key(start), b.d.rangeEnd(end))
}

// ValueSize implements ethdb.Batch: bytes queued, namespace included.
func (b *batch) ValueSize() int { return b.b.Size() }

// Write implements ethdb.Batch with an unsynced commit.
func (b *batch) Write() error {
	if err := b.d.check("batch write"); err != nil {
		return err
	}
	if err := b.b.Commit(false); err != nil {
		return fmt.Errorf("ethdb batch write: %w", err)
	}
	return nil
}

// Reset implements ethdb.Batch.
func (b *batch) Reset() { b.b.Reset() }

// Replay implements ethdb.Batch, with the namespace stripped.
func (b *batch) Replay(w ethdb.KeyValueWriter) error {
	return b.b.Replay(&replayer{d: b.d, w: w})
}

// Close implements ethdb.Batch; batches hold no resources beyond memory.
func (b *batch) Close() {}

// replayer forwards store batch operations to an ethdb writer.
type replayer struct {
	d *Database
	w ethdb.KeyValueWriter
}

// strip removes the namespace from a key of the store batch.
func (r *replayer) strip(k []byte) []byte { return k[len(r.d.prefix):] }

// Put implements store.BatchWriter.
func (r *replayer) Put(k, v []byte) error { return r.w.Put(r.strip(k), v) }

// Delete implements store.BatchWriter.
func (r *replayer) Delete(k []byte) error { return r.w.Delete(r.strip(k)) }

// DeleteRange implements store.BatchWriter; the target must be an
// ethdb.KeyValueRangeDeleter.
func (r *replayer) DeleteRange(start, end []byte) error {
	rd, ok := r.w.(ethdb.KeyValueRangeDeleter)
	if !ok {
		return errNoRangeDelete
	}
	// An unbounded ethdb end was stored as the namespace end (or nil).
	if end == nil || bytes.Equal(end, r.d.end) {
		return rd.DeleteRange(r.strip(start), nil)
	}
	return rd.DeleteRange(r.strip(start), r.strip(end))
}

var _ store.BatchWriter = (*replayer)(nil)
