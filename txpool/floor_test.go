package txpool

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
)

// TestFullPoolRefusesAtTheFloorWithoutEvicting fills the pool with
// executable transfers of one price: a newcomer paying the same is refused
// with "txpool is full" (by the tip floor, without a scan) and the pool is
// unchanged; one paying more still evicts the cheapest chain end.
func TestFullPoolRefusesAtTheFloorWithoutEvicting(t *testing.T) {
	kr := newKeyring(t, 6)
	cfg := DefaultConfig()
	cfg.MaxTxs = 8
	p := newPool(kr, cfg)
	for i := range 4 {
		mustAdd(t, p, kr.tx(t, i, 0, 2, 100), kr.tx(t, i, 1, 2, 100))
	}
	err := p.Add(kr.tx(t, 4, 0, 2, 100))[0]
	if !errors.Is(err, ErrPoolFull) || !strings.Contains(err.Error(), "txpool is full") {
		t.Fatalf("got %v, want ErrPoolFull", err)
	}
	if p.Len() != 8 {
		t.Fatalf("pool holds %d, want 8", p.Len())
	}
	rich := kr.tx(t, 5, 0, 3, 100)
	mustAdd(t, p, rich)
	if p.Len() != 8 || !p.Has(rich.Hash()) {
		t.Fatalf("a better-paying transaction did not evict: len %d", p.Len())
	}
	// The victim was a chain end (nonce 1), never a head.
	for i := range 4 {
		if !p.Has(kr.tx(t, i, 0, 2, 100).Hash()) {
			t.Fatalf("sender %d's nonce 0 was evicted", i)
		}
	}
}

// TestFullPoolFloorFollowsRemovals checks that the tip floor rises again
// once the cheapest transactions leave the pool (the bound is recomputed
// when stale), so a transaction paying between the old and the new floor
// is refused, and one paying above the new floor evicts.
func TestFullPoolFloorFollowsRemovals(t *testing.T) {
	kr := newKeyring(t, 4)
	cfg := DefaultConfig()
	cfg.MaxTxs = 2
	p := newPool(kr, cfg)
	mustAdd(t, p, kr.tx(t, 0, 0, 1, 100), kr.tx(t, 1, 0, 5, 100))
	kr.st.nonces[kr.addr(0)] = 1 // sender 0's transfer was included
	p.Reset(kr.st, gwei)
	mustAdd(t, p, kr.tx(t, 2, 0, 5, 100))
	if err := p.Add(kr.tx(t, 3, 0, 3, 100))[0]; !errors.Is(err, ErrPoolFull) {
		t.Fatalf("tip 3 against a floor of 5: got %v, want ErrPoolFull", err)
	}
	mustAdd(t, p, kr.tx(t, 3, 0, 6, 100))
	if p.Len() != 2 {
		t.Fatalf("pool holds %d, want 2", p.Len())
	}
}

// BenchmarkAddToFullPool measures refusing a transfer at a full pool of
// 20,000 transactions from 1,000 senders paying the same: the case of a
// load above what the chain finalizes (issue 17).
func BenchmarkAddToFullPool(b *testing.B) {
	kr := newKeyring(b, 1001)
	cfg := DefaultConfig()
	p := newPool(kr, cfg)
	for n := range 20 {
		for i := range 1000 {
			if err := p.Add(kr.tx(b, i, uint64(n), 1, 100))[0]; err != nil {
				b.Fatal(err)
			}
		}
	}
	late := kr.tx(b, 1000, 0, 1, 100)
	if _, err := types.Sender(signer, late); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if err := p.Add(late)[0]; !errors.Is(err, ErrPoolFull) {
			b.Fatal(err)
		}
	}
}

