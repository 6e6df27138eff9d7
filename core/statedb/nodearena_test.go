package statedb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/holiman/uint256"
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
	biggest := entryHeader + maxCachedBlob
	for _, tc := range []struct {
		chunk uint32
		off   int
		size  int
		leaf  bool
		round uint32
	}{{0, 0, 0, false, 0}, {1<<refChunkBits - 1, arenaChunkSize - 1, biggest, true, refRoundMask}, {12345, 777, 78, true, 3}, {7, 1, 566, false, refRoundMask + 5}} {
		r := makeRef(tc.chunk, tc.off).withSize(tc.size).withLeaf(tc.leaf).withReusedIn(tc.round)
		if r.chunk() != tc.chunk || r.offset() != tc.off || r.size() != tc.size || r.leaf() != tc.leaf || r.reusedIn() != roundBits(tc.round) {
			t.Fatalf("%+v: read back chunk %d offset %d size %d leaf %v round %d", tc, r.chunk(), r.offset(), r.size(), r.leaf(), r.reusedIn())
		}
		if r.where() != makeRef(tc.chunk, tc.off) {
			t.Fatalf("%+v: location %x, want %x", tc, r.where(), makeRef(tc.chunk, tc.off))
		}
		if again := r.withReusedIn(1).withLeaf(!tc.leaf); again.where() != r.where() || again.size() != tc.size || again.reusedIn() != 1 || again.leaf() == tc.leaf {
			t.Fatalf("%+v: rewriting the flags changed the location or the size, or missed", tc)
		}
	}
	if biggest > refSizeMask {
		t.Fatalf("an entry of %d bytes does not fit in %d bits", biggest, refSizeBits)
	}
}

// cachedAndPlain is the same chain kept twice: through a DB with a node
// cache, and through one without, over separate disks.

