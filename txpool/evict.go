package txpool

import (
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// effectiveTip is what a transaction pays its proposer per gas at baseFee:
// min(tip cap, fee cap − base fee), negative when the fee cap is below it.
func effectiveTip(e *entry, baseFee *big.Int) *big.Int {
	tip := new(big.Int).Sub(e.feeCap, baseFee)
	if e.tipCap.Cmp(tip) < 0 {
		tip.Set(e.tipCap)
	}
	return tip
}

func sortedNonces(acc *account) []uint64 {
	nonces := make([]uint64, 0, len(acc.byNonce))
	for n := range acc.byNonce {
		nonces = append(nonces, n)
	}
	slices.Sort(nonces)
	return nonces
}

// makeRoom evicts chain-ending transactions until e fits in the count and
// byte bounds: first those stuck behind a nonce gap, then the cheapest. It
// refuses e when e pays no more than every executable transaction it would
// have to evict, and a future e (behind a gap of its own) whenever the
// pool is full: a transaction that cannot execute yet is not worth
// another's place. The choice of victims is made before anything is
// removed, so a refused e leaves the pool unchanged.
//
// A full pool is the common case under a load above what the chain
// finalizes, so refusing must not cost a scan of the pool (issue 17: that
// scan took two thirds of a validator's CPU once its pool filled, and
// throughput collapsed; later, sorting every gapped account's nonces to
// pick the cheapest stuck tail took a seventh of it). A stuck victim is
// the tail of any gapped account (its last nonce is behind the gap, so
// it cannot execute whatever it pays), found without sorting; and a
// transaction that pays no more than the pool's tip floor (a lower bound
// of every pooled effective tip) is refused without looking further.
func (p *Pool) makeRoom(e *entry, future bool) error {
	count, bytes := len(p.byHash)+1, p.bytes+e.size
	over := func() bool { return count > p.cfg.MaxTxs || bytes > p.cfg.MaxBytes }
	if !over() {
		return nil
	}
	if e.size > p.cfg.MaxBytes {
		return fmt.Errorf("%w: the transaction alone (%d bytes) exceeds the pool's %d bytes", ErrPoolFull, e.size, p.cfg.MaxBytes)
	}
	if future {
		return fmt.Errorf("%w: %d transactions, %d bytes; this one's nonce %d leaves a gap, and gapped transactions are not pooled when full",
			ErrPoolFull, len(p.byHash), p.bytes, e.tx.Nonce())
	}
	newTip := effectiveTip(e, p.baseFee)
	refuse := func() error {
		return fmt.Errorf("%w: %d transactions, %d bytes; this one's tip (%s wei) does not beat the cheapest",
			ErrPoolFull, len(p.byHash), p.bytes, newTip)
	}
	var victims []*entry
	// Stuck transactions first, whatever they pay: the tail of each
	// gapped account but e's own (evicting those would not help e and
	// could strand it), one per account.
	for from, acc := range p.gappedAccounts() {
		if !over() {
			break
		}
		if from == e.sender {
			continue
		}
		if v := acc.tail(); v != nil {
			victims = append(victims, v)
			count--
			bytes -= v.size
		}
	}
	if over() && newTip.Cmp(p.tipFloor()) <= 0 {
		return refuse()
	}
	// Then the cheapest chain ends, if e pays more than they do.
	tails := make(map[*account][]uint64)
	for _, v := range victims {
		acc := p.accounts[v.sender]
		tails[acc] = sortedNonces(acc)[:len(acc.byNonce)-1]
	}
	for over() {
		worst, acc, stuck := p.worstTail(p.accounts, e.sender, tails)
		if worst == nil || (!stuck && effectiveTip(worst, p.baseFee).Cmp(newTip) >= 0) {
			return refuse()
		}
		victims = append(victims, worst)
		tails[acc] = tails[acc][:len(tails[acc])-1]
		count--
		bytes -= worst.size
	}
	for _, v := range victims {
		p.remove(v)
		p.dropEmpty(v.sender)
	}
	return nil
}

// tail returns the account's pooled transaction with the highest nonce.
func (acc *account) tail() *entry {
	var t *entry
	for n, e := range acc.byNonce {
		if t == nil || n > t.tx.Nonce() {
			t = e
		}
	}
	return t
}

// worstTail returns the chain end to evict first among accounts (but
// exclude's): a stuck one before any executable one, then the cheapest.
// tails caches each account's remaining sorted nonces.
func (p *Pool) worstTail(accounts map[common.Address]*account, exclude common.Address, tails map[*account][]uint64) (*entry, *account, bool) {
	var worst *entry
	var worstAcc *account
	worstStuck := false
	for from, acc := range accounts {
		if from == exclude {
			continue
		}
		nonces, ok := tails[acc]
		if !ok {
			nonces = sortedNonces(acc)
			tails[acc] = nonces
		}
		if len(nonces) == 0 {
			continue
		}
		cand := acc.byNonce[nonces[len(nonces)-1]]
		candStuck := !executable(acc, nonces)
		if worst == nil || (candStuck && !worstStuck) || (candStuck == worstStuck && cheaper(cand, worst, p.baseFee)) {
			worst, worstAcc, worstStuck = cand, acc, candStuck
		}
	}
	return worst, worstAcc, worstStuck
}

// executable reports whether an account's pooled nonces (sorted) run
// without a gap from its state nonce, so its last transaction can execute
// once the earlier ones do. A transaction behind a gap waits for one that
// may never come: it is evicted first, whatever it pays.
func executable(acc *account, nonces []uint64) bool {
	return len(nonces) > 0 && nonces[0] == acc.stateNonce && nonces[len(nonces)-1]-nonces[0] == uint64(len(nonces)-1)
}

// cheaper orders entries for eviction: lower effective tip first, then the
// later arrival.
func cheaper(a, b *entry, baseFee *big.Int) bool {
	if c := effectiveTip(a, baseFee).Cmp(effectiveTip(b, baseFee)); c != 0 {
		return c < 0
	}
	return a.seq > b.seq
}
