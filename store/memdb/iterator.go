package memdb

import (
	"bytes"
	"fmt"

	"github.com/RaduBerinde/btreemap"

	"github.com/bilayer/bilayer/store"
)

// chunkSize is how many entries the iterator pulls from its snapshot at a
// time: large ranges are walked without materialising them.
const chunkSize = 64

type entry struct {
	key   string
	value []byte
}

// iterator walks a snapshot of the tree in chunks.
type iterator struct {
	db    *DB
	snap  *tree  // nil once released or if created on a closed store
	lower string // first key (inclusive) of the next chunk
	upper []byte // exclusive end; nil means unbounded
	after bool   // lower is exclusive (it is the last key already returned)
	buf   []entry
	pos   int // index of the current entry in buf; -1 before the first
	err   error
	done  bool
	cur   *entry
}

// Next implements store.Iterator.
func (it *iterator) Next() bool {
	if it.done || it.err != nil || it.snap == nil {
		it.cur = nil
		return false
	}
	if it.db.closed.Load() {
		it.err = fmt.Errorf("memdb iterator: %w", store.ErrClosed)
		it.Release()
		return false
	}
	if it.pos+1 >= len(it.buf) {
		it.fill()
		if len(it.buf) == 0 {
			it.done, it.cur = true, nil
			return false
		}
	} else {
		it.pos++
	}
	it.cur = &it.buf[it.pos]
	return true
}

// fill loads the next chunk from the snapshot and positions at its start.
func (it *iterator) fill() {
	start := btreemap.GE(it.lower)
	if it.after {
		start = btreemap.GT(it.lower)
	}
	stop := btreemap.Max[string]()
	if it.upper != nil {
		stop = btreemap.LT(string(it.upper))
	}
	it.buf, it.pos = it.buf[:0], 0
	it.snap.AscendFunc(start, stop, func(k string, v []byte) bool {
		it.buf = append(it.buf, entry{key: k, value: v})
		return len(it.buf) < chunkSize
	})
	if n := len(it.buf); n > 0 {
		it.lower, it.after = it.buf[n-1].key, true
	}
}

// Key implements store.Iterator.
func (it *iterator) Key() []byte {
	if it.cur == nil {
		return nil
	}
	return []byte(it.cur.key)
}

// Value implements store.Iterator.
func (it *iterator) Value() []byte {
	if it.cur == nil {
		return nil
	}
	return bytes.Clone(it.cur.value)
}

// Error implements store.Iterator.
func (it *iterator) Error() error { return it.err }

// Release implements store.Iterator.
func (it *iterator) Release() {
	it.snap, it.buf, it.cur = nil, nil, nil
}
