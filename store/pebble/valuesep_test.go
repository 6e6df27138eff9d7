package pebblestore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
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

// TestOverwrittenValuesAreReclaimed: a record overwritten again and again
// (as the consensus state's value blocks are, every height) leaves its old
// values in blob files; once they are most of those files, the files are
// rewritten without them, so the space they take stays bounded.
func TestOverwrittenValuesAreReclaimed(t *testing.T) {
	db, err := Open("db", Options{FS: NewMemFS(), CacheSize: minCacheSize, MemTableSize: minMemTableSize, BlobRewriteMinimumAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	const versions, valueLen = 40, 16 << 10
	for v := range versions {
		// Each flush also writes a value that stays, so its blob file
		// stays referenced when the record's old version is dropped.
		if err := db.Put([]byte(fmt.Sprintf("node-%02d", v)), bytes.Repeat([]byte{1}, 100)); err != nil {
			t.Fatal(err)
		}
		if err := db.Put([]byte("record"), bytes.Repeat([]byte{byte(v)}, valueLen)); err != nil {
			t.Fatal(err)
		}
		if err := db.db.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.db.Compact(context.Background(), []byte("a"), []byte("z"), false); err != nil {
		t.Fatal(err)
	}
	waitfor.Until(t, 10*time.Second, func() error {
		m := db.db.Metrics().BlobFiles
		if garbage := m.ValueSize - m.ReferencedValueSize; garbage > m.ValueSize/4 {
			return fmt.Errorf("blob files hold %d bytes of values, %d of them no longer referenced", m.ValueSize, garbage)
		}
		return nil
	})
	got, err := db.Get([]byte("record"))
	if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{versions - 1}, valueLen)) {
		t.Fatalf("the newest version after the rewrite: %d bytes, %v", len(got), err)
	}
}
