package statedb

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie/trienode"
)

// TestNodeCacheAnswersOnlyTheHashAsked: a cached node is returned only to a
// read of its own hash at its own position; a newer node at the position
// replaces it.
func TestNodeCacheAnswersOnlyTheHashAsked(t *testing.T) {
	c := newNodeCache(1 << 20)
	owner := common.HexToHash("0xaa")
	h1, h2 := crypto.Keccak256Hash([]byte("one")), crypto.Keccak256Hash([]byte("two"))
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

// TestNodeCacheChecksALeafByItsBlob: a leaf is stored without its hash, so
// a read of it is checked by hashing the blob: a read of the hash of
// another version of the account, or a claimed hash that is not the
// blob's, is not answered, even at the leaf's position, while a read of
// the blob's hash is, after compaction too; and a leaf costs less than a
// node of the same length that keeps its hash.
func TestNodeCacheChecksALeafByItsBlob(t *testing.T) {
	c := newNodeCache(1 << 20)
	leaf, older := testLeaf(t, 1, "new"), testLeaf(t, 1, "old")
	path := []byte{5, 6, 7, 8}
	c.put(common.Hash{}, path, crypto.Keccak256Hash(leaf), leaf)
	if blob, ok := c.get(common.Hash{}, path, crypto.Keccak256Hash(leaf)); !ok || !bytes.Equal(blob, leaf) {
		t.Fatalf("read of the leaf's hash = %x %v, want %x", blob, ok, leaf)
	}
	if _, ok := c.get(common.Hash{}, path, crypto.Keccak256Hash(older)); ok {
		t.Fatal("a read of the older version's hash was answered by the newer leaf")
	}
	if _, ok := c.get(common.Hash{}, path, common.HexToHash("0x01")); ok {
		t.Fatal("a read of a hash that is not the blob's was answered")
	}
	if c.holds(common.Hash{}, path, crypto.Keccak256Hash(older)) {
		t.Fatal("holds reported the older version")
	}
	c.forget(common.Hash{}, path, crypto.Keccak256Hash(older))
	if !c.holds(common.Hash{}, path, crypto.Keccak256Hash(leaf)) {
		t.Fatal("forgetting the older version dropped the leaf")
	}
	// A leaf put as one of a commit's nodes is stored without its hash too,
	// and a leaf put over a node that kept its hash reads back.
	branch := testBranch(t, 3)
	c.put(common.Hash{}, []byte{5, 6, 7, 9}, crypto.Keccak256Hash(branch), branch)
	set := trienode.NewNodeSet(common.Hash{})
	set.AddNode([]byte{5, 6, 7, 9}, trienode.NewNodeWithPrev(crypto.Keccak256Hash(older), older, nil))
	merged := trienode.NewMergedNodeSet()
	if err := merged.Merge(set); err != nil {
		t.Fatal(err)
	}
	c.commit(merged)
	if blob, ok := c.get(common.Hash{}, []byte{5, 6, 7, 9}, crypto.Keccak256Hash(older)); !ok || !bytes.Equal(blob, older) {
		t.Fatalf("leaf committed over a branch = %x %v, want %x", blob, ok, older)
	}
	if _, ok := c.get(common.Hash{}, []byte{5, 6, 7, 9}, crypto.Keccak256Hash(branch)); ok {
		t.Fatal("the branch the leaf replaced is still answered")
	}
	if _, _, entries, size := c.stats(); entries != 2 || size != 2*charge(leaf) {
		t.Fatalf("two leaves: %d entries, %d bytes charged, want 2 and %d", entries, size, 2*charge(leaf))
	}
	if got, want := charge(leaf), len(leaf)+nodeEntryOverhead-common.HashLength; got != want {
		t.Fatalf("leaf of %d bytes charged %d, want %d (no hash)", len(leaf), got, want)
	}
}

// TestNodeCacheCommitReplacesAndDeletes: a commit's nodes take their
// positions and its deleted nodes leave the cache.
func TestNodeCacheCommitReplacesAndDeletes(t *testing.T) {
	c := newNodeCache(1 << 20)
	owner := common.HexToHash("0xbb")
	c.put(common.Hash{}, []byte{3}, crypto.Keccak256Hash([]byte("old")), []byte("old"))
	c.put(owner, []byte{4}, crypto.Keccak256Hash([]byte("gone")), []byte("gone"))
	set := trienode.NewNodeSet(common.Hash{})
	set.AddNode([]byte{3}, trienode.NewNodeWithPrev(crypto.Keccak256Hash([]byte("new")), []byte("new"), nil))
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
	if blob, ok := c.get(common.Hash{}, []byte{3}, crypto.Keccak256Hash([]byte("new"))); !ok || string(blob) != "new" {
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
	full.put(common.Hash{}, []byte{1}, crypto.Keccak256Hash(older), older)
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
	leafAt := func(i int, version string) []byte { return testLeaf(t, i, version) }
	branchAt := func(i int) []byte { return testBranch(t, i) }
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

// TestNodeCacheKeepsALeafJustRead: a leaf a read found since the last
// eviction is kept when room is made, as one a commit wrote again: the
// cold leaves and then the branches go first (issue 17, session 29: the
// senders' leaves went at random with the cold ones, and admission read
// them back from disk).
func TestNodeCacheKeepsALeafJustRead(t *testing.T) {
	leafAt := func(i int) []byte { return testLeaf(t, i, "") }
	branchAt := func(i int) []byte { return testBranch(t, i) }
	const leaves, branches = 40, 40
	budget, leafBytes := 0, 0
	for i := range leaves {
		budget += charge(leafAt(i))
		leafBytes += charge(leafAt(i))
	}
	for i := range branches {
		budget += charge(branchAt(i))
	}
	c := newNodeCache(budget)
	for i := range leaves {
		c.put(common.Hash{}, []byte{1, byte(i)}, crypto.Keccak256Hash(leafAt(i)), leafAt(i))
	}
	for i := range branches {
		c.put(common.Hash{}, []byte{2, byte(i)}, crypto.Keccak256Hash(branchAt(i)), branchAt(i))
	}
	if _, ok := c.get(common.Hash{}, []byte{1, 7}, crypto.Keccak256Hash(leafAt(7))); !ok {
		t.Fatal("setup: leaf 7 not cached")
	}
	// Room for as much as all the leaves: every other leaf goes, and some
	// branches.
	big := make([]byte, leafBytes-nodeEntryOverhead)
	c.put(common.Hash{}, []byte{3}, crypto.Keccak256Hash(big), big)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, _, ok := c.lookupLocked(c.positionOf([]byte{1, 7}), crypto.Keccak256Hash(leafAt(7))); !ok {
		t.Fatal("the leaf just read was evicted with the cold ones")
	}
	for i := range leaves {
		if _, _, ok := c.lookupLocked(c.positionOf([]byte{1, byte(i)}), crypto.Keccak256Hash(leafAt(i))); ok && i != 7 {
			t.Fatalf("cold leaf %d kept while the room needed all of them", i)
		}
	}
	kept := 0
	for i := range branches {
		if _, _, ok := c.lookupLocked(c.positionOf([]byte{2, byte(i)}), crypto.Keccak256Hash(branchAt(i))); ok {
			kept++
		}
	}
	if kept == 0 || kept == branches {
		t.Fatalf("%d of %d branches kept: want some dropped after the cold leaves, not all", kept, branches)
	}
}

// TestNodeCacheStaysWithinItsBudget: however many nodes are put, the bytes
// charged stay within the budget, and the newest put is kept.
func TestNodeCacheStaysWithinItsBudget(t *testing.T) {
	const budget = 64 << 10
	c := newNodeCache(budget)
	for i := range 10_000 {
		path := []byte(fmt.Sprintf("%d", i))
		blob := append(make([]byte, 100-len(path)), path...)
		hash := crypto.Keccak256Hash(blob)
		c.put(common.Hash{}, path, hash, blob)
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

// testLeaf returns the blob of a trie leaf (its key ends the path) whose
// account is named by version and i.
func testLeaf(t *testing.T, i int, version string) []byte {
	t.Helper()
	blob, err := rlp.EncodeToBytes([][]byte{{0x20, byte(i)}, []byte("account " + version + fmt.Sprint(i))})
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// testBranch returns the blob of a trie branch node with one child, chosen
// by i.
func testBranch(t *testing.T, i int) []byte {
	t.Helper()
	children := make([][]byte, 17)
	children[i%16] = crypto.Keccak256([]byte{byte(i)})
	blob, err := rlp.EncodeToBytes(children)
	if err != nil {
		t.Fatal(err)
	}
	return blob
}

// TestNodeCacheKeepsALeafReadInTheLastRounds: a leaf read stays through the
// rooms made in its round and the next three while cold leaves go (a
// sender that skips a block or two keeps its leaf), and from keptRounds
// rounds on it is as cold as the rest.
func TestNodeCacheKeepsALeafReadInTheLastRounds(t *testing.T) {
	leafAt := func(i int) []byte { return testLeaf(t, i, "") }
	pathOf := func(i int) []byte { return []byte{1, byte(i >> 8), byte(i)} }
	const leaves = 400
	budget := 0
	for i := range leaves {
		budget += charge(leafAt(i))
	}
	c := newNodeCache(budget)
	cached := func(i int) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, _, ok := c.lookupLocked(c.positionOf(pathOf(i)), crypto.Keccak256Hash(leafAt(i)))
		return ok
	}
	fill := func() {
		for i := range leaves {
			if !cached(i) {
				c.putIfRoom(common.Hash{}, pathOf(i), crypto.Keccak256Hash(leafAt(i)), leafAt(i))
			}
		}
	}
	// makeRoom makes room for three quarters of the budget: seven in eight
	// leaves go, cold ones first.
	makeRoom := func() {
		c.mu.Lock()
		c.makeRoomLocked(c.budget * 3 / 4)
		c.mu.Unlock()
	}
	fill()
	const hot = 7
	if _, ok := c.get(common.Hash{}, pathOf(hot), crypto.Keccak256Hash(leafAt(hot))); !ok {
		t.Fatal("setup: the hot leaf is not cached")
	}
	// Four rounds: the read's and three more, about three blocks.
	for r := 0; r < 4; r++ {
		makeRoom()
		if !cached(hot) {
			t.Fatalf("the leaf read was dropped in the room made %d rounds after the read's", r)
		}
		fill()
	}
	for r := 4; r < keptRounds; r++ {
		makeRoom()
		fill()
	}
	// Now it is as cold as the rest: a room that needs all of them drops it.
	c.mu.Lock()
	if c.reusedLately(c.index[c.positionOf(pathOf(hot))]) {
		c.mu.Unlock()
		t.Fatalf("the leaf read %d rounds ago still counts as reused", keptRounds)
	}
	c.mu.Unlock()
	c.mu.Lock()
	c.makeRoomLocked(c.budget)
	c.mu.Unlock()
	if cached(hot) {
		t.Fatal("the leaf read long ago was kept")
	}
}

// TestIsLeafTellsTrieNodesApart: a leaf is a two-item list whose key has
// the leaf flag; an extension's key has not, a branch has seventeen items
// (even when its first child's hash begins with a byte that has the flag),
// and a list of one item or three, an empty key or bytes that are not RLP
// are not leaves.
func TestIsLeafTellsTrieNodesApart(t *testing.T) {
	enc := func(items ...[]byte) []byte {
		t.Helper()
		blob, err := rlp.EncodeToBytes(items)
		if err != nil {
			t.Fatal(err)
		}
		return blob
	}
	child := append([]byte{0x2f}, bytes.Repeat([]byte{7}, 31)...) // a hash whose first byte has the leaf flag
	branch := make([][]byte, 17)
	branch[0], branch[5] = child, child
	for _, tc := range []struct {
		name string
		blob []byte
		want bool
	}{
		{"leaf, even key", enc([]byte{0x20, 1, 2}, []byte("account")), true},
		{"leaf, odd key", enc([]byte{0x3a, 1, 2}, []byte("account")), true},
		{"extension", enc([]byte{0x00, 1, 2}, child), false},
		{"extension, odd key", enc([]byte{0x1a, 1}, child), false},
		{"branch", enc(branch...), false},
		{"one item", enc([]byte{0x20, 1}), false},
		{"three items", enc([]byte{0x20, 1}, []byte("a"), []byte("b")), false},
		{"empty key", enc([]byte{}, []byte("account")), false},
		{"not RLP", []byte{0xf8, 0xff, 1}, false},
		{"empty", nil, false},
	} {
		if got := isLeaf(tc.blob); got != tc.want {
			t.Errorf("%s (%x): isLeaf = %v, want %v", tc.name, tc.blob, got, tc.want)
		}
	}
}
