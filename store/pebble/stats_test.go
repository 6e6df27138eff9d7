package pebblestore

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/bilayer/bilayer/store"
)

// TestStatsCountReads: reading a flushed key goes to a file the first
// time and to the block cache the next; a key the table does not hold is
// ruled out by its bloom filter; a closed store reports an error.
func TestStatsCountReads(t *testing.T) {
	db := openMem(t)
	b := db.NewBatch()
	for i := range 1000 {
		if err := b.Put(fmt.Appendf(nil, "key-%04d", i), []byte("value")); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	before := flushedStats(t, db)
	if before.L0Files != 1 || before.ReadAmp != 1 {
		t.Errorf("after one flush: %d level-0 tables, read amplification %d; want 1 and 1", before.L0Files, before.ReadAmp)
	}
	for range 2 {
		if _, err := db.Get([]byte("key-0500")); err != nil {
			t.Fatal(err)
		}
	}
	// Inside the table's key range, so only the filter can rule it out.
	if _, err := db.Get([]byte("key-0500x")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("absent key: %v, want ErrNotFound", err)
	}
	after, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after.BlockCacheMisses <= before.BlockCacheMisses {
		t.Errorf("block cache misses %d → %d: the first read of a flushed block went to the file", before.BlockCacheMisses, after.BlockCacheMisses)
	}
	if after.BlockCacheHits <= before.BlockCacheHits {
		t.Errorf("block cache hits %d → %d: the second read of the block came from the cache", before.BlockCacheHits, after.BlockCacheHits)
	}
	if after.FilterHits <= before.FilterHits {
		t.Errorf("filter hits %d → %d: the absent key was ruled out by the filter", before.FilterHits, after.FilterHits)
	}
	if after.BlockCacheBytes <= 0 {
		t.Errorf("block cache holds %d bytes after reads", after.BlockCacheBytes)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Stats(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("stats of a closed store: %v, want ErrClosed", err)
	}
}

// TestBlockCacheHoldsBlocksBesideMemtables: pebble charges each live
// memtable's size to the block cache, so a cache no larger than the
// memtables held no block at all once they had grown to full size; with
// the memtables' share added, a block read twice comes from the cache the
// second time.
func TestBlockCacheHoldsBlocksBesideMemtables(t *testing.T) {
	const memtable = 8 << 20
	db, err := Open("db", Options{FS: NewMemFS(), CacheSize: memtable, MemTableSize: memtable})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	// Memtables start small and double each time one fills, up to
	// MemTableSize: 32 MiB of writes leave the mutable memtable and the
	// one before it at full size, both charged to the cache.
	value := bytes.Repeat([]byte{1}, 32<<10)
	for i := range 1024 {
		if err := db.Put(fmt.Appendf(nil, "key-%04d", i), value); err != nil {
			t.Fatal(err)
		}
	}
	// Flushed to the end: no memtable waits to be flushed, each charging
	// the cache too; the mutable one and the one kept for reuse remain.
	before := flushedStats(t, db)
	for range 3 {
		if _, err := db.Get([]byte("key-0003")); err != nil {
			t.Fatal(err)
		}
	}
	after, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after.BlockCacheHits <= before.BlockCacheHits || after.BlockCacheBytes == 0 {
		t.Errorf("block cache after reading one block three times: %d hits (%d before), %d bytes held; want hits and blocks held",
			after.BlockCacheHits, before.BlockCacheHits, after.BlockCacheBytes)
	}
}

// flushedStats flushes db's memtable to a table and returns its stats.
func flushedStats(t *testing.T, db *DB) Stats {
	t.Helper()
	if err := db.db.Flush(); err != nil {
		t.Fatal(err)
	}
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestStatsCountWrittenBytes: each flush adds to FlushedBytes and not to
// CompactedBytes (pebble also counts a flush's blob files as compacted),
// and a compaction of the flushed tables adds to CompactedBytes.
func TestStatsCountWrittenBytes(t *testing.T) {
	db := openMem(t)
	put := func(round int) {
		b := db.NewBatch()
		for i := range 1000 {
			if err := b.Put(fmt.Appendf(nil, "key-%04d", i), bytes.Repeat([]byte{byte(round)}, 100)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
	}
	put(0)
	first := flushedStats(t, db)
	if first.FlushedBytes < 1000*100 || first.CompactedBytes != 0 || first.Compactions != 0 {
		t.Fatalf("after flushing 100 kB of values: %d bytes flushed, %d compacted in %d compactions; want 100 kB and more, none",
			first.FlushedBytes, first.CompactedBytes, first.Compactions)
	}
	put(1)
	second := flushedStats(t, db)
	if second.FlushedBytes < first.FlushedBytes+1000*100 {
		t.Fatalf("a second flush of 100 kB took FlushedBytes from %d to %d", first.FlushedBytes, second.FlushedBytes)
	}
	if err := db.db.Compact(t.Context(), []byte("key-"), []byte("key-9"), true); err != nil {
		t.Fatal(err)
	}
	after, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if after.CompactedBytes <= second.CompactedBytes || after.Compactions <= second.Compactions {
		t.Fatalf("a manual compaction took CompactedBytes from %d to %d and compactions from %d to %d",
			second.CompactedBytes, after.CompactedBytes, second.Compactions, after.Compactions)
	}
}
