package txpool

import (
	"fmt"
	"math/big"
	"slices"
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
// have to evict. The choice of victims is made before
// anything is removed, so a refused e leaves the pool unchanged.
func (p *Pool) makeRoom(e *entry) error {
	count, bytes := len(p.byHash)+1, p.bytes+e.size
	if count <= p.cfg.MaxTxs && bytes <= p.cfg.MaxBytes {
		return nil
	}
	if e.size > p.cfg.MaxBytes {
		return fmt.Errorf("%w: the transaction alone (%d bytes) exceeds the pool's %d bytes", ErrPoolFull, e.size, p.cfg.MaxBytes)
	}
	newTip := effectiveTip(e, p.baseFee)
	// Tail of each sender's chain, excluding e's own sender's (evicting
	// those would not help e and could strand it).
	tails := make(map[*account][]uint64)
	var victims []*entry
	for count > p.cfg.MaxTxs || bytes > p.cfg.MaxBytes {
		var worst *entry
		var worstAcc *account
		worstStuck := false
		for from, acc := range p.accounts {
			if from == e.sender {
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
		if worst == nil || (!worstStuck && effectiveTip(worst, p.baseFee).Cmp(newTip) >= 0) {
			return fmt.Errorf("%w: %d transactions, %d bytes; this one's tip (%s wei) does not beat the cheapest",
				ErrPoolFull, len(p.byHash), p.bytes, newTip)
		}
		victims = append(victims, worst)
		tails[worstAcc] = tails[worstAcc][:len(tails[worstAcc])-1]
		count--
		bytes -= worst.size
	}
	for _, v := range victims {
		p.remove(v)
		p.dropEmpty(v.sender)
	}
	return nil
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
