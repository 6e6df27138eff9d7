package ethdbadapter

import (
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/store"
	pebblestore "github.com/bilayer/bilayer/store/pebble"
)

type account struct {
	addr    common.Address
	balance uint64
	nonce   uint64
	code    []byte
	slots   map[common.Hash]common.Hash
}

func testAccounts() []account {
	var out []account
	for i := range 5 {
		a := account{
			addr:    common.BytesToAddress([]byte{0xaa, byte(i + 1)}),
			balance: uint64(1_000_000 * (i + 1)),
			nonce:   uint64(i),
			slots:   map[common.Hash]common.Hash{},
		}
		for j := range i {
			a.slots[common.BytesToHash([]byte{byte(j + 1)})] = common.BytesToHash([]byte{0xbe, byte(i), byte(j)})
		}
		if i%2 == 1 {
			a.code = []byte{0x60, byte(i), 0x60, 0x00, 0x55} // PUSH1 i PUSH1 0 SSTORE
		}
		out = append(out, a)
	}
	return out
}

// openState opens the state stack on a pebble store at dir, with the trie
// data under store.TrieNamespace().
func openState(t *testing.T, dir string) (*pebblestore.DB, *triedb.Database, state.Database) {
	t.Helper()
	kv, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := rawdb.NewDatabase(New(kv, store.TrieNamespace()))
	tdb := triedb.NewDatabase(db, &triedb.Config{HashDB: hashdb.Defaults})
	return kv, tdb, state.NewDatabase(tdb, nil)
}

// TestStateSurvivesReopen builds go-ethereum state on the adapter over
// pebble, commits it, closes and reopens the database, and reads it back.
func TestStateSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	accounts := testAccounts()
	rules := params.TestChainConfig.Rules(common.Big0, true, 0)

	kv, tdb, sdb := openState(t, dir)
	st, err := state.New(types.EmptyRootHash, sdb)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		st.SetBalance(a.addr, uint256.NewInt(a.balance), tracing.BalanceChangeUnspecified)
		st.SetNonce(a.addr, a.nonce, tracing.NonceChangeUnspecified)
		if a.code != nil {
			st.SetCode(a.addr, a.code, tracing.CodeChangeUnspecified)
		}
		for k, v := range a.slots {
			st.SetState(a.addr, k, v)
		}
	}
	root, err := st.Commit(rules, 1)
	if err != nil {
		t.Fatalf("state commit: %v", err)
	}
	if err := tdb.Commit(root, false); err != nil {
		t.Fatalf("trie commit: %v", err)
	}
	if err := kv.NewBatch().Commit(true); err != nil { // what a node's synced block write does
		t.Fatal(err)
	}
	// Every key go-ethereum wrote is inside the trie namespace.
	it := kv.NewIterator(nil, nil)
	n := 0
	for it.Next() {
		if !bytes.HasPrefix(it.Key(), store.TrieNamespace()) {
			t.Errorf("key %x outside the trie namespace", it.Key())
		}
		n++
	}
	it.Release()
	if n == 0 {
		t.Fatal("the commit wrote nothing to the store")
	}
	if err := tdb.Close(); err != nil {
		t.Fatal(err)
	}
	if err := kv.Close(); err != nil {
		t.Fatal(err)
	}

	kv, tdb, sdb = openState(t, dir)
	defer func() { _ = kv.Close() }()
	defer func() { _ = tdb.Close() }()
	st, err = state.New(root, sdb)
	if err != nil {
		t.Fatalf("reopen state at %s: %v", root, err)
	}
	for _, a := range accounts {
		if got := st.GetBalance(a.addr); got.Uint64() != a.balance {
			t.Errorf("%s balance %s, want %d", a.addr, got, a.balance)
		}
		if got := st.GetNonce(a.addr); got != a.nonce {
			t.Errorf("%s nonce %d, want %d", a.addr, got, a.nonce)
		}
		if got := st.GetCode(a.addr); !bytes.Equal(got, a.code) {
			t.Errorf("%s code %x, want %x", a.addr, got, a.code)
		}
		for k, v := range a.slots {
			if got := st.GetState(a.addr, k); got != v {
				t.Errorf("%s slot %s = %s, want %s", a.addr, k, got, v)
			}
		}
	}
	if got := st.IntermediateRoot(rules); got != root {
		t.Errorf("reopened state root %s, want %s", got, root)
	}
}
