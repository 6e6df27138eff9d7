package statedb

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/holiman/uint256"
)

// TestNodeCacheAnswersOnlyTheHashAsked: a cached node is returned only to a
// read of its own hash at its own position; a newer node at the position
// replaces it.
func TestNodeCacheAnswersOnlyTheHashAsked(t *testing.T) {
	c := newNodeCache(1 << 20)
	owner := common.HexToHash("0xaa")
	h1, h2 := common.HexToHash("0x01"), common.HexToHash("0x02")
	c.put(owner, []byte{1, 2}, h1, []byte("one"))
	if blob, ok := c.get(owner, []byte{1, 2}, h1); !ok || string(blob) != "one" {
		t.Fatalf("get of the cached hash = %q %v", blob, ok)
	}
	if _, ok := c.get(owner, []byte{1, 2}, h2); ok {
		t.Fatal("a read of another hash at the same position was answered")
	}
	if _, ok := c.get(common.Hash{}, []byte{1, 2}, h1); ok {
		t.Fatal("a read of the same path in another trie was answered")
	}
	if _, ok := c.get(owner, []byte{1}, h1); ok {
		t.Fatal("a read of another path was answered")
	}
	c.put(owner, []byte{1, 2}, h2, []byte("two"))
	if _, ok := c.get(owner, []byte{1, 2}, h1); ok {
		t.Fatal("a superseded node is still answered")
	}
	if blob, ok := c.get(owner, []byte{1, 2}, h2); !ok || string(blob) != "two" {
		t.Fatalf("get of the newer node = %q %v", blob, ok)
	}
	c.forget(owner, []byte{1, 2}, h1)
	if _, ok := c.get(owner, []byte{1, 2}, h2); !ok {
		t.Fatal("forgetting another hash dropped the node")
	}
	c.forget(owner, []byte{1, 2}, h2)
	if _, ok := c.get(owner, []byte{1, 2}, h2); ok {
		t.Fatal("a forgotten node is still answered")
	}
	if _, _, entries, size := c.stats(); entries != 0 || size != 0 {
		t.Fatalf("empty cache holds %d entries, %d bytes", entries, size)
	}
}

// TestNodeCacheCommitReplacesAndDeletes: a commit's nodes take their
// positions and its deleted nodes leave the cache.
func TestNodeCacheCommitReplacesAndDeletes(t *testing.T) {
	c := newNodeCache(1 << 20)
	owner := common.HexToHash("0xbb")
	c.put(common.Hash{}, []byte{3}, common.HexToHash("0x03"), []byte("old"))
	c.put(owner, []byte{4}, common.HexToHash("0x04"), []byte("gone"))
	set := trienode.NewNodeSet(common.Hash{})
	set.AddNode([]byte{3}, trienode.NewNodeWithPrev(common.HexToHash("0x33"), []byte("new"), nil))
	storage := trienode.NewNodeSet(owner)
	storage.AddNode([]byte{4}, trienode.NewDeletedWithPrev(nil))
	merged := trienode.NewMergedNodeSet()
	if err := merged.Merge(set); err != nil {
		t.Fatal(err)
	}
	if err := merged.Merge(storage); err != nil {
		t.Fatal(err)
	}
	c.commit(merged)
	if blob, ok := c.get(common.Hash{}, []byte{3}, common.HexToHash("0x33")); !ok || string(blob) != "new" {
		t.Fatalf("committed node = %q %v", blob, ok)
	}
	if _, _, entries, _ := c.stats(); entries != 1 {
		t.Fatalf("%d entries after the commit, want 1 (the deleted node dropped)", entries)
	}
}

