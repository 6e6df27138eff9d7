package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/bilayer/bilayer/store"
)

func testGetPutDeleteHas(t *testing.T, open Opener) {
	s := open(t)
	key, val := []byte("alpha"), []byte("one")
	wantAbsent(t, s, key)
	mustPut(t, s, key, val)
	wantValue(t, s, key, val)
	if err := s.Delete(key); err != nil {
		t.Fatalf("delete: %v", err)
	}
	wantAbsent(t, s, key)
	if err := s.Delete([]byte("never-written")); err != nil {
		t.Fatalf("delete of absent key: %v", err)
	}
}

func testNotFound(t *testing.T, open Opener) {
	s := open(t)
	mustPut(t, s, []byte("k1"), []byte("v"))
	for _, k := range []string{"k", "k0", "k10", "k2", ""} {
		if _, err := s.Get([]byte(k)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("get %q: err = %v, want ErrNotFound", k, err)
		}
	}
}

func testOverwrite(t *testing.T, open Opener) {
	s := open(t)
	key := []byte("key")
	for i := range 5 {
		val := []byte(fmt.Sprintf("value-%d", i))
		mustPut(t, s, key, val)
		wantValue(t, s, key, val)
	}
	b := s.NewBatch()
	mustPut(t, b, key, []byte("batch-1"))
	mustPut(t, b, key, []byte("batch-2"))
	commit(t, b, false)
	wantValue(t, s, key, []byte("batch-2"))
}

func testEmptyKeyAndValue(t *testing.T, open Opener) {
	s := open(t)
	mustPut(t, s, []byte{}, []byte("empty key"))
	wantValue(t, s, nil, []byte("empty key"))
	mustPut(t, s, []byte("nil-value"), nil)
	got := mustGet(t, s, []byte("nil-value"))
	if got == nil || len(got) != 0 {
		t.Fatalf("nil value read back as %#v, want non-nil empty slice", got)
	}
	// Deleting the empty key deletes only that key.
	if err := s.Delete(nil); err != nil {
		t.Fatalf("delete empty key: %v", err)
	}
	wantAbsent(t, s, []byte{})
	wantValue(t, s, []byte("nil-value"), []byte{})
}

func testKeyTooLong(t *testing.T, open Opener) {
	s := open(t)
	ok := bytes.Repeat([]byte{0xff}, store.MaxKeyLen)
	long := append(bytes.Clone(ok), 0)
	mustPut(t, s, ok, []byte("max"))
	wantValue(t, s, ok, []byte("max"))
	if err := s.Put(long, nil); !errors.Is(err, store.ErrKeyTooLong) {
		t.Fatalf("put of %d-byte key: %v, want ErrKeyTooLong", len(long), err)
	}
	b := s.NewBatch()
	if err := b.Put(long, nil); !errors.Is(err, store.ErrKeyTooLong) {
		t.Fatalf("batch put of %d-byte key: %v, want ErrKeyTooLong", len(long), err)
	}
	// A range with an unbounded end removes even the longest valid key.
	if err := b.DeleteRange([]byte{0xfe}, nil); err != nil {
		t.Fatalf("delete range: %v", err)
	}
	commit(t, b, false)
	wantAbsent(t, s, ok)
}

func testLargeValue(t *testing.T, open Opener) {
	s := open(t)
	big := make([]byte, 4<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	mustPut(t, s, []byte("big-direct"), big)
	b := s.NewBatch()
	mustPut(t, b, []byte("big-batch"), big)
	mustPut(t, b, []byte("small"), []byte("x"))
	commit(t, b, true)
	wantValue(t, s, []byte("big-direct"), big)
	wantValue(t, s, []byte("big-batch"), big)
	got := collect(t, s.NewIterator([]byte("big-"), nil))
	if len(got) != 2 || got[0].v != string(big) || got[1].v != string(big) {
		t.Fatalf("iterated %d large values, want 2 equal to the input", len(got))
	}
}

func testNoAliasing(t *testing.T, open Opener) {
	s := open(t)
	key, val := []byte("key-1"), []byte("value-1")
	mustPut(t, s, key, val)
	key[4], val[6] = '9', '9' // the caller reuses its buffers
	wantValue(t, s, []byte("key-1"), []byte("value-1"))

	b := s.NewBatch()
	bk, bv := []byte("key-2"), []byte("value-2")
	mustPut(t, b, bk, bv)
	bk[4], bv[6] = '9', '9'
	commit(t, b, false)
	wantValue(t, s, []byte("key-2"), []byte("value-2"))

	got := mustGet(t, s, []byte("key-1"))
	got[0] = 'X'
	wantValue(t, s, []byte("key-1"), []byte("value-1"))

	it := s.NewIterator([]byte("key-"), nil)
	defer it.Release()
	var keys, vals [][]byte
	for it.Next() {
		k, v := it.Key(), it.Value()
		keys, vals = append(keys, k), append(vals, v)
		k[0], v[0] = 'X', 'X' // must not corrupt the store or later results
	}
	if len(keys) != 2 {
		t.Fatalf("iterated %d keys, want 2", len(keys))
	}
	for i := range keys {
		wantK, wantV := fmt.Sprintf("Xey-%d", i+1), fmt.Sprintf("Xalue-%d", i+1)
		if string(keys[i]) != wantK || string(vals[i]) != wantV {
			t.Fatalf("entry %d = %q=%q, want %q=%q: changed by a later Next", i, keys[i], vals[i], wantK, wantV)
		}
	}
	wantValue(t, s, []byte("key-2"), []byte("value-2"))
}

func testConcurrentReadWrite(t *testing.T, open Opener) {
	s := open(t)
	const workers, perWorker = 4, 200
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				k := []byte(fmt.Sprintf("w%d-%04d", w, i))
				if err := s.Put(k, k); err != nil {
					errs <- err
					return
				}
				v, err := s.Get(k)
				if err != nil || !bytes.Equal(v, k) {
					errs <- fmt.Errorf("get %q = %q, %v", k, v, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := len(collect(t, s.NewIterator(nil, nil))); n != workers*perWorker {
		t.Fatalf("store holds %d keys, want %d", n, workers*perWorker)
	}
}