// TestNodeCacheCompactsOnlyAChunkWorthIt: dead bytes past a quarter of the
// budget, spread over chunks that are each more than half live, leave the
// chunks alone: a put then does not look through them (issue 17, session
// 29: at every put of a block's ten thousand nodes, that look was a tenth
// of a loaded validator's CPU in some seconds). Once one chunk is at most
// half live, the next put gives it up.
func TestNodeCacheCompactsOnlyAChunkWorthIt(t *testing.T) {
	const budget, blobLen = 1 << 20, 200
	c := newNodeCache(budget)
	path := func(i int) []byte { return []byte(fmt.Sprintf("deep node %d", i)) }
	blob := func(i int) []byte { return bytes.Repeat([]byte{byte(i), byte(i >> 8)}, blobLen/2) }
	perChunk := arenaChunkSize / (entryHeader + blobLen)
	const chunks = 24
	n := perChunk * chunks
	for i := range n {
		c.put(common.Hash{}, path(i), crypto.Keccak256Hash(blob(i)), blob(i))
	}
	// Drop 45 % of every chunk's nodes: each stays more than half live.
	for i := range n {
		if i%perChunk*100 < perChunk*45 {
			c.forget(common.Hash{}, path(i), crypto.Keccak256Hash(blob(i)))
		}
	}
	c.mu.Lock()
	dead, compactable := c.dead, c.compactable
	c.mu.Unlock()
	if dead <= budget/4 {
		t.Fatalf("setup: %d dead bytes, want over a quarter of the budget (%d)", dead, budget/4)
	}
	if compactable != 0 {
		t.Fatalf("setup: %d chunks counted compactable, want none (each is 55 %% live)", compactable)
	}
	for i := n; i < n+500; i++ {
		c.put(common.Hash{}, path(i), crypto.Keccak256Hash(blob(i)), blob(i))
	}
	if got := c.compactionCount(); got != 0 {
		t.Fatalf("500 puts with no chunk worth compacting looked through the chunks %d times, want 0", got)
	}
	// A few more nodes of the first chunk dropped leave it half live.
	for i := range (perChunk + 1) / 2 {
		c.forget(common.Hash{}, path(i), crypto.Keccak256Hash(blob(i)))
	}
	c.mu.Lock()
	compactable = c.compactable
	c.mu.Unlock()
	if compactable != 1 {
		t.Fatalf("%d chunks counted compactable once the first is half live, want 1", compactable)
	}
	c.put(common.Hash{}, path(n+500), crypto.Keccak256Hash(blob(n+500)), blob(n+500))
	if got := c.compactionCount(); got != 1 {
		t.Fatalf("the put after a chunk fell to half live compacted %d times, want 1", got)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead >= dead {
		t.Fatalf("dead bytes %d after the compaction, %d before: the chunk was not given up", c.dead, dead)
	}
	for i := range n + 501 {
		if i < (perChunk+1)/2 || i < n && i%perChunk*100 < perChunk*45 {
			continue // forgotten
		}
		if _, _, ok := c.lookupLocked(c.positionOf(path(i)), crypto.Keccak256Hash(blob(i))); !ok {
			t.Fatalf("node %d lost by the compaction", i)
		}
	}
}

// TestNodeCacheCountsCompactableChunks: under writes that supersede,
// forget and evict nodes, deep and shallow, the count of compactable
// chunks that compactLocked relies on is always the number of chunks it
// could give up.
func TestNodeCacheCountsCompactableChunks(t *testing.T) {
	const budget = 256 << 10
	c := newNodeCache(budget)
	rng := rand.New(rand.NewPCG(5, 6))
	recount := func() int {
		n := 0
		for id := range c.chunks {
			if c.compactableLocked(uint32(id)) {
				n++
			}
		}
		return n
	}
	path := func(i int) []byte {
		if i%13 == 0 {
			return []byte{byte(i % 16), byte(i / 16 % 16)}
		}
		return []byte(fmt.Sprintf("p%d", i))
	}
	current := map[int]common.Hash{}
	for step := range 20000 {
		i := rng.IntN(3000)
		if h, ok := current[i]; ok && rng.IntN(5) == 0 {
			c.forget(common.Hash{}, path(i), h)
			delete(current, i)
		} else {
			blob := make([]byte, 40+rng.IntN(400))
			for j := range blob {
				blob[j] = byte(step + j)
			}
			current[i] = crypto.Keccak256Hash(blob)
			c.put(common.Hash{}, path(i), current[i], blob)
		}
		c.mu.Lock()
		got, want := c.compactable, recount()
		c.mu.Unlock()
		if got != want {
			t.Fatalf("step %d: %d chunks counted compactable, %d are", step, got, want)
		}
		if step%500 == 0 {
			checkArena(t, c)
			for i, h := range current {
				if blob, ok := c.get(common.Hash{}, path(i), h); ok && crypto.Keccak256Hash(blob) != h {
					t.Fatalf("step %d: node %d read as a blob of hash %x, want %x", step, i, crypto.Keccak256Hash(blob), h)
				}
			}
		}
	}
	checkArena(t, c)
	if c.compactionCount() == 0 {
		t.Fatal("no compaction in 20,000 writes: the test did not exercise it")
	}
}

// TestNodeCacheStoresAnEmptyAccountsLeafShorter: the leaf of an account
// with no code and no storage, as a real account trie encodes it, is
// stored without its empty storage root and code hash and charged that
// much less; every leaf, and every branch short enough to hash in one
// keccak block, is stored without its hash and charged that much less
// than a full branch, which keeps it; a read returns each node byte for
// byte, before and after compaction moves it, and a contract's leaf and a
// branch are stored whole.
func TestNodeCacheStoresAnEmptyAccountsLeafShorter(t *testing.T) {
	tr := trie.NewEmpty(nil)
	const accounts = 2000
	for i := range accounts {
		acc := types.NewEmptyStateAccount()
		acc.Nonce, acc.Balance = uint64(i), uint256.NewInt(uint64(i)*1e15)
		if i == 0 {
			acc.CodeHash = crypto.Keccak256([]byte("code"))
		}
		val, err := rlp.EncodeToBytes(acc)
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Update(crypto.Keccak256(binary.BigEndian.AppendUint64(nil, uint64(i))), val); err != nil {
			t.Fatal(err)
		}
	}
	_, set := tr.Commit(false)
	type node struct {
		path string
		hash common.Hash
		blob []byte
	}
	var nodes []node
	emptyLeaves, otherLeaves, branches, shortBranches := 0, 0, 0, 0
	for path, n := range set.Nodes {
		nodes = append(nodes, node{path, n.Hash, n.Blob})
		switch {
		case !isLeaf(n.Blob):
			branches++
			want := len(n.Blob) + nodeEntryOverhead
			if len(n.Blob) <= hashlessMax {
				shortBranches++
				want = len(n.Blob) + hashlessEntryOverhead
			}
			if charge(n.Blob) != want {
				t.Fatalf("branch of %d bytes at %x charged %d, want %d", len(n.Blob), path, charge(n.Blob), want)
			}
		case bytes.HasSuffix(n.Blob, eoaSuffix):
			emptyLeaves++
			if want := len(n.Blob) - 66 + hashlessEntryOverhead; charge(n.Blob) != want {
				t.Fatalf("empty account's leaf at %x charged %d, want %d", path, charge(n.Blob), want)
			}
		default:
			otherLeaves++
			if charge(n.Blob) != len(n.Blob)+hashlessEntryOverhead {
				t.Fatalf("contract's leaf at %x charged %d, want %d", path, charge(n.Blob), len(n.Blob)+hashlessEntryOverhead)
			}
		}
	}
	if emptyLeaves != accounts-1 || otherLeaves != 1 || shortBranches == 0 || shortBranches == branches {
		t.Fatalf("the trie has %d empty accounts' leaves, %d other leaves, %d branches (%d of one keccak block); want %d, 1, some of each length", emptyLeaves, otherLeaves, branches, shortBranches, accounts-1)
	}
	// The nodes are put deeper than their paths, so that none is kept in
	// a chunk of its own (shallowDepth) and compaction moves them all.
	at := func(path string) []byte { return append([]byte{1, 2, 3, 4}, path...) }
	c := newNodeCache(1 << 20)
	for _, n := range nodes {
		c.put(common.Hash{}, at(n.path), n.hash, n.blob)
	}
	check := func(when string, keep func(i int) bool) {
		t.Helper()
		for i, n := range nodes {
			if !keep(i) {
				continue
			}
			got, ok := c.get(common.Hash{}, at(n.path), n.hash)
			if !ok || !bytes.Equal(got, n.blob) {
				t.Fatalf("%s: node at %x read as %x (%v), want %x", when, n.path, got, ok, n.blob)
			}
		}
	}
	all := func(int) bool { return true }
	check("cached", all)
	// Forget two of every three nodes and put one more: compaction moves
	// the rest, elided ones among them, to the head.
	kept := func(i int) bool { return i%3 == 0 }
	for i, n := range nodes {
		if !kept(i) {
			c.forget(common.Hash{}, at(n.path), n.hash)
		}
	}
	before := c.compactionCount()
	c.budget = 3 * c.dead // so the dead bytes are over a quarter of it
	c.put(common.Hash{}, []byte{0xf, 0xf, 0xf, 0xf, 0xf}, crypto.Keccak256Hash([]byte("x")), []byte("x"))
	if c.compactionCount() == before {
		t.Fatal("no compaction ran")
	}
	check("after compaction", kept)
}

// checkArena checks the arena's accounting against its index: each
// shared chunk's live bytes are the entries the index holds in it, the
// dead bytes are the rest of those chunks' bytes, each single chunk holds
// one indexed entry, and the bytes charged are the indexed entries'.
func checkArena(t *testing.T, c *nodeCache) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	live := make(map[uint32]int)
	charged := 0
	for _, ref := range c.index {
		header, stored, _, hashless := c.entryLocked(ref)
		if n := len(header) + len(stored); ref.size() != n {
			t.Fatalf("an entry of %d bytes has size %d in its index slot", n, ref.size())
		}
		live[ref.chunk()] += len(header) + len(stored)
		charged += storedCharge(stored, hashless)
	}
	dead := 0
	for id, ch := range c.chunks {
		if ch == nil {
			if live[uint32(id)] != 0 {
				t.Fatalf("freed chunk %d holds indexed entries", id)
			}
			continue
		}
		if ch.live != live[uint32(id)] {
			t.Fatalf("chunk %d (single %v) counts %d live bytes, its indexed entries take %d", id, ch.single, ch.live, live[uint32(id)])
		}
		if !ch.single {
			dead += len(ch.buf) - ch.live
		}
	}
	if dead != c.dead || charged != c.size {
		t.Fatalf("the cache counts %d dead and %d charged bytes; its chunks hold %d dead, its index charges %d", c.dead, c.size, dead, charged)
	}
}
