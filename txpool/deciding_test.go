package txpool

import (
	"errors"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/core/types"
)

// TestDecidingBlockLeavesTheClientsShare: the pooled transactions of the
// block being decided do not count against MaxSubmittedTxs, so clients may
// fill the share again for the next block while one is voted on; the pool's
// own bound still holds, a replaced block's transactions count again, and
// the count follows the transactions as they enter (gossip after the
// proposal) and leave (the commit).
func TestDecidingBlockLeavesTheClientsShare(t *testing.T) {
	kr := newKeyring(t, 8)
	cfg := DefaultConfig()
	cfg.MaxTxs = 5
	cfg.MaxSubmittedTxs = 2
	p := newPool(kr, cfg)
	inBlock := types.Transactions{kr.tx(t, 0, 0, 2, 100), kr.tx(t, 1, 0, 2, 100), kr.tx(t, 2, 0, 2, 100)}
	mustAdd(t, p, inBlock[0], inBlock[1])
	submitted := kr.tx(t, 7, 0, 2, 100)
	err := p.CheckSubmitRoom(submitted)
	if !errors.Is(err, ErrPoolFull) || !strings.Contains(err.Error(), "2 pooled waiting for a block, the most") {
		t.Fatalf("share used up, no block named: got %v, want ErrPoolFull at 2 pooled", err)
	}

	p.SetDeciding(inBlock) // the third is not pooled yet
	if got := p.Deciding(); got != 2 {
		t.Fatalf("Deciding = %d, want the 2 pooled of the block", got)
	}
	if err := p.CheckSubmitRoom(submitted); err != nil {
		t.Fatalf("the block's transactions still took the clients' share: %v", err)
	}
	mustAdd(t, p, kr.tx(t, 3, 0, 2, 100), kr.tx(t, 4, 0, 2, 100))
	err = p.CheckSubmitRoom(submitted)
	if !errors.Is(err, ErrPoolFull) || !strings.Contains(err.Error(), "2 pooled waiting for a block (besides the 2 of the block being decided), the most") {
		t.Fatalf("share used up again beside the block: got %v", err)
	}

	mustAdd(t, p, inBlock[2]) // gossiped after the proposal: it counts as the block's
	if got := p.Deciding(); got != 3 {
		t.Fatalf("Deciding = %d after the block's third transaction arrived, want 3", got)
	}
	if got := p.Len(); got != 5 {
		t.Fatalf("pool holds %d, want 5", got)
	}
	// The pool's own bound still holds: at MaxTxs a submitted transaction
	// at the floor is refused even when the block being decided holds
	// every pooled one.
	all := append(types.Transactions{kr.tx(t, 3, 0, 2, 100), kr.tx(t, 4, 0, 2, 100)}, inBlock...)
	p.SetDeciding(all)
	if got := p.Deciding(); got != 5 {
		t.Fatalf("Deciding = %d with every pooled transaction named, want 5", got)
	}
	err = p.CheckSubmitRoom(kr.tx(t, 6, 0, 2, 100))
	if !errors.Is(err, ErrPoolFull) || !strings.Contains(err.Error(), "txpool is full: 5 transactions") {
		t.Fatalf("pool at MaxTxs: got %v, want ErrPoolFull at 5 transactions", err)
	}

	// Another block named instead: the first one's transactions count again.
	p.SetDeciding(types.Transactions{inBlock[0]})
	if got := p.Deciding(); got != 1 {
		t.Fatalf("Deciding = %d after another block was named, want 1", got)
	}

	// The commit removes the block's transactions, and the count with them.
	kr.st.nonces[kr.addr(0)] = 1
	if dropped := p.Reset(kr.st, gwei); dropped != 1 {
		t.Fatalf("dropped %d at the commit, want 1", dropped)
	}
	if got := p.Deciding(); got != 0 {
		t.Fatalf("Deciding = %d after the commit, want 0", got)
	}
	if got := p.Len(); got != 4 {
		t.Fatalf("pool holds %d after the commit, want 4", got)
	}
}
