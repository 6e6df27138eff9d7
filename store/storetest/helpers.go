package storetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/bilayer/bilayer/store"
)

type kv struct{ k, v string }

// mustPut writes key=value or fails the test.
func mustPut(t *testing.T, w store.Writer, key, value []byte) {
	t.Helper()
	if err := w.Put(key, value); err != nil {
		t.Fatalf("put %q: %v", key, err)
	}
}

// mustGet reads key, failing the test on any error.
func mustGet(t *testing.T, r store.Reader, key []byte) []byte {
	t.Helper()
	v, err := r.Get(key)
	if err != nil {
		t.Fatalf("get %q: %v", key, err)
	}
	return v
}

// wantAbsent checks that Has says false and Get says ErrNotFound.
func wantAbsent(t *testing.T, r store.Reader, key []byte) {
	t.Helper()
	if ok, err := r.Has(key); err != nil || ok {
		t.Fatalf("has %q = %v, %v; want false, nil", key, ok, err)
	}
	if v, err := r.Get(key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get %q = %q, %v; want ErrNotFound", key, v, err)
	}
}

// wantValue checks that key holds want.
func wantValue(t *testing.T, r store.Reader, key, want []byte) {
	t.Helper()
	if ok, err := r.Has(key); err != nil || !ok {
		t.Fatalf("has %q = %v, %v; want true, nil", key, ok, err)
	}
	if got := mustGet(t, r, key); !bytes.Equal(got, want) {
		t.Fatalf("get %q = %q; want %q", key, got, want)
	}
}

// collect drains an iterator into key/value pairs and releases it.
func collect(t *testing.T, it store.Iterator) []kv {
	t.Helper()
	defer it.Release()
	var out []kv
	for it.Next() {
		out = append(out, kv{string(it.Key()), string(it.Value())})
	}
	if err := it.Error(); err != nil {
		t.Fatalf("iterate: %v", err)
	}
	return out
}

// keysOf returns just the keys of pairs.
func keysOf(pairs []kv) []string {
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k
	}
	return out
}

// commit commits b or fails the test.
func commit(t *testing.T, b store.Batch, sync bool) {
	t.Helper()
	if err := b.Commit(sync); err != nil {
		t.Fatalf("commit: %v", err)
	}
}
