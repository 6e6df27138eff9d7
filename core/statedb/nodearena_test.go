package statedb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestNodeCacheCompactionKeepsBlobs: nodes written over again and again
// leave dead bytes in the arena, which compaction gives back, moving the
// live entries (a shallow node's superseded chunk is let go at once); every node cached is still answered with its own bytes, a
// blob handed out before a compaction keeps its bytes after it (the trie
// holds slices of the blobs it decodes), and an append to a handed-out
// blob cannot write over the next entry.
func TestNodeCacheCompactionKeepsBlobs(t *testing.T) {
	const budget, nodes = 1 << 20, 2000
	c := newNodeCache(budget)
	rng := rand.New(rand.NewPCG(3, 4))
	current := make([][]byte, nodes)
	version := func(i, round int) []byte {
		blob := make([]byte, 50+rng.IntN(450))
		for j := range blob {
			blob[j] = byte(i + round + j)
		}
		return blob
	}
	// The first 200 nodes lie near the root (shallowDepth), each in a
	// chunk of its own; the rest share chunks.
	const shallow = 200
	path := func(i int) []byte {
		if i < shallow {
			return []byte{byte(i % 16), byte(i / 16)}
		}
		return []byte(fmt.Sprintf("node %d", i))
	}
	type held struct{ blob, want []byte }
	var handedOut []held
	for round := range 30 {
		for i := range nodes {
			current[i] = version(i, round)
			c.put(common.Hash{}, path(i), crypto.Keccak256Hash(current[i]), current[i])
		}
		for i := 0; i < nodes; i += 97 {
			blob, ok := c.get(common.Hash{}, path(i), crypto.Keccak256Hash(current[i]))
			if !ok {
				t.Fatalf("round %d: node %d not answered", round, i)
			}
			if cap(blob) != len(blob) {
				t.Fatalf("a blob handed out has room for %d more bytes after it", cap(blob)-len(blob))
			}
			handedOut = append(handedOut, held{blob, bytes.Clone(current[i])})
		}
	}
	for i := range nodes {
		blob, ok := c.get(common.Hash{}, path(i), crypto.Keccak256Hash(current[i]))
		if !ok || !bytes.Equal(blob, current[i]) {
			t.Fatalf("node %d: answered %v with %d bytes, want its %d", i, ok, len(blob), len(current[i]))
		}
	}
	for i, h := range handedOut {
		if !bytes.Equal(h.blob, h.want) {
			t.Fatalf("blob %d handed out earlier changed after compactions", i)
		}
	}
	if _, _, entries, _ := c.stats(); entries != nodes {
		t.Fatalf("%d entries, want %d (the budget holds them all)", entries, nodes)
	}
	// Thirty versions of about 550 KB were written into a 1 MiB budget:
	// without compaction the arena would hold them all.
	if got := c.arenaBytes(); got > 2*budget+arenaChunkSize {
		t.Fatalf("the arena takes %d bytes for a budget of %d", got, budget)
	}
	if c.dead > budget/4+arenaChunkSize {
		t.Fatalf("%d dead bytes left in the arena, budget %d", c.dead, budget)
	}
	live, singles := 0, 0
	for _, ch := range c.chunks {
		if ch != nil {
			live += ch.live
		}
		if ch != nil && ch.single {
			singles++
		}
	}
	if want := c.size - len(c.index)*indexSlotCost; live != want {
		t.Fatalf("chunks count %d live bytes, the index %d", live, want)
	}
	if singles != shallow {
		t.Fatalf("%d chunks of one node, want %d (one per shallow node: a superseded one frees its chunk)", singles, shallow)
	}
}

