package ethdbadapter

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/dbtest"

	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	pebblestore "github.com/bilayer/bilayer/store/pebble"
)

// openPebble opens a pebble store on an in-memory filesystem.
func openPebble(t *testing.T) store.Store {
	t.Helper()
	db, err := pebblestore.Open("db", pebblestore.Options{FS: pebblestore.NewMemFS()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// neighbours writes keys just outside the namespace "t" that the adapter
// must never see or touch.
var neighbourKeys = [][]byte{{}, {'s'}, {'s', 0xff}, {'u'}, {'u', 0}}

func addNeighbours(t *testing.T, s store.Store) {
	t.Helper()
	for _, k := range neighbourKeys {
		if err := s.Put(k, []byte("neighbour")); err != nil {
			t.Fatal(err)
		}
	}
}

func checkNeighbours(t *testing.T, s store.Store) {
	t.Helper()
	for _, k := range neighbourKeys {
		if v, err := s.Get(k); err != nil || string(v) != "neighbour" {
			t.Errorf("key %x outside the namespace: %q, %v", k, v, err)
		}
	}
}

// TestDatabaseSuite runs go-ethereum's own ethdb conformance suite.
func TestDatabaseSuite(t *testing.T) {
	backends := map[string]func(t *testing.T) store.Store{
		"memdb":  func(t *testing.T) store.Store { return memdb.New() },
		"pebble": openPebble,
	}
	for name, open := range backends {
		for _, prefix := range []string{"", "t"} {
			t.Run(name+"/prefix="+prefix, func(t *testing.T) {
				var stores []store.Store
				dbtest.TestDatabaseSuite(t, func() ethdb.KeyValueStore {
					s := open(t)
					if prefix != "" {
						addNeighbours(t, s)
					}
					stores = append(stores, s)
					return New(s, []byte(prefix))
				})
				if prefix != "" {
					for _, s := range stores {
						checkNeighbours(t, s)
					}
				}
				for _, s := range stores {
					_ = s.Close()
				}
			})
		}
	}
}

func TestNamespaceIsolation(t *testing.T) {
	s := memdb.New()
	defer s.Close()
	addNeighbours(t, s)
	db := New(s, []byte("t"))
	for _, k := range []string{"", "a", "\xff\xff"} {
		if err := db.Put([]byte(k), []byte("in")); err != nil {
			t.Fatal(err)
		}
	}
	it := db.NewIterator(nil, nil)
	var keys []string
	for it.Next() {
		keys = append(keys, string(it.Key()))
	}
	it.Release()
	if want := []string{"", "a", "\xff\xff"}; len(keys) != 3 || keys[0] != want[0] || keys[1] != want[1] || keys[2] != want[2] {
		t.Fatalf("namespace iteration gave %q, want %q", keys, want)
	}
	if v, err := s.Get([]byte("ta")); err != nil || string(v) != "in" {
		t.Fatalf("stored key: %q, %v; want prefix+key", v, err)
	}
	if err := db.DeleteRange(nil, nil); err != nil {
		t.Fatal(err)
	}
	if ok, _ := db.Has([]byte("a")); ok {
		t.Fatal("DeleteRange(nil, nil) left a namespace key")
	}
	checkNeighbours(t, s)
}

func TestCloseDetachesOnly(t *testing.T) {
	s := memdb.New()
	defer s.Close()
	db := New(s, []byte("t"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get([]byte("k")); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("get after close: %v, want ErrClosed", err)
	}
	it := db.NewIterator(nil, nil)
	if it.Next() || !errors.Is(it.Error(), store.ErrClosed) {
		t.Fatalf("iterator after close: error %v, want ErrClosed", it.Error())
	}
	it.Release()
	if err := s.Put([]byte("k"), []byte("v")); err != nil {
		t.Fatalf("the underlying store was closed too: %v", err)
	}
}

// TestReplayStripsNamespace checks that Replay hands go-ethereum its own
// keys back, including an unbounded range end.
func TestReplayStripsNamespace(t *testing.T) {
	s := memdb.New()
	defer s.Close()
	db := New(s, []byte("t"))
	b := db.NewBatch()
	if err := b.Put([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteRange([]byte("a"), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteRange([]byte("a"), []byte("b")); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	if err := b.Replay(rec); err != nil {
		t.Fatal(err)
	}
	want := []string{"put k", "range a <nil>", "range a b"}
	if len(rec.ops) != len(want) {
		t.Fatalf("replayed %q, want %q", rec.ops, want)
	}
	for i := range want {
		if rec.ops[i] != want[i] {
			t.Fatalf("replayed %q, want %q", rec.ops, want)
		}
	}
}

type recorder struct{ ops []string }

func (r *recorder) Put(k, _ []byte) error { r.ops = append(r.ops, "put "+string(k)); return nil }
func (r *recorder) Delete(k []byte) error { r.ops = append(r.ops, "del "+string(k)); return nil }
func (r *recorder) DeleteRange(s, e []byte) error {
	end := "<nil>"
	if e != nil {
		end = string(e)
	}
	r.ops = append(r.ops, "range "+string(s)+" "+end)
	return nil
}

func TestIteratorKeyNilWhenDone(t *testing.T) {
	s := memdb.New()
	defer s.Close()
	db := New(s, []byte("t"))
	it := db.NewIterator(nil, nil)
	defer it.Release()
	if it.Next() || it.Key() != nil || !bytes.Equal(it.Value(), nil) {
		t.Fatal("empty namespace iterator yielded an entry")
	}
}

// TestSizedBatchWritesInTheNamespace: a batch started with a size hint
// writes like any other, over a store that takes the hint (pebble) and one
// that ignores it (memdb).
func TestSizedBatchWritesInTheNamespace(t *testing.T) {
	for name, s := range map[string]store.Store{"pebble": openPebble(t), "memdb": memdb.New()} {
		t.Run(name, func(t *testing.T) {
			db := New(s, []byte("t"))
			b := db.NewBatchWithSize(1 << 20)
			if err := b.Put([]byte("k"), []byte("v")); err != nil {
				t.Fatal(err)
			}
			if err := b.Write(); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Get([]byte("tk")); err != nil || string(got) != "v" {
				t.Fatalf("store holds %q, %v under the namespaced key", got, err)
			}
			if got, err := db.Get([]byte("k")); err != nil || string(got) != "v" {
				t.Fatalf("adapter reads %q, %v", got, err)
			}
		})
	}
}
