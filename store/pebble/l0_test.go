package pebblestore

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
)

// TestL0CompactsSixteenFilesAtOnce: memtables of hash-keyed records (as
// trie nodes are) each span the whole key space, so every L0 compaction
// rewrites all of the level below; L0 collects sixteen flushed files
// before the first compaction merges them (issue 17: four until session
// 27, eight until session 30; each doubling rewrites the base level half
// as often). Pebble schedules a compaction
// before a flush gives up its lock, so the metrics read after each flush
// see any compaction it started.
func TestL0CompactsSixteenFilesAtOnce(t *testing.T) {
	if l0FilesPerCompaction != 16 {
		t.Fatalf("l0FilesPerCompaction = %d, want 16", l0FilesPerCompaction)
	}
	checkL0CompactsAt(t, openMem(t), l0FilesPerCompaction)
}

// TestL0CompactionFilesStaggersNodes: Options.L0CompactionFiles sets how
// many files level 0 collects before its compaction, and the i-th of a
// devnet's validators gets 16, 18, 20, 22, 16, … of them, so that their
// compactions drift apart.
func TestL0CompactionFilesStaggersNodes(t *testing.T) {
	for i, want := range []int{16, 18, 20, 22, 16, 18} {
		if got := StaggeredL0CompactionFiles(i); got != want {
			t.Fatalf("StaggeredL0CompactionFiles(%d) = %d, want %d", i, got, want)
		}
	}
	db, err := Open("db", Options{FS: NewMemFS(), CacheSize: minCacheSize, MemTableSize: minMemTableSize, L0CompactionFiles: 22})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	checkL0CompactsAt(t, db, 22)
}

// checkL0CompactsAt flushes hash-keyed records one memtable at a time and
// fails unless db's first compaction starts at the files-th flush and not
// before.
func checkL0CompactsAt(t *testing.T, db *DB, files int) {
	t.Helper()
	const perFlush = 200
	flush := func(f int) {
		t.Helper()
		b := db.NewBatch()
		for i := range perFlush {
			h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(f*perFlush+i)))
			if err := b.Put(h[:], h[:]); err != nil {
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
	for f := range files - 1 {
		flush(f)
		m := db.db.Metrics()
		if m.Compact.Count > 0 || m.Compact.NumInProgress > 0 {
			t.Fatalf("a compaction started after %d flushes, want none before %d L0 files", f+1, files)
		}
		if got := m.Levels[0].TablesCount; got != int64(f+1) {
			t.Fatalf("after %d flushes L0 holds %d files, want %d", f+1, got, f+1)
		}
	}
	flush(files - 1)
	waitfor.Until(t, 10*time.Second, func() error {
		m := db.db.Metrics()
		if m.Compact.Count == 0 || m.Levels[0].TablesCount >= int64(files) {
			return fmt.Errorf("%d compactions, %d L0 files after %d flushes", m.Compact.Count, m.Levels[0].TablesCount, files)
		}
		return nil
	})
}
