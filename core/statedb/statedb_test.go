package statedb

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

func testAlloc() map[common.Address]types.Account {
	return map[common.Address]types.Account{
		common.HexToAddress("0x01"): {Balance: big.NewInt(1000)},
		common.HexToAddress("0x02"): {Balance: big.NewInt(5), Nonce: 3},
		common.HexToAddress("0x03"): {
			Balance: big.NewInt(0), Nonce: 1, Code: []byte{0xfe},
			Storage: map[common.Hash]common.Hash{common.HexToHash("0x01"): common.HexToHash("0x2a")},
		},
	}
}

// TestApplyAllocPersists proves the genesis allocation is committed to disk:
// a second DB over the same disk reads the same accounts at the root.
func TestApplyAllocPersists(t *testing.T) {
	disk := rawdb.NewMemoryDatabase()
	root, err := New(disk).ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	if root == types.EmptyRootHash || root == (common.Hash{}) {
		t.Fatalf("unexpected root %s", root)
	}
	fresh := New(disk) // nothing cached: everything must come from disk
	sdb, err := fresh.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := sdb.GetBalance(common.HexToAddress("0x01")); got.Uint64() != 1000 {
		t.Errorf("balance = %s, want 1000", got)
	}
	if got := sdb.GetNonce(common.HexToAddress("0x02")); got != 3 {
		t.Errorf("nonce = %d, want 3", got)
	}
	c := common.HexToAddress("0x03")
	if got := sdb.GetState(c, common.HexToHash("0x01")); got != common.HexToHash("0x2a") {
		t.Errorf("storage = %s", got)
	}
	if got := sdb.GetCode(c); len(got) != 1 || got[0] != 0xfe {
		t.Errorf("code = %x", got)
	}
	if err := sdb.Error(); err != nil {
		t.Fatal(err)
	}
	// Same alloc on another disk gives the same root.
	root2, err := New(rawdb.NewMemoryDatabase()).ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	if root2 != root {
		t.Fatalf("alloc root not deterministic: %s vs %s", root, root2)
	}
}

// TestCommitChainKeepsHistory proves each committed block's root stays
// readable (no pruning) and that Commit flushes to disk.
func TestCommitChainKeepsHistory(t *testing.T) {
	disk := rawdb.NewMemoryDatabase()
	db := New(disk)
	root, err := db.ApplyAlloc(testAlloc())
	if err != nil {
		t.Fatal(err)
	}
	addr := common.HexToAddress("0x01")
	roots := []common.Hash{root}
	for n := uint64(1); n <= 3; n++ {
		sdb, err := db.StateAt(root)
		if err != nil {
			t.Fatal(err)
		}
		sdb.AddBalance(addr, uint256.NewInt(1), tracing.BalanceChangeUnspecified)
		root, err = db.Commit(sdb, n)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, root)
	}
	fresh := New(disk)
	for i, r := range roots {
		sdb, err := fresh.StateAt(r)
		if err != nil {
			t.Fatalf("root %d: %v", i, err)
		}
		if got := sdb.GetBalance(addr).Uint64(); got != 1000+uint64(i) {
			t.Errorf("block %d: balance %d, want %d", i, got, 1000+i)
		}
		if !fresh.HasState(r) {
			t.Errorf("HasState(%d) = false", i)
		}
	}
}

// TestStateAtMissingRoot proves an unknown root is a clear sentinel error.
func TestStateAtMissingRoot(t *testing.T) {
	db := New(rawdb.NewMemoryDatabase())
	_, err := db.StateAt(common.HexToHash("0xdead"))
	if !errors.Is(err, ErrMissingState) {
		t.Fatalf("err = %v, want ErrMissingState", err)
	}
	if db.HasState(common.HexToHash("0xdead")) {
		t.Fatal("HasState of unknown root = true")
	}
}

// TestApplyAllocRejectsHugeBalance proves an out-of-range balance is an
// error, not a silent truncation.
func TestApplyAllocRejectsHugeBalance(t *testing.T) {
	huge := new(big.Int).Lsh(big.NewInt(1), 256)
	_, err := New(rawdb.NewMemoryDatabase()).ApplyAlloc(map[common.Address]types.Account{
		common.HexToAddress("0x01"): {Balance: huge},
	})
	if err == nil {
		t.Fatal("want error for 2^256 balance")
	}
}