// TestNodeCacheCommitLeavesOutNewLeaves: while the budget has room a
// commit caches all its nodes; once it is spent, a committed leaf enters
// only at a position the cache holds a node at, branches and extensions
// still enter (evicting others), and a leaf read from disk is cached.
func TestNodeCacheCommitLeavesOutNewLeaves(t *testing.T) {
	leaf := func(key []byte, value string) []byte {
		blob, err := rlp.EncodeToBytes([][]byte{key, []byte(value)})
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	hot := leaf([]byte{0x20, 0x12}, "hot account")    // even-length leaf key
	fresh := leaf([]byte{0x31}, "new account")        // odd-length leaf key
	extension := leaf([]byte{0x00, 0x12}, "not leaf") // extension: flag 0
	branch, err := rlp.EncodeToBytes(make([][]byte, 17))
	if err != nil {
		t.Fatal(err)
	}
	for name, blob := range map[string][]byte{"hot": hot, "fresh": fresh} {
		if !isLeaf(blob) {
			t.Fatalf("%s leaf not seen as a leaf", name)
		}
	}
	for name, blob := range map[string][]byte{"extension": extension, "branch": branch, "garbage": {0x01}} {
		if isLeaf(blob) {
			t.Fatalf("%s seen as a leaf", name)
		}
	}
	nodes := map[string][]byte{"\x01": hot, "\x02": fresh, "\x03": extension, "\x04": branch}
	commit := func(c *nodeCache) {
		set := trienode.NewNodeSet(common.Hash{})
		for path, blob := range nodes {
			set.AddNode([]byte(path), trienode.NewNodeWithPrev(crypto.Keccak256Hash(blob), blob, nil))
		}
		merged := trienode.NewMergedNodeSet()
		if err := merged.Merge(set); err != nil {
			t.Fatal(err)
		}
		c.commit(merged)
	}
	cached := func(c *nodeCache, path string) bool {
		_, ok := c.get(common.Hash{}, []byte(path), crypto.Keccak256Hash(nodes[path]))
		return ok
	}

	roomy := newNodeCache(1 << 20)
	commit(roomy)
	for path := range nodes {
		if !cached(roomy, path) {
			t.Errorf("cache with room: node at %x not cached", path)
		}
	}

	// A cache whose budget is spent by other nodes, one of them an older
	// version of the hot leaf.
	older := leaf([]byte{0x20, 0x12}, "older version")
	filler := make([]byte, 32)
	full := newNodeCache(charge(older) + 8*charge(filler))
	full.put(common.Hash{}, []byte{1}, common.HexToHash("0x01"), older)
	for i := range 8 {
		path := []byte{9, byte(i)}
		full.put(common.Hash{}, path, crypto.Keccak256Hash(path), filler)
	}
	if _, _, entries, size := full.stats(); entries != 9 || size != full.budget {
		t.Fatalf("setup: %d entries, %d of %d bytes charged", entries, size, full.budget)
	}
	commit(full)
	for path, want := range map[string]bool{"\x01": true, "\x02": false, "\x03": true, "\x04": true} {
		if got := cached(full, path); got != want {
			t.Errorf("full cache: node at %x cached = %v, want %v", path, got, want)
		}
	}

	// The new leaf enters when it is read.
	disk := rawdb.NewMemoryDatabase()
	rawdb.WriteLegacyTrieNode(disk, crypto.Keccak256Hash(fresh), fresh)
	db := &cachedNodeDB{cache: full, pending: newPendingStates(), disk: disk}
	r := &cachedNodeReader{db: db}
	if blob, err := r.Node(common.Hash{}, []byte{2}, crypto.Keccak256Hash(fresh)); err != nil || string(blob) != string(fresh) {
		t.Fatalf("read of the new leaf = %x, %v", blob, err)
	}
	if !cached(full, "\x02") {
		t.Fatal("a leaf read from disk was not cached")
	}
	if n := full.leafMissCount(); n != 1 {
		t.Fatalf("%d leaf misses counted after one leaf was read from disk, want 1", n)
	}
}

// TestNodeCacheEvictsColdLeavesFirst: a full cache makes room by dropping
// leaves before branch nodes, except a leaf a commit wrote again since the
// last eviction, which is passed over once.
func TestNodeCacheEvictsColdLeavesFirst(t *testing.T) {
	leafAt := func(i int, version string) []byte {
		blob, err := rlp.EncodeToBytes([][]byte{{0x20, byte(i)}, []byte("account " + version + fmt.Sprint(i))})
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	branchAt := func(i int) []byte {
		children := make([][]byte, 17)
		children[i%16] = crypto.Keccak256([]byte{byte(i)})
		blob, err := rlp.EncodeToBytes(children)
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	const leaves, branches = 40, 40
	budget := 0
	for i := range leaves {
		budget += charge(leafAt(i, "old"))
	}
	for i := range branches {
		budget += charge(branchAt(i))
	}
	c := newNodeCache(budget)
	for i := range leaves {
		blob := leafAt(i, "old")
		c.put(common.Hash{}, []byte{1, byte(i)}, crypto.Keccak256Hash(blob), blob)
	}
	for i := range branches {
		blob := branchAt(i)
		c.put(common.Hash{}, []byte{2, byte(i)}, crypto.Keccak256Hash(blob), blob)
	}
	if _, _, entries, size := c.stats(); entries != leaves+branches || size != budget {
		t.Fatalf("setup: %d entries, %d of %d bytes", entries, size, budget)
	}
	// Leaf 0's account is written again.
	hot := leafAt(0, "new")
	set := trienode.NewNodeSet(common.Hash{})
	set.AddNode([]byte{1, 0}, trienode.NewNodeWithPrev(crypto.Keccak256Hash(hot), hot, nil))
	merged := trienode.NewMergedNodeSet()
	if err := merged.Merge(set); err != nil {
		t.Fatal(err)
	}
	c.commit(merged)
	// A new branch needs room: an eighth of the budget is freed.
	extra := branchAt(99)
	c.put(common.Hash{}, []byte{3}, crypto.Keccak256Hash(extra), extra)
	for i := range branches {
		blob := branchAt(i)
		if _, ok := c.get(common.Hash{}, []byte{2, byte(i)}, crypto.Keccak256Hash(blob)); !ok {
			t.Fatalf("branch %d evicted while cold leaves were cached", i)
		}
	}
	if _, ok := c.get(common.Hash{}, []byte{1, 0}, crypto.Keccak256Hash(hot)); !ok {
		t.Fatal("the leaf written again was evicted with the cold ones")
	}
	evicted := 0
	for i := 1; i < leaves; i++ {
		blob := leafAt(i, "old")
		if _, ok := c.get(common.Hash{}, []byte{1, byte(i)}, crypto.Keccak256Hash(blob)); !ok {
			evicted++
		}
	}
	if evicted == 0 {
		t.Fatal("no cold leaf was evicted")
	}

	// Room for more than every cold leaf: branches go too, the leaf in use
	// does not.
	c.commit(merged)
	big := make([]byte, budget/2)
	c.put(common.Hash{}, []byte{4}, crypto.Keccak256Hash(big), big)
	if _, ok := c.get(common.Hash{}, []byte{1, 0}, crypto.Keccak256Hash(hot)); !ok {
		t.Fatal("the leaf written again was evicted while other entries were cached")
	}
}

// TestNodeCacheStaysWithinItsBudget: however many nodes are put, the bytes
// charged stay within the budget, and the newest put is kept.
func TestNodeCacheStaysWithinItsBudget(t *testing.T) {
	const budget = 64 << 10
	c := newNodeCache(budget)
	for i := range 10_000 {
		path := []byte(fmt.Sprintf("%d", i))
		hash := crypto.Keccak256Hash(path)
		c.put(common.Hash{}, path, hash, make([]byte, 100))
		if _, _, _, size := c.stats(); size > budget {
			t.Fatalf("after %d puts: %d bytes charged, budget %d", i+1, size, budget)
		}
		if _, ok := c.get(common.Hash{}, path, hash); !ok {
			t.Fatalf("put %d was evicted at once", i)
		}
	}
	if _, _, entries, _ := c.stats(); entries < budget/(2*(100+nodeEntryOverhead)) {
		t.Fatalf("only %d entries kept in %d bytes", entries, budget)
	}
}

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
type cachedAndPlain struct {
	cached, plain *DB
	roots         []common.Hash // roots after each block, same in both
}

// testAddresses are the accounts the random blocks touch, contract the one
// whose storage they write.
var (
	testAddresses = func() []common.Address {
		as := make([]common.Address, 64)
		for i := range as {
			as[i] = common.BigToAddress(uint256.NewInt(uint64(i + 1)).ToBig())
		}
		return as
	}()
	testContract = common.HexToAddress("0xc0")
)

// randomBlock changes balances (some to zero, which deletes the empty
// account), nonces and storage slots (some to zero, which deletes them).
func randomBlock(rng *rand.Rand, sdb *state.StateDB) {
	for range 20 {
		a := testAddresses[rng.IntN(len(testAddresses))]
		switch rng.IntN(4) {
		case 0:
			sdb.SetBalance(a, uint256.NewInt(0), tracing.BalanceChangeUnspecified)
		case 1:
			sdb.SetNonce(a, sdb.GetNonce(a)+1, tracing.NonceChangeUnspecified)
		default:
			sdb.AddBalance(a, uint256.NewInt(rng.Uint64N(1000)+1), tracing.BalanceChangeUnspecified)
		}
		slot := common.BigToHash(uint256.NewInt(rng.Uint64N(32)).ToBig())
		value := common.Hash{}
		if rng.IntN(3) > 0 {
			value = common.BigToHash(uint256.NewInt(rng.Uint64N(1 << 40)).ToBig())
		}
		sdb.SetState(testContract, slot, value)
	}
}

// newCachedAndPlain commits the same blocks through both DBs, checking that
// their roots agree.
func newCachedAndPlain(t *testing.T, budget, blocks int) *cachedAndPlain {
	t.Helper()
	cp := &cachedAndPlain{cached: NewCached(rawdb.NewMemoryDatabase(), budget), plain: New(rawdb.NewMemoryDatabase())}
	t.Cleanup(func() { cp.cached.Close(); cp.plain.Close() })
	alloc := testAlloc()
	alloc[testContract] = alloc[common.HexToAddress("0x03")]
	var rc, rp common.Hash
	var err error
	if rc, err = cp.cached.ApplyAlloc(alloc); err != nil {
		t.Fatal(err)
	}
	if rp, err = cp.plain.ApplyAlloc(alloc); err != nil {
		t.Fatal(err)
	}
	rngC, rngP := rand.New(rand.NewPCG(7, 8)), rand.New(rand.NewPCG(7, 8))
	for n := 1; n <= blocks; n++ {
		rc = cp.commit(t, cp.cached, rc, rngC, n)
		rp = cp.commit(t, cp.plain, rp, rngP, n)
		if rc != rp {
			t.Fatalf("block %d: root %s with the cache, %s without", n, rc, rp)
		}
		cp.roots = append(cp.roots, rc)
	}
	return cp
}

func (cp *cachedAndPlain) commit(t *testing.T, db *DB, root common.Hash, rng *rand.Rand, n int) common.Hash {
	t.Helper()
	sdb, err := db.StateAt(root)
	if err != nil {
		t.Fatalf("block %d: %v", n, err)
	}
	randomBlock(rng, sdb)
	root, err = db.Commit(sdb, uint64(n))
	if err != nil {
		t.Fatalf("block %d: %v", n, err)
	}
	return root
}

// sameState fails unless both DBs read the same accounts and slots at root.
func (cp *cachedAndPlain) sameState(t *testing.T, root common.Hash) {
	t.Helper()
	c, err := cp.cached.StateAt(root)
	if err != nil {
		t.Fatalf("cached state %s: %v", root, err)
	}
	p, err := cp.plain.StateAt(root)
	if err != nil {
		t.Fatalf("plain state %s: %v", root, err)
	}
	for _, a := range append(testAddresses, testContract) {
		if c.Exist(a) != p.Exist(a) || c.GetBalance(a).Cmp(p.GetBalance(a)) != 0 || c.GetNonce(a) != p.GetNonce(a) {
			t.Fatalf("state %s: account %s differs: exists %v/%v balance %s/%s nonce %d/%d", root, a,
				c.Exist(a), p.Exist(a), c.GetBalance(a), p.GetBalance(a), c.GetNonce(a), p.GetNonce(a))
		}
	}
	for i := range 32 {
		slot := common.BigToHash(uint256.NewInt(uint64(i)).ToBig())
		if cv, pv := c.GetState(testContract, slot), p.GetState(testContract, slot); cv != pv {
			t.Fatalf("state %s: slot %d is %s with the cache, %s without", root, i, cv, pv)
		}
	}
	if err := c.Error(); err != nil {
		t.Fatalf("cached state %s: %v", root, err)
	}
}

// TestCachedStateMatchesUncachedAcrossHistory commits the same random
// blocks (account deletions and storage deletions among them) with and
// without a node cache, with a cache large enough to hold the state and
// with one that can hold a few nodes: the roots agree at every block, and
// every old state reads the same through the cache, whose nodes at the same
// positions are newer.
func TestCachedStateMatchesUncachedAcrossHistory(t *testing.T) {
	for _, budget := range []int{1 << 20, 2 << 10} {
		t.Run(fmt.Sprintf("budget %d", budget), func(t *testing.T) {
			cp := newCachedAndPlain(t, budget, 40)
			for _, root := range cp.roots {
				cp.sameState(t, root)
			}
			st := cp.cached.NodeCacheStats()
			if st.Hits == 0 || st.Misses == 0 {
				t.Fatalf("cache stats %+v: want both hits (new state) and misses (old states)", st)
			}
			if st.Bytes > budget {
				t.Fatalf("cache holds %d bytes, budget %d", st.Bytes, budget)
			}
		})
	}
}

// TestCachedStateReadsConcurrently reads old and new states on several
// goroutines while blocks are committed (for the race detector), and checks
// every read against the DB without a cache.
func TestCachedStateReadsConcurrently(t *testing.T) {
	cp := newCachedAndPlain(t, 8<<10, 20)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 30 {
				root := cp.roots[(g*7+i)%len(cp.roots)]
				cp.sameState(t, root)
			}
		})
	}
	rng := rand.New(rand.NewPCG(9, 9))
	root := cp.roots[len(cp.roots)-1]
	for n := 21; n <= 30; n++ {
		root = cp.commit(t, cp.cached, root, rng, n)
	}
	wg.Wait()
}

