package pebblestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/bilayer/bilayer/store"
)

// countingReplayer counts replayed puts and their bytes.
type countingReplayer struct{ puts, bytes int }

func (c *countingReplayer) Put(k, v []byte) error {
	c.puts++
	c.bytes += len(k) + len(v)
	return nil
}
func (c *countingReplayer) Delete([]byte) error           { return nil }
func (c *countingReplayer) DeleteRange(_, _ []byte) error { return nil }

// TestReplayAfterLargeCommit commits a batch big enough that pebble commits
// it as a "large batch" and drops its contents; Replay must still work.
func TestReplayAfterLargeCommit(t *testing.T) {
	db := openMem(t) // minMemTableSize: pebble's large-batch threshold is ~2 MiB
	for _, size := range []int{1 << 10, 3 << 20} {
		b := db.NewBatch()
		if err := b.Put([]byte("big"), make([]byte, size)); err != nil {
			t.Fatal(err)
		}
		if err := b.Put([]byte("small"), []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
		var c countingReplayer
		if err := b.Replay(&c); err != nil {
			t.Fatalf("replay of a committed %d-byte batch: %v", size, err)
		}
		if c.puts != 2 || c.bytes != b.Size() {
			t.Fatalf("replayed %d puts / %d bytes of a %d-byte batch, want 2 / %d", c.puts, c.bytes, size, b.Size())
		}
	}
}

// recordingHandler is a slog.Handler that keeps records.
type recordingHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, r)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordingHandler) find(msg string) (slog.Record, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		if strings.Contains(r.Message, msg) {
			return r, true
		}
	}
	return slog.Record{}, false
}

func TestLoggerLevels(t *testing.T) {
	h := &recordingHandler{}
	l := &slogLogger{log: slog.New(h)}
	l.Infof("chatter %d\n", 1)
	l.Errorf("trouble %d", 2)
	func() {
		defer func() {
			if _, ok := recover().(*fatalError); !ok {
				t.Error("Fatalf did not panic with *fatalError")
			}
		}()
		l.Fatalf("doom %d", 3)
	}()
	for msg, level := range map[string]slog.Level{"chatter 1": slog.LevelDebug, "trouble 2": slog.LevelError, "pebble fatal error": slog.LevelError} {
		r, ok := h.find(msg)
		if !ok || r.Level != level {
			t.Errorf("message %q: found %v at %v, want %v", msg, ok, r.Level, level)
		}
	}
}

func TestNonFatalPanicPropagates(t *testing.T) {
	db := openMem(t)
	defer func() {
		if r := recover(); r != "boom" {
			t.Fatalf("recovered %v, want the original panic", r)
		}
	}()
	_ = db.write("test", func() error { panic("boom") })
}

