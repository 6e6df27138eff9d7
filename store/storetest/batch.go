package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bilayer/bilayer/store"
)

func testBatchNotVisibleBeforeCommit(t *testing.T, open Opener) {
	s := open(t)
	mustPut(t, s, []byte("doomed"), []byte("x"))
	b := s.NewBatch()
	for i := range 100 {
		mustPut(t, b, []byte(fmt.Sprintf("b%03d", i)), []byte("v"))
	}
	if err := b.Delete([]byte("doomed")); err != nil {
		t.Fatal(err)
	}
	wantAbsent(t, s, []byte("b000"))
	wantValue(t, s, []byte("doomed"), []byte("x"))
	if n := len(collect(t, s.NewIterator([]byte("b"), nil))); n != 0 {
		t.Fatalf("%d batch keys visible before commit", n)
	}
	commit(t, b, false)
	if n := len(collect(t, s.NewIterator([]byte("b"), nil))); n != 100 {
		t.Fatalf("%d batch keys visible after commit, want 100", n)
	}
	wantAbsent(t, s, []byte("doomed"))
}

// testBatchAtomicVisibility has readers count the batch's keys while it
// commits: every count must be all or nothing.
func testBatchAtomicVisibility(t *testing.T, open Opener) {
	s := open(t)
	const n, rounds = 200, 10
	var stop atomic.Bool
	var wg sync.WaitGroup
	partial := make(chan int, 1)
	wg.Go(func() {
		for !stop.Load() {
			it := s.NewIterator([]byte("a"), nil)
			count := 0
			for it.Next() {
				count++
			}
			it.Release()
			if count%n != 0 {
				select {
				case partial <- count:
				default:
				}
				return
			}
		}
	})
	for r := range rounds {
		b := s.NewBatch()
		for i := range n {
			mustPut(t, b, []byte(fmt.Sprintf("a%02d-%04d", r, i)), []byte("v"))
		}
		commit(t, b, false)
	}
	stop.Store(true)
	wg.Wait()
	select {
	case c := <-partial:
		t.Fatalf("a reader saw %d keys: a partial batch of %d", c, n)
	default:
	}
}

func testBatchOperationOrder(t *testing.T, open Opener) {
	s := open(t)
	for _, k := range []string{"1", "2", "3"} {
		mustPut(t, s, []byte(k), []byte("old"))
	}
	b := s.NewBatch()
	mustPut(t, b, []byte("4"), []byte("put-then-delete"))
	if err := b.Delete([]byte("4")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete([]byte("1")); err != nil { // delete then put
		t.Fatal(err)
	}
	mustPut(t, b, []byte("1"), []byte("new"))
	mustPut(t, b, []byte("25"), []byte("put-then-range-delete"))
	if err := b.DeleteRange([]byte("2"), []byte("3")); err != nil {
		t.Fatal(err)
	}
	mustPut(t, b, []byte("2"), []byte("after-range"))
	commit(t, b, false)
	got := collect(t, s.NewIterator(nil, nil))
	want := []kv{{"1", "new"}, {"2", "after-range"}, {"3", "old"}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func testBatchDeleteRange(t *testing.T, open Opener) {
	cases := []struct {
		start, end []byte
		want       []string
	}{
		{[]byte("b"), []byte("d"), []string{"a", "d", "e"}},
		{[]byte("b"), []byte("b"), []string{"a", "b", "c", "d", "e"}},
		{[]byte("d"), []byte("b"), []string{"a", "b", "c", "d", "e"}},
		{nil, []byte("c"), []string{"c", "d", "e"}},
		{[]byte("c"), nil, []string{"a", "b"}},
		{nil, nil, nil},
		{[]byte("bb"), []byte("cc"), []string{"a", "b", "d", "e"}},
	}
	for i, c := range cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			s := open(t)
			for _, k := range []string{"a", "b", "c", "d", "e"} {
				mustPut(t, s, []byte(k), []byte(k))
			}
			b := s.NewBatch()
			if err := b.DeleteRange(c.start, c.end); err != nil {
				t.Fatal(err)
			}
			wantValue(t, s, []byte("c"), []byte("c"))
			commit(t, b, false)
			if got := keysOf(collect(t, s.NewIterator(nil, nil))); !slices.Equal(got, c.want) {
				t.Fatalf("delete range [%q, %q): left %q, want %q", c.start, c.end, got, c.want)
			}
		})
	}
}

func testBatchLenSize(t *testing.T, open Opener) {
	s := open(t)
	b := s.NewBatch()
	if b.Len() != 0 || b.Size() != 0 {
		t.Fatalf("new batch Len %d Size %d, want 0 0", b.Len(), b.Size())
	}
	mustPut(t, b, []byte("key"), []byte("value"))    // 8 bytes
	if err := b.Delete([]byte("gone")); err != nil { // 4 bytes
		t.Fatal(err)
	}
	if err := b.DeleteRange([]byte("a"), []byte("b")); err != nil { // 2 bytes
		t.Fatal(err)
	}
	if b.Len() != 3 || b.Size() != 14 {
		t.Fatalf("Len %d Size %d, want 3 14", b.Len(), b.Size())
	}
	commit(t, b, false)
	if b.Len() != 3 || b.Size() != 14 {
		t.Fatalf("after commit Len %d Size %d, want 3 14", b.Len(), b.Size())
	}
	b.Reset()
	if b.Len() != 0 || b.Size() != 0 {
		t.Fatalf("after reset Len %d Size %d, want 0 0", b.Len(), b.Size())
	}
}

