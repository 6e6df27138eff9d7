package node

import (
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestSenderCacheForgetsTheOldest: a full cache forgets the sender it
// learned first; adding a known hash again changes nothing.
func TestSenderCacheForgetsTheOldest(t *testing.T) {
	c := newSenderCache(3)
	h := func(i int) common.Hash { return common.BigToHash(big.NewInt(int64(i))) }
	a := func(i int) common.Address { return common.BigToAddress(big.NewInt(int64(100 + i))) }
	for i := range 3 {
		c.add(h(i), a(i))
	}
	c.add(h(1), a(9)) // known: kept as it was, not refreshed
	c.add(h(3), a(3))
	if _, ok := c.get(h(0)); ok {
		t.Fatal("the oldest sender was kept past the capacity")
	}
	for i := 1; i <= 3; i++ {
		if from, ok := c.get(h(i)); !ok || from != a(i) {
			t.Fatalf("hash %d: %s (held %v), want %s", i, from, ok, a(i))
		}
	}
	c.add(h(4), a(4))
	if _, ok := c.get(h(1)); ok || c.len() != 3 {
		t.Fatalf("after a fifth sender: hash 1 held %v, %d held, want not and 3", ok, c.len())
	}
	var none *senderCache
	if _, ok := none.get(h(1)); ok {
		t.Fatal("a nil cache holds a sender")
	}
}

// TestCachedSignerLeavesTheSenderInTheTransaction: a sender from the cache
// costs no recovery, and types.Sender with the plain signer finds it in
// the transaction afterwards (as executing the block asks for it).
func TestCachedSignerLeavesTheSenderInTheTransaction(t *testing.T) {
	chainID := big.NewInt(1337)
	base := types.LatestSignerForChainID(chainID)
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := types.SignNewTx(key, base, &types.DynamicFeeTx{ChainID: chainID, Gas: 21000, GasFeeCap: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := signed.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	fresh := func() *types.Transaction {
		tx := new(types.Transaction)
		if err := tx.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	var recoveries atomic.Int64
	counting := countingSigner{Signer: base, recoveries: &recoveries}
	want := crypto.PubkeyToAddress(key.PublicKey)
	cache := newSenderCache(4)
	cache.add(signed.Hash(), want)
	tx := fresh()
	if from, err := types.Sender(cachedSigner{Signer: counting, cache: cache}, tx); err != nil || from != want {
		t.Fatalf("from the cache: %s, %v", from, err)
	}
	if from, err := types.Sender(counting, tx); err != nil || from != want {
		t.Fatalf("afterwards: %s, %v", from, err)
	}
	if n := recoveries.Load(); n != 0 {
		t.Fatalf("%d recoveries, want 0", n)
	}
	// Not cached: recovered, once.
	other := fresh()
	if from, err := types.Sender(cachedSigner{Signer: counting, cache: newSenderCache(4)}, other); err != nil || from != want {
		t.Fatalf("recovered: %s, %v", from, err)
	}
	if n := recoveries.Load(); n != 1 {
		t.Fatalf("%d recoveries, want 1", n)
	}
}
