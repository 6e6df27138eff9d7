package pebblestore

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/bilayer/bilayer/store"
)

// crashModel tracks what must (and may) survive a crash.
type crashModel struct {
	batches []crashBatch
}

type crashBatch struct {
	name   string
	keys   int
	synced bool // committed with sync=true, or followed by a synced commit
}

func crashKey(batch string, i int) []byte { return []byte(fmt.Sprintf("%s/%04d", batch, i)) }

func crashValue(batch string, i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("%s:%d;", batch, i)), 8)
}

// writeBatch commits one batch of n keys named name.
func writeBatch(t *testing.T, db *DB, name string, n int, sync bool) {
	t.Helper()
	b := db.NewBatch()
	for i := range n {
		if err := b.Put(crashKey(name, i), crashValue(name, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(sync); err != nil {
		t.Fatalf("commit %s: %v", name, err)
	}
}

// presentKeys counts the keys of batch b in db, checking their values.
func presentKeys(t *testing.T, db *DB, b crashBatch) int {
	t.Helper()
	it := db.NewIterator([]byte(b.name+"/"), nil)
	defer it.Release()
	n := 0
	for it.Next() {
		if want := crashKey(b.name, n); !bytes.Equal(it.Key(), want) {
			t.Fatalf("batch %s: key %q where %q was expected", b.name, it.Key(), want)
		}
		if want := crashValue(b.name, n); !bytes.Equal(it.Value(), want) {
			t.Fatalf("batch %s: key %q has a damaged value", b.name, it.Key())
		}
		n++
	}
	if err := it.Error(); err != nil {
		t.Fatalf("batch %s: iterate: %v", b.name, err)
	}
	return n
}

// verify checks the recovered db against the model: synced batches are
// complete; each unsynced batch is complete or absent; and the survivors are
// a prefix of the commit order (the WAL is replayed in order). It returns
// the model with survivors marked durable and the lost batches dropped.
func (m crashModel) verify(t *testing.T, db *DB, round int) crashModel {
	t.Helper()
	var out crashModel
	lost := ""
	for _, b := range m.batches {
		n := presentKeys(t, db, b)
		switch {
		case n == b.keys:
			if lost != "" {
				t.Fatalf("round %d: batch %s survived but the earlier batch %s was lost", round, b.name, lost)
			}
			b.synced = true // recovered data is on the clone's "disk"
			out.batches = append(out.batches, b)
		case n == 0 && !b.synced:
			if lost == "" {
				lost = b.name
			}
		case b.synced:
			t.Fatalf("round %d: synced batch %s has %d of %d keys", round, b.name, n, b.keys)
		default:
			t.Fatalf("round %d: unsynced batch %s is partial: %d of %d keys", round, b.name, n, b.keys)
		}
	}
	return out
}

// TestCrashRecovery writes synced and unsynced batches, crash-clones the
// filesystem keeping a varying share of unsynced data, reopens from the
// clone and checks durability and atomicity; the recovered database carries
// on into the next round, so recovery of recovered databases is covered too.
func TestCrashRecovery(t *testing.T) {
	rounds := 40
	if testing.Short() {
		rounds = 10
	}
	percents := []int{0, 10, 50, 90, 100}
	fs := NewCrashableMemFS()
	db, err := Open("db", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	var m crashModel
	survivedUnsynced, totalUnsynced := 0, 0
	for round := range rounds {
		for i := range 3 {
			name := fmt.Sprintf("r%02d-s%d", round, i)
			writeBatch(t, db, name, 50, true)
			m.batches = append(m.batches, crashBatch{name: name, keys: 50, synced: true})
		}
		for i := range 3 {
			name := fmt.Sprintf("r%02d-u%d", round, i)
			writeBatch(t, db, name, 100, false)
			m.batches = append(m.batches, crashBatch{name: name, keys: 100})
		}
		// Half the rounds crash at once (unsynced data is mostly still in
		// pebble's buffer); the others first push it into the WAL file, so
		// the clone's random choice of unsynced blocks decides what survives.
		flushed := round%2 == 1
		unsynced := 3
		if flushed {
			n0 := len(m.batches)
			pushToFile(t, db, fs, &m, m.batches[n0-1], round)
			unsynced += len(m.batches) - n0
		}
		pct := percents[round%len(percents)]
		clone := fs.CrashClone(CrashCloneCfg{
			UnsyncedDataPercent: pct,
			RNG:                 rand.New(rand.NewPCG(uint64(round), 42)),
		})
		if err := db.Close(); err != nil {
			t.Fatalf("round %d: close: %v", round, err)
		}
		fs = clone
		if db, err = Open("db", Options{FS: fs}); err != nil {
			t.Fatalf("round %d (%d%% unsynced kept): reopen after crash: %v", round, pct, err)
		}
		before := len(m.batches)
		m = m.verify(t, db, round)
		kept := len(m.batches) - (before - unsynced)
		if pct == 0 && kept != 0 {
			t.Fatalf("round %d: with no unsynced data kept, %d unsynced batches survived", round, kept)
		}
		if pct == 100 && flushed && kept < 3 {
			t.Fatalf("round %d: the clone kept all written WAL data, yet only %d unsynced batches survived", round, kept)
		}
		survivedUnsynced += kept
		totalUnsynced += unsynced
	}
	t.Logf("%d of %d unsynced batches survived their crash", survivedUnsynced, totalUnsynced)
	if survivedUnsynced == 0 {
		t.Fatal("no unsynced batch ever survived: the crash clones kept no unsynced data, so atomicity was not exercised")
	}
}

// fullCloneHas reports whether a crash that kept every byte written to
// files so far would keep batch b.
func fullCloneHas(t *testing.T, fs *MemFS, b crashBatch) bool {
	t.Helper()
	clone := fs.CrashClone(CrashCloneCfg{UnsyncedDataPercent: 100, RNG: rand.New(rand.NewPCG(0, 0))})
	db, err := Open("db", Options{FS: clone})
	if err != nil {
		t.Fatalf("open full clone: %v", err)
	}
	defer func() { _ = db.Close() }()
	return presentKeys(t, db, b) == b.keys
}

// pushToFile makes target reach the WAL file without syncing it. Pebble
// keeps the WAL's partial last block in memory until a sync or until the
// block fills, so unsynced filler batches (part of the model too) are
// written until the background flush has written target.
func pushToFile(t *testing.T, db *DB, fs *MemFS, m *crashModel, target crashBatch, round int) {
	t.Helper()
	const maxFillers = 8
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; !fullCloneHas(t, fs, target); i++ {
		if i < maxFillers {
			name := fmt.Sprintf("r%02d-v%d", round, i)
			writeBatch(t, db, name, 100, false)
			m.batches = append(m.batches, crashBatch{name: name, keys: 100})
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s never reached the WAL file", target.name)
		}
		time.Sleep(time.Millisecond) // poll interval, not a settle delay
	}
}

// TestCrashSyncCoversEarlierWrites checks that a synced commit makes the
// unsynced writes before it durable too, including Store.Put and an empty
// synced batch used as a barrier.
func TestCrashSyncCoversEarlierWrites(t *testing.T) {
	fs := NewCrashableMemFS()
	db, err := Open("db", Options{FS: fs})
	if err != nil {
		t.Fatal(err)
	}
	writeBatch(t, db, "unsynced", 100, false)
	if err := db.Put([]byte("direct"), []byte("put")); err != nil {
		t.Fatal(err)
	}
	if err := db.NewBatch().Commit(true); err != nil {
		t.Fatalf("empty synced commit: %v", err)
	}
	clone := fs.CrashClone(CrashCloneCfg{})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open("db", Options{FS: clone})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	if n := presentKeys(t, db, crashBatch{name: "unsynced"}); n != 100 {
		t.Fatalf("%d of 100 keys written before the barrier survived", n)
	}
	if v, err := db.Get([]byte("direct")); err != nil || string(v) != "put" {
		t.Fatalf("direct put after crash: %q, %v", v, err)
	}
	if _, err := db.Get([]byte("never")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("absent key: %v", err)
	}
}
