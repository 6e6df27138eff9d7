package txpool

import (
	"errors"
	"testing"
)

// TestPrecheckRefusesOnTheClaimedSender: before recovery, Precheck refuses
// a pooled transaction, a nonce the claimed sender has used, a gapped one
// once the pool is three quarters full, and what CheckRoom refuses; it
// lets through what Add should decide.
func TestPrecheckRefusesOnTheClaimedSender(t *testing.T) {
	kr := newKeyring(t, 6)
	cfg := DefaultConfig()
	cfg.MaxTxs = 4
	p := newPool(kr, cfg)
	first := kr.tx(t, 0, 0, 1, 100)
	mustAdd(t, p, first)
	if err := p.Precheck(first, kr.addr(0)); !errors.Is(err, ErrAlreadyKnown) {
		t.Errorf("pooled transaction: %v, want ErrAlreadyKnown", err)
	}
	if err := p.Precheck(kr.tx(t, 0, 1, 1, 100), kr.addr(0)); err != nil {
		t.Errorf("the next nonce: %v", err)
	}
	kr.st.nonces[kr.addr(1)] = 3
	if err := p.Precheck(kr.tx(t, 1, 2, 1, 100), kr.addr(1)); !errors.Is(err, ErrStaleNonce) {
		t.Errorf("a used nonce: %v, want ErrStaleNonce", err)
	}
	if err := p.Precheck(kr.tx(t, 2, 5, 1, 100), kr.addr(2)); err != nil {
		t.Errorf("a gapped transaction into a pool with slack: %v", err)
	}
	mustAdd(t, p, kr.tx(t, 3, 0, 1, 100), kr.tx(t, 4, 0, 1, 100)) // 3 of 4
	if err := p.Precheck(kr.tx(t, 2, 5, 1, 100), kr.addr(2)); !errors.Is(err, ErrPoolFull) {
		t.Errorf("a gapped transaction into a pool 3/4 full: %v, want ErrPoolFull", err)
	}
	mustAdd(t, p, kr.tx(t, 5, 0, 1, 100)) // full
	if err := p.Precheck(kr.tx(t, 2, 0, 1, 100), kr.addr(2)); !errors.Is(err, ErrPoolFull) {
		t.Errorf("a full pool at the same price: %v, want ErrPoolFull", err)
	}
}