// TestDiscardForgetsTheCachedRoot: a discarded state does not open from the
// cache after the trie database dropped it.
func TestDiscardForgetsTheCachedRoot(t *testing.T) {
	db := NewCached(rawdb.NewMemoryDatabase(), 1<<20)
	defer db.Close()
	dropped := stageOneChange(t, db)
	if _, err := db.StateAt(dropped); err != nil {
		t.Fatalf("staged state does not open: %v", err)
	}
	if err := db.Discard(dropped); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StateAt(dropped); err == nil {
		t.Fatal("a discarded state opens")
	}
	if db.HasState(dropped) {
		t.Fatal("a discarded state is reported present")
	}
}

// TestUpdatingTheReadTrieLeavesReadsAtTheRoot: a StateDB's account trie,
// when it comes to update it, is the one its reader resolved. After
// IntermediateRoot has updated it, accounts the StateDB had not read yet
// still read as they are at its root, and the root is the one a DB
// without a cache computes for the same changes.
func TestUpdatingTheReadTrieLeavesReadsAtTheRoot(t *testing.T) {
	cp := newCachedAndPlain(t, 1<<20, 5)
	root := cp.roots[len(cp.roots)-1]
	want := make(map[common.Address]*uint256.Int)
	p, err := cp.plain.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range testAddresses {
		want[a] = p.GetBalance(a)
	}
	c, err := cp.cached.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	half := testAddresses[:len(testAddresses)/2]
	for _, sdb := range []*state.StateDB{c, p} {
		for _, a := range half {
			sdb.AddBalance(a, uint256.NewInt(7), tracing.BalanceChangeUnspecified)
		}
		// Delete one of the untouched half's accounts too, so the update
		// reshapes the trie where the other reads go.
		sdb.SetBalance(testAddresses[len(testAddresses)-1], uint256.NewInt(0), tracing.BalanceChangeUnspecified)
		sdb.SetNonce(testAddresses[len(testAddresses)-1], 0, tracing.NonceChangeUnspecified)
	}
	rc, rp := c.IntermediateRoot(Rules()), p.IntermediateRoot(Rules())
	if rc != rp {
		t.Fatalf("root %s with the cache, %s without", rc, rp)
	}
	for _, a := range testAddresses[len(testAddresses)/2 : len(testAddresses)-1] {
		if got := c.GetBalance(a); got.Cmp(want[a]) != 0 {
			t.Fatalf("after the update, account %s reads balance %s, want %s (its balance at the root)", a, got, want[a])
		}
	}
	if err := c.Error(); err != nil {
		t.Fatal(err)
	}
	got, err := cp.cached.Commit(c, 6)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := cp.plain.Commit(p, 6); err != nil || got != want {
		t.Fatalf("committed root %s with the cache, %s without (%v)", got, want, err)
	}

	// The reader itself: what the taker of its trie writes never shows.
	r, err := cp.cached.state.(*cachedDatabase).newReader(root)
	if err != nil {
		t.Fatal(err)
	}
	a := testAddresses[0]
	before, err := r.Account(a)
	if err != nil || before == nil {
		t.Fatalf("account %s at the root: %v, %v", a, before, err)
	}
	tr, err := r.takeAccountTrie()
	if err != nil {
		t.Fatal(err)
	}
	changed := before.Copy()
	changed.Balance = uint256.NewInt(123456789)
	if err := tr.UpdateAccount(a, changed, 0); err != nil {
		t.Fatal(err)
	}
	if after, err := r.Account(a); err != nil || after.Balance.Cmp(before.Balance) != 0 {
		t.Fatalf("after the taken trie was updated the reader reads %v (%v), want balance %s", after, err, before.Balance)
	}
}

