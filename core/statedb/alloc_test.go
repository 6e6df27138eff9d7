package statedb

import (
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// allocViaStateDB is how ApplyAlloc computed a genesis state before it
// built the tries itself: every account set on a StateDB, committed with
// Rules(). The two must agree on every allocation.
func allocViaStateDB(t *testing.T, alloc map[common.Address]types.Account) common.Hash {
	t.Helper()
	db := New(rawdb.NewMemoryDatabase())
	sdb, err := db.StateAt(types.EmptyRootHash)
	if err != nil {
		t.Fatal(err)
	}
	for addr, acct := range alloc {
		if acct.Balance != nil {
			sdb.SetBalance(addr, uint256.MustFromBig(acct.Balance), tracing.BalanceIncreaseGenesisBalance)
		}
		sdb.SetNonce(addr, acct.Nonce, tracing.NonceChangeGenesis)
		if len(acct.Code) > 0 {
			sdb.SetCode(addr, acct.Code, tracing.CodeChangeGenesis)
		}
		for k, v := range acct.Storage {
			sdb.SetState(addr, k, v)
		}
	}
	root, err := db.Commit(sdb, 0)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// randomAlloc returns n accounts of every shape a genesis can hold: funded
// or not, with nonces, code and storage (some of it zero), and empty ones,
// which EIP-158 leaves out of the state.
func randomAlloc(rng *rand.Rand, n int) map[common.Address]types.Account {
	alloc := make(map[common.Address]types.Account, n)
	word := func() common.Hash {
		var h common.Hash
		for i := 32 - 1 - rng.IntN(32); i < 32; i++ {
			h[i] = byte(rng.Uint32())
		}
		return h
	}
	for range n {
		var addr common.Address
		for i := range addr {
			addr[i] = byte(rng.Uint32())
		}
		var acct types.Account
		switch rng.IntN(8) {
		case 0: // empty: no balance, nonce or code
			acct.Balance = new(big.Int)
		case 1: // empty, with storage (dropped with it)
			acct.Storage = map[common.Hash]common.Hash{word(): word()}
		case 2: // a huge balance
			acct.Balance = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
		default:
			acct.Balance = big.NewInt(rng.Int64N(1 << 62))
		}
		if rng.IntN(4) == 0 {
			acct.Nonce = rng.Uint64N(1000)
		}
		if rng.IntN(6) == 0 {
			acct.Code = []byte(strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(100)))
			acct.Storage = map[common.Hash]common.Hash{}
			for range rng.IntN(40) {
				acct.Storage[word()] = word()
			}
			acct.Storage[word()] = common.Hash{} // a zero slot is not stored
		}
		alloc[addr] = acct
	}
	return alloc
}

// TestApplyAllocMatchesStateDB: the tries ApplyAlloc builds have the root a
// StateDB commits for the same allocation, whatever its accounts hold, and
// AllocRoot agrees without writing anything.
func TestApplyAllocMatchesStateDB(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	cases := map[string]map[common.Address]types.Account{
		"nothing":           nil,
		"one account":       {common.HexToAddress("0x01"): {Balance: big.NewInt(1)}},
		"only empty":        {common.HexToAddress("0x01"): {Balance: new(big.Int)}, common.HexToAddress("0x02"): {}},
		"nonce only":        {common.HexToAddress("0x01"): {Nonce: 1}},
		"code only":         {common.HexToAddress("0x01"): {Code: []byte{0x60, 0x00}}},
		"zero storage only": {common.HexToAddress("0x01"): {Balance: big.NewInt(1), Storage: map[common.Hash]common.Hash{{1}: {}}}},
		"the test alloc":    testAlloc(),
		"random 50":         randomAlloc(rng, 50),
		"random 3000":       randomAlloc(rng, 3000),
	}
	for name, alloc := range cases {
		t.Run(name, func(t *testing.T) {
			want := allocViaStateDB(t, alloc)
			got, err := New(rawdb.NewMemoryDatabase()).ApplyAlloc(alloc)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("ApplyAlloc root %s, a StateDB commits %s", got, want)
			}
			if r, err := AllocRoot(alloc); err != nil || r != want {
				t.Fatalf("AllocRoot = %s, %v; want %s", r, err, want)
			}
		})
	}
}

