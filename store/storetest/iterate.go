package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// expectRange is the naive model: the sorted keys of content that start with
// prefix and are >= prefix+start.
func expectRange(content map[string]string, prefix, start string) []kv {
	var out []kv
	for k, v := range content {
		if strings.HasPrefix(k, prefix) && k >= prefix+start {
			out = append(out, kv{k, v})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].k < out[j].k })
	return out
}

func testIterateOrderAndBounds(t *testing.T, open Opener) {
	s := open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0x7f, 0x80, 0xfe, 0xff}
	content := map[string]string{}
	b := s.NewBatch()
	for range 400 {
		k := make([]byte, 1+rng.IntN(4))
		for i := range k {
			k[i] = alphabet[rng.IntN(len(alphabet))]
		}
		v := fmt.Sprintf("v%d", rng.Int())
		content[string(k)] = v
		mustPut(t, b, k, []byte(v))
	}
	commit(t, b, false)

	prefixes := []string{"", "a", "ab", "\x00", "\x00\x00", "\x7f", "\x80", "\xfe", "\xff", "\xff\xff", "\xfe\xff", "zz"}
	starts := []string{"", "\x00", "a", "\x80", "\xff", "\xff\xff\xff\xff"}
	for _, p := range prefixes {
		for _, st := range starts {
			got := collect(t, s.NewIterator([]byte(p), []byte(st)))
			want := expectRange(content, p, st)
			if !slices.Equal(got, want) {
				t.Fatalf("prefix %x start %x: got %d entries %x, want %d entries %x",
					p, st, len(got), keysOf(got), len(want), keysOf(want))
			}
		}
	}
	// A nil prefix is the same as an empty one.
	if got, want := collect(t, s.NewIterator(nil, nil)), expectRange(content, "", ""); !slices.Equal(got, want) {
		t.Fatalf("nil prefix: got %d entries, want %d", len(got), len(want))
	}
}

func testIteratePrefixFF(t *testing.T, open Opener) {
	s := open(t)
	keys := []string{"\xfe\xff", "\xff", "\xff\x00", "\xff\xff", "\xff\xff\x00", "\xff\xff\xff\xff"}
	for _, k := range keys {
		mustPut(t, s, []byte(k), []byte(k))
	}
	cases := map[string][]string{
		"\xff":         {"\xff", "\xff\x00", "\xff\xff", "\xff\xff\x00", "\xff\xff\xff\xff"},
		"\xff\xff":     {"\xff\xff", "\xff\xff\x00", "\xff\xff\xff\xff"},
		"\xfe":         {"\xfe\xff"},
		"\xff\xff\xff": {"\xff\xff\xff\xff"},
	}
	for p, want := range cases {
		if got := keysOf(collect(t, s.NewIterator([]byte(p), nil))); !slices.Equal(got, want) {
			t.Errorf("prefix %x: got %x, want %x", p, got, want)
		}
	}
}

func testIterateLargeRange(t *testing.T, open Opener) {
	s := open(t)
	const n = 5000
	b := s.NewBatch()
	for i := range n {
		mustPut(t, b, []byte(fmt.Sprintf("k%06d", i)), []byte{byte(i)})
	}
	mustPut(t, b, []byte("j"), nil)
	mustPut(t, b, []byte("l"), nil)
	commit(t, b, false)

	it := s.NewIterator([]byte("k"), nil)
	defer it.Release()
	count := 0
	var prev []byte
	for it.Next() {
		if want := fmt.Sprintf("k%06d", count); string(it.Key()) != want {
			t.Fatalf("entry %d is %q, want %q", count, it.Key(), want)
		}
		if v := it.Value(); len(v) != 1 || v[0] != byte(count) {
			t.Fatalf("entry %d value %x", count, v)
		}
		if prev != nil && bytes.Compare(prev, it.Key()) >= 0 {
			t.Fatalf("keys out of order: %q then %q", prev, it.Key())
		}
		prev = it.Key()
		count++
	}
	if err := it.Error(); err != nil || count != n {
		t.Fatalf("iterated %d keys (err %v), want %d", count, err, n)
	}
	if it.Next() || it.Key() != nil || it.Value() != nil {
		t.Fatal("exhausted iterator moved again or kept a current entry")
	}
}

func testIteratorSnapshot(t *testing.T, open Opener) {
	s := open(t)
	for _, k := range []string{"p1", "p3", "p5"} {
		mustPut(t, s, []byte(k), []byte("old"))
	}
	it := s.NewIterator([]byte("p"), nil)
	// Writes after creation: a new key, a deletion, an overwrite, a batch.
	mustPut(t, s, []byte("p2"), []byte("new"))
	if err := s.Delete([]byte("p3")); err != nil {
		t.Fatal(err)
	}
	mustPut(t, s, []byte("p5"), []byte("new"))
	b := s.NewBatch()
	mustPut(t, b, []byte("p4"), []byte("new"))
	commit(t, b, false)

	got := collect(t, it)
	want := []kv{{"p1", "old"}, {"p3", "old"}, {"p5", "old"}}
	if !slices.Equal(got, want) {
		t.Fatalf("iterator saw %v, want the view at creation %v", got, want)
	}
	got = collect(t, s.NewIterator([]byte("p"), nil))
	want = []kv{{"p1", "old"}, {"p2", "new"}, {"p4", "new"}, {"p5", "new"}}
	if !slices.Equal(got, want) {
		t.Fatalf("new iterator saw %v, want %v", got, want)
	}
}

func testIterateWhileWriting(t *testing.T, open Opener) {
	s := open(t)
	const n = 2000
	for i := range n {
		if i%2 == 0 {
			mustPut(t, s, []byte(fmt.Sprintf("x%05d", i)), []byte("v"))
		}
	}
	var wg sync.WaitGroup
	writeErr := make(chan error, 1)
	wg.Go(func() {
		for i := range n {
			k := []byte(fmt.Sprintf("x%05d", i))
			var err error
			if i%2 == 0 {
				err = s.Delete(k)
			} else {
				err = s.Put(k, []byte("v"))
			}
			if err != nil {
				writeErr <- err
				return
			}
		}
	})
	// Each iterator sees a snapshot, so its keys are strictly ascending and
	// every key it returns was present at some point.
	for range 20 {
		var prev string
		for _, e := range collect(t, s.NewIterator([]byte("x"), nil)) {
			if e.k <= prev {
				t.Fatalf("keys not ascending: %q after %q", e.k, prev)
			}
			prev = e.k
		}
	}
	wg.Wait()
	select {
	case err := <-writeErr:
		t.Fatalf("writer: %v", err)
	default:
	}
	got := collect(t, s.NewIterator([]byte("x"), nil))
	if len(got) != n/2 {
		t.Fatalf("after writer: %d keys, want %d", len(got), n/2)
	}
	for _, e := range got {
		var i int
		if _, err := fmt.Sscanf(e.k, "x%05d", &i); err != nil || i%2 != 1 {
			t.Fatalf("unexpected key %q after writer finished", e.k)
		}
	}
}