// TestStateCheckIsNotACacheRead: checking that a state exists (what opening
// a trie does first) reads nothing through the cache, so the cache's hits
// and misses count node reads only.
func TestStateCheckIsNotACacheRead(t *testing.T) {
	db := NewCached(rawdb.NewMemoryDatabase(), 1<<20)
	defer db.Close()
	root, err := db.ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	nodes := db.state.(*cachedDatabase).nodes
	if !nodes.cache.holds(common.Hash{}, nil, root) {
		t.Fatal("the genesis root is not cached")
	}
	before := db.NodeCacheStats()
	for range 3 {
		if _, err := nodes.NodeReader(root); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := nodes.NodeReader(common.HexToHash("0x1234")); err == nil {
		t.Fatal("a reader of an unknown state opened")
	}
	if after := db.NodeCacheStats(); after.Hits != before.Hits || after.Misses != before.Misses {
		t.Fatalf("state checks counted as cache reads: hits %d → %d, misses %d → %d", before.Hits, after.Hits, before.Misses, after.Misses)
	}
}

// writeOnceRecorder is a key-value store that counts the write-once
// batches asked of it (as ethdbadapter.Database gives them).
type writeOnceRecorder struct {
	ethdb.KeyValueStore
	batches int
}

func (r *writeOnceRecorder) NewWriteOnceBatch(size int) ethdb.Batch {
	r.batches++
	return r.KeyValueStore.NewBatchWithSize(size)
}

// TestFlushWritesAWriteOnceBatch: a DB opened over a store (NewCachedKV)
// flushes a staged state's nodes through the store's write-once batch,
// which the database wrapper hides, and they are on disk after.
func TestFlushWritesAWriteOnceBatch(t *testing.T) {
	kv := &writeOnceRecorder{KeyValueStore: rawdb.NewMemoryDatabase()}
	db := NewCachedKV(kv, 1<<20)
	defer db.Close()
	root := stageOneChange(t, db)
	before := kv.batches
	if err := db.Flush(root, 1); err != nil {
		t.Fatal(err)
	}
	if kv.batches != before+1 {
		t.Fatalf("flush asked for %d write-once batches, want 1", kv.batches-before)
	}
	if !rawdb.HasLegacyTrieNode(kv, root) {
		t.Fatal("the flushed root is not on disk")
	}
}

// stageOneChange applies testAlloc to db, stages block 1 on it with one
// balance changed, and returns the staged root.
func stageOneChange(t *testing.T, db *DB) common.Hash {
	t.Helper()
	base, err := db.ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := db.StateAt(base)
	if err != nil {
		t.Fatal(err)
	}
	sdb.AddBalance(common.HexToAddress("0x0d"), uint256.NewInt(5), tracing.BalanceChangeUnspecified)
	root, err := db.Stage(sdb, 1)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// BenchmarkNodeCacheEviction: one eviction round (makeRoomLocked) of a
// full cache the size of a devnet validator's (32 MiB), a third of it in
// leaves, the rest branches, none written again: the work a commit does
// every block or two once the cache is full (issue 17). Each round drops an
// eighth of the budget, which is filled again untimed.
func BenchmarkNodeCacheEviction(b *testing.B) {
	const budget = 32 << 20
	leaf, err := rlp.EncodeToBytes([][]byte{{0x20, 1, 2, 3}, bytes.Repeat([]byte{7}, 70)})
	if err != nil {
		b.Fatal(err)
	}
	children := make([][]byte, 17)
	for i := range 16 {
		children[i] = crypto.Keccak256([]byte{byte(i)})
	}
	branch, err := rlp.EncodeToBytes(children)
	if err != nil {
		b.Fatal(err)
	}
	c := newNodeCache(budget)
	next := uint64(0)
	fill := func() {
		for c.size < budget-len(branch)-64 {
			blob := branch
			if next%3 == 0 {
				blob = leaf
			}
			c.setLocked(next, false, common.Hash{byte(next)}, blob, isLeaf(blob), false)
			next++
		}
	}
	for b.Loop() {
		b.StopTimer()
		fill()
		b.StartTimer()
		c.makeRoomLocked(len(branch) + 64)
	}
	b.ReportMetric(float64(len(c.index)), "entries")
}
