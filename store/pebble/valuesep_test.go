package pebblestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// TestCompactionsMoveKeysNotValues: values the size of trie nodes are
// written once, to blob files, and compactions carry only their keys and
// references, so the tables hold a fraction of what was written; every
// value still reads back after the compaction.
func TestCompactionsMoveKeysNotValues(t *testing.T) {
	db := openMem(t)
	const flushes, perFlush, valueLen = 4, 2000, 120
	key := func(i int) []byte {
		h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		return h[:] // hash keys, as trie nodes have: every flush spans the key space
	}
	value := func(i int) []byte {
		return bytes.Repeat(binary.BigEndian.AppendUint32(nil, uint32(i)), valueLen/4)
	}
	for f := range flushes {
		b := db.NewBatch()
		for i := f * perFlush; i < (f+1)*perFlush; i++ {
			if err := b.Put(key(i), value(i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
		if err := db.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.db.Compact(context.Background(), []byte{0}, bytes.Repeat([]byte{0xff}, 33), false); err != nil {
		t.Fatal(err)
	}
	m := db.db.Metrics()
	written := uint64(flushes * perFlush * valueLen)
	if m.BlobFiles.ReferencedValueSize < written {
		t.Errorf("blob files hold %d bytes of values, want the %d written", m.BlobFiles.ReferencedValueSize, written)
	}
	if tables := uint64(m.Total().TablesSize); tables > written/2 {
		t.Errorf("tables hold %d bytes after the compaction, for %d bytes of values: the values were rewritten into them", tables, written)
	}
	for i := range flushes * perFlush {
		got, err := db.Get(key(i))
		if err != nil || !bytes.Equal(got, value(i)) {
			t.Fatalf("value %d after the compaction: %x, %v", i, got, err)
		}
	}
}
