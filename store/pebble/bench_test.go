package pebblestore

import (
	"encoding/binary"
	"log/slog"
	"testing"
)

// benchmarkBlockCommit commits block-sized batches: 1,000 keys (32-byte,
// hash-like) with 100-byte values, reusing one batch as a node would.
func benchmarkBlockCommit(b *testing.B, sync bool) {
	db, err := Open(b.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	const keys, valueSize = 1000, 100
	key := make([]byte, 32)
	value := make([]byte, valueSize)
	batch := db.NewBatch()
	b.SetBytes(keys * (32 + valueSize))
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		batch.Reset()
		for i := range keys {
			binary.BigEndian.PutUint64(key, uint64(n))
			binary.BigEndian.PutUint64(key[8:], uint64(i)*0x9e3779b97f4a7c15)
			value[0] = byte(i)
			if err := batch.Put(key, value); err != nil {
				b.Fatal(err)
			}
		}
		if err := batch.Commit(sync); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBlockBatchSync is the per-block cost DESIGN §10 tracks (~0.2 ms).
func BenchmarkBlockBatchSync(b *testing.B) { benchmarkBlockCommit(b, true) }

// BenchmarkBlockBatchNoSync is the same without fsync, for comparison.
func BenchmarkBlockBatchNoSync(b *testing.B) { benchmarkBlockCommit(b, false) }

// BenchmarkSyncBarrier is an empty synced commit: the WAL fsync alone.
func BenchmarkSyncBarrier(b *testing.B) {
	db, err := Open(b.TempDir(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if err := db.Put([]byte("k"), []byte("v")); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := db.NewBatch().Commit(true); err != nil {
			b.Fatal(err)
		}
	}
}