func TestReopenKeepsData(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	for _, k := range []string{"a", "b", "c"} {
		if err := b.Put([]byte(k), []byte(k+k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte("d"), []byte("dd")); err != nil { // unsynced, kept by a clean Close
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	for _, k := range []string{"a", "b", "c", "d"} {
		if v, err := db.Get([]byte(k)); err != nil || string(v) != k+k {
			t.Errorf("after reopen %q = %q, %v", k, v, err)
		}
	}
	if err := db.Put([]byte("e"), nil); err == nil {
		t.Error("put on a read-only database succeeded")
	}
}

func TestStatAndCompact(t *testing.T) {
	db := openMem(t)
	for i := range 100 {
		if err := db.Put([]byte{byte(i)}, []byte("v")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Compact(nil, nil); err != nil {
		t.Fatalf("compact: %v", err)
	}
	if v, err := db.Get([]byte{7}); err != nil || string(v) != "v" {
		t.Fatalf("after compaction: %q, %v", v, err)
	}
	s, err := db.Stat()
	if err != nil || !strings.Contains(s, "L6") && !strings.Contains(s, "6") {
		t.Fatalf("stat = %q, %v", s, err)
	}
	_ = db.Close()
	if _, err := db.Stat(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("stat after close: %v", err)
	}
	if err := db.Compact(nil, nil); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("compact after close: %v", err)
	}
}

func TestOpenFailsCleanly(t *testing.T) {
	fs := NewMemFS()
	f, err := fs.Create("notadir", vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	if _, err := Open("notadir", Options{FS: fs, Logger: slog.New(slog.DiscardHandler)}); err == nil {
		t.Fatal("open over a regular file succeeded")
	}
}

// TestSizedBatchIsNotGrownByCopying: a batch started with room for its
// operations allocates about their size once, where a batch grown as it
// fills allocates about twice as much. The counter is the process's, so
// the measured batches are not committed (a large commit sets pebble's
// flushes going in the background), and each kind is measured three times,
// the least counting.
func TestSizedBatchIsNotGrownByCopying(t *testing.T) {
	db := openMem(t)
	const n, valueLen = 4_000, 500
	size := n * (valueLen + 32 + 16)
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key-%08d", i))
	}
	value := bytes.Repeat([]byte{'v'}, valueLen)
	fill := func(b store.Batch) store.Batch {
		for _, k := range keys {
			if err := b.Put(k, value); err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	allocated := func(newBatch func() store.Batch) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		fill(newBatch())
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	newSized := func() store.Batch { return db.NewBatchWithSize(size) }
	grown, sized := uint64(math.MaxUint64), uint64(math.MaxUint64)
	for range 3 {
		grown = min(grown, allocated(db.NewBatch))
		sized = min(sized, allocated(newSized))
	}
	if sized*3 > grown*2 {
		t.Fatalf("filling a sized batch allocated %d bytes, a grown one %d: want at most two thirds", sized, grown)
	}
	if err := fill(newSized()).Commit(false); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Get(keys[n-1]); err != nil || !bytes.Equal(got, value) {
		t.Fatalf("last value written by a sized batch: %q, %v", got, err)
	}
}

// TestWriteOnceBatchIsNotCopied: a large committed batch is copied so that
// Replay still works after pebble took its memory for a memtable, but a
// write-once batch (a block's trie nodes, which nothing replays) is
// committed without that copy, so its Replay fails, and its writes are all
// there.
func TestWriteOnceBatchIsNotCopied(t *testing.T) {
	db := openMem(t)
	const n, valueLen = 4_000, 500
	size := n * (valueLen + 32 + 16)
	value := bytes.Repeat([]byte{'v'}, valueLen)
	fill := func(b store.Batch, prefix string) (store.Batch, [][]byte) {
		keys := make([][]byte, n)
		for i := range keys {
			keys[i] = []byte(fmt.Sprintf("%s-%08d", prefix, i))
			if err := b.Put(keys[i], value); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(false); err != nil {
			t.Fatal(err)
		}
		return b, keys
	}
	once, keys := fill(db.NewWriteOnceBatch(size), "once")
	for _, k := range [][]byte{keys[0], keys[n/2], keys[n-1]} {
		if got, err := db.Get(k); err != nil || !bytes.Equal(got, value) {
			t.Fatalf("%s written by a write-once batch: %q, %v", k, got, err)
		}
	}
	if saved := once.(*batch).saved; saved != nil {
		t.Fatalf("a write-once batch kept a %d-byte copy", len(saved))
	}
	if err := once.Replay(&countingWriter{}); !errors.Is(err, errReplayLost) {
		t.Fatalf("replay of a large write-once batch after its commit: %v, want its contents gone", err)
	}
	sized, _ := fill(db.NewBatchWithSize(size), "sized")
	var r countingWriter
	if err := sized.Replay(&r); err != nil || r.puts != n {
		t.Fatalf("replay of a committed large batch: %d puts, %v", r.puts, err)
	}
}

// countingWriter counts the operations a Replay hands it.
type countingWriter struct{ puts, deletes, ranges int }

func (w *countingWriter) Put(_, _ []byte) error         { w.puts++; return nil }
func (w *countingWriter) Delete(_ []byte) error         { w.deletes++; return nil }
func (w *countingWriter) DeleteRange(_, _ []byte) error { w.ranges++; return nil }