// recorder is a store.BatchWriter that logs what it receives.
type recorder struct{ ops []string }

// Put implements store.BatchWriter.
func (r *recorder) Put(k, v []byte) error {
	r.ops = append(r.ops, fmt.Sprintf("put %q=%q", k, v))
	return nil
}

// Delete implements store.BatchWriter.
func (r *recorder) Delete(k []byte) error {
	r.ops = append(r.ops, fmt.Sprintf("del %q", k))
	return nil
}

// DeleteRange implements store.BatchWriter.
func (r *recorder) DeleteRange(start, end []byte) error {
	r.ops = append(r.ops, fmt.Sprintf("delrange %q %v", start, end))
	return nil
}

func testBatchReplay(t *testing.T, open Opener) {
	s := open(t)
	b := s.NewBatch()
	mustPut(t, b, []byte("k1"), []byte("v1"))
	if err := b.Delete([]byte("k0")); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteRange([]byte("r"), []byte("s")); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteRange([]byte("z"), nil); err != nil {
		t.Fatal(err)
	}
	mustPut(t, b, []byte("k2"), nil)
	want := []string{`put "k1"="v1"`, `del "k0"`, `delrange "r" [115]`, `delrange "z" []`, `put "k2"=""`}
	var r recorder
	if err := b.Replay(&r); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.ops, want) {
		t.Fatalf("replay before commit:\n got %q\nwant %q", r.ops, want)
	}
	commit(t, b, false)
	r.ops = nil
	if err := b.Replay(&r); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.ops, want) {
		t.Fatalf("replay after commit:\n got %q\nwant %q", r.ops, want)
	}
	// Replaying into another batch and committing reproduces the effect.
	s2 := open(t)
	mustPut(t, s2, []byte("k0"), []byte("x"))
	mustPut(t, s2, []byte("r1"), []byte("x"))
	mustPut(t, s2, []byte("zz"), []byte("x"))
	b2 := s2.NewBatch()
	if err := b.Replay(b2); err != nil {
		t.Fatal(err)
	}
	commit(t, b2, false)
	got := collect(t, s2.NewIterator(nil, nil))
	if wantKV := []kv{{"k1", "v1"}, {"k2", ""}}; !slices.Equal(got, wantKV) {
		t.Fatalf("replayed store holds %v, want %v", got, wantKV)
	}
}

func testBatchCommittedIsReadOnly(t *testing.T, open Opener) {
	s := open(t)
	b := s.NewBatch()
	mustPut(t, b, []byte("a"), []byte("1"))
	commit(t, b, false)
	if err := b.Put([]byte("b"), nil); !errors.Is(err, store.ErrBatchCommitted) {
		t.Fatalf("put after commit: %v, want ErrBatchCommitted", err)
	}
	if err := b.Delete([]byte("a")); !errors.Is(err, store.ErrBatchCommitted) {
		t.Fatalf("delete after commit: %v, want ErrBatchCommitted", err)
	}
	if err := b.DeleteRange(nil, nil); !errors.Is(err, store.ErrBatchCommitted) {
		t.Fatalf("delete range after commit: %v, want ErrBatchCommitted", err)
	}
	if err := b.Commit(false); !errors.Is(err, store.ErrBatchCommitted) {
		t.Fatalf("second commit: %v, want ErrBatchCommitted", err)
	}
	b.Reset()
	mustPut(t, b, []byte("b"), []byte("2"))
	commit(t, b, true)
	wantValue(t, s, []byte("a"), []byte("1"))
	wantValue(t, s, []byte("b"), []byte("2"))
}

func testBatchResetDiscards(t *testing.T, open Opener) {
	s := open(t)
	b := s.NewBatch()
	mustPut(t, b, []byte("discarded"), []byte("x"))
	b.Reset()
	mustPut(t, b, []byte("kept"), []byte("y"))
	commit(t, b, false)
	wantAbsent(t, s, []byte("discarded"))
	wantValue(t, s, []byte("kept"), []byte("y"))
}

func testBatchSyncCommit(t *testing.T, open Opener) {
	s := open(t)
	mustPut(t, s, []byte("unsynced"), []byte("x"))
	b := s.NewBatch()
	commit(t, b, true) // empty synced batch: a durability barrier
	for i := range 3 {
		b := s.NewBatch()
		mustPut(t, b, []byte(fmt.Sprintf("s%d", i)), []byte("v"))
		commit(t, b, true)
	}
	if n := len(collect(t, s.NewIterator([]byte("s"), nil))); n != 3 {
		t.Fatalf("%d synced keys, want 3", n)
	}
}
