package txpool

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// The indexes that let a full pool refuse a transaction without scanning
// every account (makeRoom): the accounts with a nonce gap, and a lower
// bound of the caps of every pooled transaction.

// markGaps records whether from's account has transactions behind a nonce
// gap (stuck ones, evicted first). Called whenever the account's pooled
// nonces or its state nonce change.
func (p *Pool) markGaps(from common.Address, acc *account) {
	if acc != nil && len(acc.byNonce) > 0 && acc.future() > 0 {
		p.gapped[from] = acc
		return
	}
	delete(p.gapped, from)
}

// gappedAccounts returns the accounts with a nonce gap.
func (p *Pool) gappedAccounts() map[common.Address]*account { return p.gapped }

// tipBound is a lower bound of the tip cap and of the fee cap of every
// pooled transaction. Adding a transaction lowers it at once; removing
// one only marks it stale (a stale bound is still a lower bound), and it
// is recomputed when next needed.
type tipBound struct {
	tipCap, feeCap *big.Int
	stale          bool
}

func (b *tipBound) add(e *entry) {
	if b.stale {
		return
	}
	if b.tipCap == nil || e.tipCap.Cmp(b.tipCap) < 0 {
		b.tipCap = e.tipCap
	}
	if b.feeCap == nil || e.feeCap.Cmp(b.feeCap) < 0 {
		b.feeCap = e.feeCap
	}
}

func (b *tipBound) remove(e *entry) {
	if !b.stale && (e.tipCap.Cmp(b.tipCap) == 0 || e.feeCap.Cmp(b.feeCap) == 0) {
		b.stale = true
	}
}

// tipFloor returns a lower bound of the effective tip, at the pool's base
// fee, of every pooled transaction: min(tip cap, fee cap − base fee) of
// each is at least min(lowest tip cap, lowest fee cap − base fee).
func (p *Pool) tipFloor() *big.Int {
	b := &p.floor
	if b.stale {
		*b = tipBound{}
		for _, e := range p.byHash {
			b.add(e)
		}
	}
	if b.tipCap == nil {
		return big.NewInt(-1) // empty: nothing to beat
	}
	floor := new(big.Int).Sub(b.feeCap, p.baseFee)
	if b.tipCap.Cmp(floor) < 0 {
		floor.Set(b.tipCap)
	}
	return floor
}

// CheckRoom is a cheap check, before the sender of tx is recovered, that a
// full pool would refuse it: the pool is at its bounds, no transaction is
// stuck behind a nonce gap (those are evicted first, whatever they pay),
// and both of tx's caps are at most the lowest of any pooled transaction,
// so it can neither outbid a pooled transaction nor replace one. It
// returns an ErrPoolFull error then, and nil when Add should decide.
// Under a load above what the chain finalizes, this spares a signature
// recovery per refused transaction.
func (p *Pool) CheckRoom(tx *types.Transaction) error {
	return p.checkRoom(tx, p.cfg.MaxTxs, false)
}

// CheckSubmitRoom is CheckRoom for a transaction submitted to this node
// rather than gossiped by a peer: it refuses tx, unless it beats the
// cheapest pooled, once the pool holds MaxSubmittedTxs besides the
// transactions of the block being decided (SetDeciding), leaving the room
// above for gossip. Under a load above what the chain takes, each pool
// then stops taking its own clients' transactions while it still takes
// the ones its peers took, so the validators hold one shared backlog
// instead of each its own (issue 17), of up to MaxSubmittedTxs waiting
// for the blocks after the one being decided.
func (p *Pool) CheckSubmitRoom(tx *types.Transaction) error {
	limit := p.cfg.MaxTxs
	if p.cfg.MaxSubmittedTxs > 0 && p.cfg.MaxSubmittedTxs < limit {
		limit = p.cfg.MaxSubmittedTxs
	}
	return p.checkRoom(tx, limit, true)
}

// checkRoom is CheckRoom with the pool bounded at maxTxs transactions,
// not counting the block being decided's when waiting says so.
func (p *Pool) checkRoom(tx *types.Transaction, maxTxs int, waiting bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	size := tx.Size()
	count := len(p.byHash)
	if waiting {
		count -= p.deciding.held
	}
	if count+1 <= maxTxs && len(p.byHash)+1 <= p.cfg.MaxTxs && p.bytes+size <= p.cfg.MaxBytes {
		return nil
	}
	// At the pool's own bounds Add makes room by evicting a stuck
	// transaction, whatever tx pays, so it decides; below them (the
	// submitted share is used up) nothing is evicted and the floor holds.
	full := len(p.byHash)+1 > p.cfg.MaxTxs || p.bytes+size > p.cfg.MaxBytes
	if (full && len(p.gapped) > 0) || len(p.byHash) == 0 {
		return nil
	}
	floor := p.tipFloor()
	b := &p.floor
	if tx.GasTipCapIntCmp(b.tipCap) > 0 || tx.GasFeeCapIntCmp(b.feeCap) > 0 {
		return nil
	}
	if !full {
		deciding := ""
		if p.deciding.held > 0 {
			deciding = fmt.Sprintf(" (besides the %d of the block being decided)", p.deciding.held)
		}
		return fmt.Errorf("%w for submitted transactions: %d pooled waiting for a block%s, the most this node takes from its clients (the rest of its %d is kept for its peers' gossip); this one's caps do not beat the cheapest (tip floor %s wei)",
			ErrPoolFull, count, deciding, p.cfg.MaxTxs, floor)
	}
	return fmt.Errorf("%w: %d transactions, %d bytes; this one's caps do not beat the cheapest (tip floor %s wei)",
		ErrPoolFull, len(p.byHash), p.bytes, floor)
}
