package memdb

import (
	"bytes"
	"fmt"

	"github.com/bilayer/bilayer/store"
)

type opKind uint8

const (
	opPut opKind = iota
	opDelete
	opDeleteRange
)

// op is one queued batch operation. Keys are strings (one copy, made when
// the op is queued) so the tree can keep them without copying again.
type op struct {
	kind  opKind
	key   string // the key, or the range start
	value []byte // Put value (private copy)
	end   []byte // DeleteRange end; nil means unbounded
}

// batch is the memdb store.Batch.
type batch struct {
	db        *DB
	ops       []op
	size      int
	committed bool
}

// Put implements store.BatchWriter.
func (b *batch) Put(key, value []byte) error {
	if err := b.writable(key); err != nil {
		return fmt.Errorf("memdb batch put: %w", err)
	}
	b.ops = append(b.ops, op{kind: opPut, key: string(key), value: cloneValue(value)})
	b.size += len(key) + len(value)
	return nil
}

// Delete implements store.BatchWriter.
func (b *batch) Delete(key []byte) error {
	if err := b.writable(key); err != nil {
		return fmt.Errorf("memdb batch delete: %w", err)
	}
	b.ops = append(b.ops, op{kind: opDelete, key: string(key)})
	b.size += len(key)
	return nil
}

// DeleteRange implements store.BatchWriter.
func (b *batch) DeleteRange(start, end []byte) error {
	if err := b.writable(start); err != nil {
		return fmt.Errorf("memdb batch delete range: %w", err)
	}
	if end != nil {
		end = bytes.Clone(end)
	}
	b.ops = append(b.ops, op{kind: opDeleteRange, key: string(start), end: end})
	b.size += len(start) + len(end)
	return nil
}

func (b *batch) writable(key []byte) error {
	if b.committed {
		return store.ErrBatchCommitted
	}
	return store.CheckKey(key)
}

// Len implements store.Batch.
func (b *batch) Len() int { return len(b.ops) }

// Size implements store.Batch.
func (b *batch) Size() int { return b.size }

// Replay implements store.Batch.
func (b *batch) Replay(w store.BatchWriter) error {
	for i := range b.ops {
		o := &b.ops[i]
		var err error
		switch o.kind {
		case opPut:
			err = w.Put([]byte(o.key), o.value)
		case opDelete:
			err = w.Delete([]byte(o.key))
		case opDeleteRange:
			err = w.DeleteRange([]byte(o.key), o.end)
		}
		if err != nil {
			return fmt.Errorf("memdb replay op %d: %w", i, err)
		}
	}
	return nil
}

// Commit implements store.Batch. sync has no meaning in memory.
func (b *batch) Commit(sync bool) error {
	if b.committed {
		return fmt.Errorf("memdb commit: %w", store.ErrBatchCommitted)
	}
	if err := b.db.apply(b.ops); err != nil {
		return err
	}
	b.committed = true
	return nil
}

// Reset implements store.Batch.
func (b *batch) Reset() {
	clear(b.ops) // drop references so values can be collected
	b.ops = b.ops[:0]
	b.size = 0
	b.committed = false
}