// TestNodeCacheReadsWhileCompacting: readers that get nodes while a
// writer supersedes them, filling chunks, evicting and compacting, only
// ever see a blob whose hash is the one they asked for, and the blobs they
// were handed keep their bytes after the writer is done (run with -race).
func TestNodeCacheReadsWhileCompacting(t *testing.T) {
	const budget, positions, versions = 256 << 10, 1500, 12
	c := newNodeCache(budget)
	blobOf := func(i, v int) []byte {
		blob := make([]byte, 60+(i*7+v*13)%400)
		for j := range blob {
			blob[j] = byte(i*31 + v*17 + j)
		}
		return blob
	}
	path := func(i int) []byte {
		if i%10 == 0 {
			return []byte{byte(i % 16), byte(i / 16 % 16)} // shallow: chunks of their own
		}
		return []byte(fmt.Sprintf("p%d", i))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	for r := range 3 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			var kept [][]byte
			var hashes []common.Hash
			for {
				select {
				case <-done:
					for k, blob := range kept {
						if crypto.Keccak256Hash(blob) != hashes[k] {
							t.Errorf("reader %d: a blob it was handed changed", r)
							return
						}
					}
					return
				default:
				}
				i, v := rng.IntN(positions), rng.IntN(versions)
				want := crypto.Keccak256Hash(blobOf(i, v))
				if blob, ok := c.get(common.Hash{}, path(i), want); ok {
					if crypto.Keccak256Hash(blob) != want {
						t.Errorf("reader %d: node %d version %d answered with another node's bytes", r, i, v)
						return
					}
					if len(kept) < 2000 {
						kept, hashes = append(kept, blob), append(hashes, want)
					}
				}
			}
		})
	}
	for v := range versions {
		for i := range positions {
			blob := blobOf(i, v)
			c.put(common.Hash{}, path(i), crypto.Keccak256Hash(blob), blob)
		}
	}
	close(done)
	wg.Wait()
	// Compaction's promise after every put: dead bytes past a quarter of
	// the budget are left only where no chunk is worth compacting (each
	// other chunk more than half live; the head chunk is being filled).
	// Which entries evictions drop, and so where the dead bytes fall,
	// depends on what the readers touched, so the dead bytes themselves
	// vary from run to run.
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead <= budget/4 {
		return
	}
	for id, ch := range c.chunks {
		if ch != nil && !ch.single && uint32(id) != c.head && ch.live*2 <= len(ch.buf) {
			t.Fatalf("%d dead bytes left after the writes, budget %d, and chunk %d is %d of %d bytes live: compaction did not keep up",
				c.dead, budget, id, ch.live, len(ch.buf))
		}
	}
}

// TestEntryRefKeepsItsFields: an index slot's location, leaf flag and
// round are set and read apart from each other.
func TestEntryRefKeepsItsFields(t *testing.T) {
	for _, tc := range []struct {
		chunk uint32
		off   int
		leaf  bool
		round uint32
	}{{0, 0, false, 0}, {1<<refChunkBits - 1, arenaChunkSize - 1, true, refRoundMask}, {12345, 777, true, 3}, {7, 1, false, refRoundMask + 5}} {
		r := makeRef(tc.chunk, tc.off).withLeaf(tc.leaf).withReusedIn(tc.round)
		if r.chunk() != tc.chunk || r.offset() != tc.off || r.leaf() != tc.leaf || r.reusedIn() != roundBits(tc.round) {
			t.Fatalf("%+v: read back chunk %d offset %d leaf %v round %d", tc, r.chunk(), r.offset(), r.leaf(), r.reusedIn())
		}
		if r.where() != makeRef(tc.chunk, tc.off) {
			t.Fatalf("%+v: location %x, want %x", tc, r.where(), makeRef(tc.chunk, tc.off))
		}
		if again := r.withReusedIn(1).withLeaf(!tc.leaf); again.where() != r.where() || again.reusedIn() != 1 || again.leaf() == tc.leaf {
			t.Fatalf("%+v: rewriting the flags changed the location or missed", tc)
		}
	}
}

// cachedAndPlain is the same chain kept twice: through a DB with a node
// cache, and through one without, over separate disks.
