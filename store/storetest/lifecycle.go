package storetest

import (
	"errors"
	"testing"

	"github.com/bilayer/bilayer/store"
)

func testClosed(t *testing.T, open Opener) {
	s := open(t)
	mustPut(t, s, []byte("k"), []byte("v"))
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.Get([]byte("k")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("get: %v, want ErrClosed", err)
	}
	if _, err := s.Has([]byte("k")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("has: %v, want ErrClosed", err)
	}
	if err := s.Put([]byte("k"), nil); !errors.Is(err, store.ErrClosed) {
		t.Errorf("put: %v, want ErrClosed", err)
	}
	if err := s.Delete([]byte("k")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("delete: %v, want ErrClosed", err)
	}
	it := s.NewIterator(nil, nil)
	if it.Next() {
		t.Error("iterator on a closed store yielded an entry")
	}
	if err := it.Error(); !errors.Is(err, store.ErrClosed) {
		t.Errorf("iterator error: %v, want ErrClosed", err)
	}
	it.Release()
	b := s.NewBatch()
	if err := b.Put([]byte("k2"), []byte("v")); err != nil {
		t.Errorf("batch put on closed store: %v, want nil", err)
	}
	if err := b.Commit(true); !errors.Is(err, store.ErrClosed) {
		t.Errorf("batch commit: %v, want ErrClosed", err)
	}
	if err := s.NewBatch().Commit(false); !errors.Is(err, store.ErrClosed) {
		t.Errorf("empty batch commit: %v, want ErrClosed", err)
	}
}

func testCloseReleasesIterators(t *testing.T, open Opener) {
	s := open(t)
	for _, k := range []string{"a", "b", "c"} {
		mustPut(t, s, []byte(k), []byte(k))
	}
	it := s.NewIterator(nil, nil)
	if !it.Next() || string(it.Key()) != "a" {
		t.Fatal("iterator did not start at a")
	}
	kept := it.Key()
	if err := s.Close(); err != nil {
		t.Fatalf("close with an open iterator: %v", err)
	}
	if it.Next() {
		t.Fatal("iterator moved after its store closed")
	}
	if err := it.Error(); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("iterator error after close: %v, want ErrClosed", err)
	}
	it.Release()
	it.Release()
	if string(kept) != "a" {
		t.Fatalf("key returned before close changed to %q", kept)
	}
}
