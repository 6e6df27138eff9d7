package statedb

import (
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// TestStageFlushDiscard stages two sibling states on one root: both open
// from memory before any flush; the flushed one is on disk (a second DB
// over the same disk opens it), the discarded one is gone, and the flushed
// one still opens after the discard. With and without a node cache (whose
// DB stages the nodes itself, not in the trie database).
func TestStageFlushDiscard(t *testing.T) {
	for _, cache := range []int{0, 1 << 20} {
		t.Run(fmt.Sprintf("cache %d", cache), func(t *testing.T) { testStageFlushDiscard(t, cache) })
	}
}

func testStageFlushDiscard(t *testing.T, cache int) {
	disk := rawdb.NewMemoryDatabase()
	db := NewCached(disk, cache)
	defer db.Close()
	base, err := db.ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	stage := func(to common.Address, amount uint64) common.Hash {
		t.Helper()
		sdb, err := db.StateAt(base)
		if err != nil {
			t.Fatal(err)
		}
		sdb.AddBalance(to, uint256.NewInt(amount), tracing.BalanceChangeUnspecified)
		root, err := db.Stage(sdb, 1)
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	kept, dropped := stage(common.HexToAddress("0x0a"), 7), stage(common.HexToAddress("0x0b"), 9)
	for _, root := range []common.Hash{kept, dropped} {
		sdb, err := db.StateAt(root)
		if err != nil {
			t.Fatalf("staged state %s does not open before the flush: %v", root, err)
		}
		if sdb.GetBalance(common.HexToAddress("0x01")).Uint64() != 1000 {
			t.Fatal("staged state lost the base's accounts")
		}
	}
	if New(disk).HasState(kept) {
		t.Fatal("a staged state is on disk before its flush")
	}
	if err := db.Flush(kept, 1); err != nil {
		t.Fatal(err)
	}
	if err := db.Discard(dropped); err != nil {
		t.Fatal(err)
	}
	if db.HasState(dropped) {
		t.Fatal("a discarded state still opens")
	}
	sdb, err := New(disk).StateAt(kept)
	if err != nil {
		t.Fatalf("flushed state is not on disk: %v", err)
	}
	if got := sdb.GetBalance(common.HexToAddress("0x0a")).Uint64(); got != 7 {
		t.Fatalf("flushed state holds %d, want 7", got)
	}
	if !db.HasState(kept) {
		t.Fatal("the flushed state stopped opening after the discard")
	}
}

// TestStagedStatesFlushInOrder stages a chain of three states on a cached
// DB and flushes only the last: its staged ancestors are written with it
// (a fresh DB over the same disk opens all three), and nothing stays
// staged.
func TestStagedStatesFlushInOrder(t *testing.T) {
	disk := rawdb.NewMemoryDatabase()
	db := NewCached(disk, 1<<20)
	defer db.Close()
	root, err := db.ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	var roots []common.Hash
	for i := range 3 {
		sdb, err := db.StateAt(root)
		if err != nil {
			t.Fatal(err)
		}
		sdb.AddBalance(common.BigToAddress(uint256.NewInt(uint64(0x100+i)).ToBig()), uint256.NewInt(1), tracing.BalanceChangeUnspecified)
		if root, err = db.Stage(sdb, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
		roots = append(roots, root)
	}
	if states, _ := db.pending.size(); states != 3 {
		t.Fatalf("%d states staged, want 3", states)
	}
	if err := db.Flush(roots[2], 3); err != nil {
		t.Fatal(err)
	}
	if states, nodes := db.pending.size(); states != 0 || nodes != 0 {
		t.Fatalf("after the flush %d states and %d nodes stay staged", states, nodes)
	}
	fresh := New(disk)
	for i, r := range roots {
		if !fresh.HasState(r) {
			t.Fatalf("state %d (%s) is not on disk after its descendant's flush", i+1, r)
		}
	}
	if err := db.Flush(roots[0], 1); err != nil {
		t.Fatalf("flushing a state already on disk: %v", err)
	}
	if err := db.Flush(common.HexToHash("0xdead"), 4); err == nil {
		t.Fatal("flushing a state that was never staged succeeded")
	}
	if err := db.Flush(types.EmptyRootHash, 0); err != nil {
		t.Fatalf("flushing the empty state: %v", err)
	}
	empty, err := NewCached(rawdb.NewMemoryDatabase(), 1<<20).ApplyAlloc(nil)
	if err != nil || empty != types.EmptyRootHash {
		t.Fatalf("an empty genesis on a cached DB: root %s, %v", empty, err)
	}
}

// TestStateStagedTwiceSurvivesOneDiscard: two blocks with the same
// post-state (a block built ahead and built again) stage one root twice;
// discarding one leaves the other's state, which then flushes.
func TestStateStagedTwiceSurvivesOneDiscard(t *testing.T) {
	disk := rawdb.NewMemoryDatabase()
	db := NewCached(disk, 1<<20)
	defer db.Close()
	base, err := db.ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	stage := func() common.Hash {
		t.Helper()
		sdb, err := db.StateAt(base)
		if err != nil {
			t.Fatal(err)
		}
		sdb.AddBalance(common.HexToAddress("0x0e"), uint256.NewInt(3), tracing.BalanceChangeUnspecified)
		root, err := db.Stage(sdb, 1)
		if err != nil {
			t.Fatal(err)
		}
		return root
	}
	first, second := stage(), stage()
	if first != second {
		t.Fatalf("the same changes gave roots %s and %s", first, second)
	}
	if err := db.Discard(first); err != nil {
		t.Fatal(err)
	}
	if !db.HasState(second) {
		t.Fatal("discarding one of two stagings dropped the state")
	}
	if err := db.Flush(second, 1); err != nil {
		t.Fatal(err)
	}
	if !New(disk).HasState(second) {
		t.Fatal("the flushed state is not on disk")
	}
}