// TestCheckRoomRefusesBeforeRecovery: a full pool's cheap check refuses a
// transaction paying no more than the cheapest pooled one, with the same
// "txpool is full" error Add gives, and lets through one that pays more,
// any transaction while the pool has room, and any while a transaction is
// stuck behind a gap (which any newcomer may evict).
func TestCheckRoomRefusesBeforeRecovery(t *testing.T) {
	kr := newKeyring(t, 5)
	cfg := DefaultConfig()
	cfg.MaxTxs = 3
	p := newPool(kr, cfg)
	same := kr.tx(t, 3, 0, 2, 100)
	if err := p.CheckRoom(same); err != nil {
		t.Fatalf("empty pool: %v", err)
	}
	mustAdd(t, p, kr.tx(t, 0, 0, 2, 100), kr.tx(t, 1, 0, 2, 100))
	if err := p.CheckRoom(same); err != nil {
		t.Fatalf("pool with room: %v", err)
	}
	mustAdd(t, p, kr.tx(t, 2, 0, 2, 100))
	err := p.CheckRoom(same)
	if !errors.Is(err, ErrPoolFull) || !strings.Contains(err.Error(), "txpool is full") {
		t.Fatalf("full pool, same price: got %v, want ErrPoolFull", err)
	}
	if addErr := p.Add(same)[0]; !errors.Is(addErr, ErrPoolFull) {
		t.Fatalf("CheckRoom refused what Add takes: Add says %v", addErr)
	}
	if err := p.CheckRoom(kr.tx(t, 3, 0, 3, 101)); err != nil {
		t.Fatalf("full pool, better price: %v", err)
	}
	// A stuck transaction can be evicted by anyone: Add decides.
	p2 := newPool(kr, cfg)
	mustAdd(t, p2, kr.tx(t, 2, 5, 2, 100), kr.tx(t, 0, 0, 2, 100), kr.tx(t, 1, 0, 2, 100)) // the gapped one while there is slack
	if err := p2.CheckRoom(same); err != nil {
		t.Fatalf("full pool with a stuck transaction: %v", err)
	}
	mustAdd(t, p2, same)
}

// TestCheckSubmitRoomKeepsRoomForGossip: past MaxSubmittedTxs a submitted
// transaction at the floor is refused while a gossiped one (CheckRoom) is
// still taken up to MaxTxs; one that beats the cheapest is let through to
// Add, and an unset bound is MaxTxs.
func TestCheckSubmitRoomKeepsRoomForGossip(t *testing.T) {
	kr := newKeyring(t, 6)
	cfg := DefaultConfig()
	cfg.MaxTxs = 4
	cfg.MaxSubmittedTxs = 2
	p := newPool(kr, cfg)
	mustAdd(t, p, kr.tx(t, 0, 0, 2, 100))
	submitted := kr.tx(t, 5, 0, 2, 100)
	if err := p.CheckSubmitRoom(submitted); err != nil {
		t.Fatalf("1 of 2 submitted room used: %v", err)
	}
	mustAdd(t, p, kr.tx(t, 1, 0, 2, 100))
	err := p.CheckSubmitRoom(submitted)
	if !errors.Is(err, ErrPoolFull) || !strings.Contains(err.Error(), "txpool is full for submitted transactions: 2 pooled") ||
		!strings.Contains(err.Error(), "the rest of its 4 is kept for its peers' gossip") {
		t.Fatalf("submitted room used up: got %v, want ErrPoolFull for submitted transactions at 2 of 4", err)
	}
	if err := p.CheckRoom(submitted); err != nil {
		t.Fatalf("gossip room left: %v", err)
	}
	if err := p.CheckSubmitRoom(kr.tx(t, 5, 0, 3, 101)); err != nil {
		t.Fatalf("a submitted transaction beating the cheapest: %v", err)
	}
	mustAdd(t, p, kr.tx(t, 2, 0, 2, 100), kr.tx(t, 3, 0, 2, 100))
	if err := p.CheckRoom(submitted); !errors.Is(err, ErrPoolFull) {
		t.Fatalf("pool at MaxTxs: gossip got %v, want ErrPoolFull", err)
	}

	// A transaction stuck behind a nonce gap lets a gossiped one through
	// a full pool (Add evicts it) but does not lift the submitted bound,
	// below which nothing is evicted.
	stuck := newPool(kr, cfg)
	mustAdd(t, stuck, kr.tx(t, 2, 5, 2, 100), kr.tx(t, 0, 0, 2, 100))
	if err := stuck.CheckSubmitRoom(submitted); !errors.Is(err, ErrPoolFull) {
		t.Fatalf("submitted room used up, one stuck transaction: got %v, want ErrPoolFull", err)
	}
	mustAdd(t, stuck, kr.tx(t, 1, 0, 2, 100), kr.tx(t, 3, 0, 2, 100))
	if err := stuck.CheckRoom(submitted); err != nil {
		t.Fatalf("full pool with a stuck transaction, gossip: %v", err)
	}

	cfg.MaxSubmittedTxs = 0
	unset := newPool(kr, cfg)
	mustAdd(t, unset, kr.tx(t, 0, 0, 2, 100), kr.tx(t, 1, 0, 2, 100), kr.tx(t, 2, 0, 2, 100))
	if err := unset.CheckSubmitRoom(submitted); err != nil {
		t.Fatalf("no submitted bound, 3 of 4 used: %v", err)
	}
}