// TestApplyAllocIsReadableFromDisk: every account ApplyAlloc writes reads
// back through a fresh DB over the same disk (nothing cached), with its
// balance, nonce, code and storage, and empty accounts do not exist, when
// the nodes went to disk in many batches. The node cache holds the top of
// the state trie and no leaf.
func TestApplyAllocIsReadableFromDisk(t *testing.T) {
	defer func(n int) { allocBatchBytes = n }(allocBatchBytes)
	allocBatchBytes = 4 << 10 // dozens of batches
	alloc := randomAlloc(rand.New(rand.NewPCG(3, 5)), 2000)
	disk := rawdb.NewMemoryDatabase()
	cached := NewCached(disk, 1<<20)
	defer cached.Close()
	root, err := cached.ApplyAlloc(alloc)
	if err != nil {
		t.Fatal(err)
	}
	fresh := New(disk)
	sdb, err := fresh.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	checkAlloc(t, sdb, alloc)
	if err := sdb.Error(); err != nil {
		t.Fatal(err)
	}
	// And through the cached DB that wrote it, whose cache holds the top of
	// the trie.
	// 2,000 accounts fill the 273 positions of depths 0–2 with branches
	// and a few hundred of depth 3; their 2,000-odd leaves stay out.
	if st := cached.NodeCacheStats(); st.Entries < 273 || st.Entries > 1000 {
		t.Fatalf("ApplyAlloc cached %d nodes of the state trie; want its branches down to depth 3 (273–1,000), no leaves", st.Entries)
	}
	sdb, err = cached.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	checkAlloc(t, sdb, alloc)
}

func checkAlloc(t *testing.T, sdb *state.StateDB, alloc map[common.Address]types.Account) {
	t.Helper()
	for addr, acct := range alloc {
		empty := acct.Nonce == 0 && (acct.Balance == nil || acct.Balance.Sign() == 0) && len(acct.Code) == 0
		if empty {
			if sdb.Exist(addr) {
				t.Fatalf("empty account %s exists", addr)
			}
			continue
		}
		bal := new(big.Int)
		if acct.Balance != nil {
			bal = acct.Balance
		}
		if got := sdb.GetBalance(addr); got.ToBig().Cmp(bal) != 0 {
			t.Fatalf("%s: balance %s, want %s", addr, got, bal)
		}
		if got := sdb.GetNonce(addr); got != acct.Nonce {
			t.Fatalf("%s: nonce %d, want %d", addr, got, acct.Nonce)
		}
		if got := sdb.GetCode(addr); string(got) != string(acct.Code) {
			t.Fatalf("%s: code %x, want %x", addr, got, acct.Code)
		}
		for k, v := range acct.Storage {
			if got := sdb.GetState(addr, k); got != v {
				t.Fatalf("%s: slot %s = %s, want %s", addr, k, got, v)
			}
		}
	}
}

// TestApplyAllocRefusesBalancesOutOfRange: a negative balance or one wider
// than 256 bits is an error naming the account, and nothing is written.
func TestApplyAllocRefusesBalancesOutOfRange(t *testing.T) {
	for name, bal := range map[string]*big.Int{
		"negative": big.NewInt(-1),
		"2^256":    new(big.Int).Lsh(big.NewInt(1), 256),
	} {
		t.Run(name, func(t *testing.T) {
			disk := rawdb.NewMemoryDatabase()
			alloc := map[common.Address]types.Account{
				common.HexToAddress("0x01"):  {Balance: big.NewInt(1)},
				common.HexToAddress("0xbad"): {Balance: bal},
			}
			_, err := New(disk).ApplyAlloc(alloc)
			if err == nil || !strings.Contains(err.Error(), "out of range") || !strings.Contains(err.Error(), common.HexToAddress("0xbad").Hex()) {
				t.Fatalf("err = %v, want the balance of 0x…0bad out of range", err)
			}
			if _, err := AllocRoot(alloc); err == nil {
				t.Fatal("AllocRoot took the balance")
			}
			it := disk.NewIterator(nil, nil)
			defer it.Release()
			if it.Next() {
				t.Fatalf("key %x written for a refused allocation", it.Key())
			}
		})
	}
}
