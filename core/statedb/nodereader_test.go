package statedb

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/holiman/uint256"
)

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
