package statedb

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/holiman/uint256"
)

// TestStageFlushDiscard stages two sibling states on one root: both open
// from memory before any flush; the flushed one is on disk (a second DB
// over the same disk opens it), the discarded one is gone, and the flushed
// one still opens after the discard.
func TestStageFlushDiscard(t *testing.T) {
	disk := rawdb.NewMemoryDatabase()
	db := New(disk)
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
