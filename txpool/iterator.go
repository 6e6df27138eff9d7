package txpool

import (
	"container/heap"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Iterator yields executable transactions for a block: best effective tip
// first, each sender's transactions in nonce order starting at its state
// nonce. It works on a snapshot taken by Executable and does not change
// the pool.
type Iterator struct {
	baseFee *big.Int
	heads   txHeap
}

type chain struct {
	txs []*entry // consecutive nonces from the state nonce
	tip *big.Int // effective tip of txs[0], computed once per head
}

type txHeap struct {
	chains  []*chain
	baseFee *big.Int
}

func (h *txHeap) Len() int { return len(h.chains) }
func (h *txHeap) Less(i, j int) bool {
	ci, cj := h.chains[i], h.chains[j]
	if c := ci.tip.Cmp(cj.tip); c != 0 {
		return c > 0
	}
	return ci.txs[0].seq < cj.txs[0].seq
}
func (h *txHeap) Swap(i, j int) { h.chains[i], h.chains[j] = h.chains[j], h.chains[i] }
func (h *txHeap) Push(x any)    { h.chains = append(h.chains, x.(*chain)) }
func (h *txHeap) Pop() any {
	last := h.chains[len(h.chains)-1]
	h.chains = h.chains[:len(h.chains)-1]
	return last
}

// Executable returns an iterator over the transactions that can be executed
// now: for each sender, the run of consecutive nonces from its state nonce,
// cut before the first whose fee cap is below baseFee.
func (p *Pool) Executable(baseFee *big.Int) *Iterator { return p.ExecutableAfter(baseFee, nil) }

// ExecutableAfter is Executable for a block built on one not yet
// committed (a block built ahead): each sender named in next starts its
// run at the nonce given there (the one after its transactions in that
// block) instead of its state nonce. The block's own transactions are then
// not offered, and the ones it makes executable are: under a load above
// what the chain takes, the pools refuse gossip while full and hold a
// sender's later nonces without the ones another validator's block
// carries, so counted from the head state most of a full pool was gapped,
// and blocks built ahead came out with a few dozen transfers (issue 17).
func (p *Pool) ExecutableAfter(baseFee *big.Int, next map[common.Address]uint64) *Iterator {
	p.mu.Lock()
	defer p.mu.Unlock()
	it := &Iterator{baseFee: new(big.Int).Set(baseFee)}
	it.heads.baseFee = it.baseFee
	for from, acc := range p.accounts {
		start := acc.stateNonce
		if n, ok := next[from]; ok {
			start = max(start, n)
		}
		var c chain
		for n := start; ; n++ {
			e, ok := acc.byNonce[n]
			if !ok || belowBaseFee(e, baseFee) {
				break
			}
			c.txs = append(c.txs, e)
		}
		if len(c.txs) > 0 {
			c.tip = effectiveTip(c.txs[0], it.baseFee)
			it.heads.chains = append(it.heads.chains, &c)
		}
	}
	heap.Init(&it.heads)
	return it
}

// Peek returns the best transaction left, or nil when none is left.
func (it *Iterator) Peek() *types.Transaction {
	if it.heads.Len() == 0 {
		return nil
	}
	return it.heads.chains[0].txs[0].tx
}

// Shift moves past the transaction Peek returned (it was included) to the
// next one of the same sender.
func (it *Iterator) Shift() {
	if it.heads.Len() == 0 {
		return
	}
	c := it.heads.chains[0]
	c.txs = c.txs[1:]
	if len(c.txs) == 0 {
		heap.Pop(&it.heads)
		return
	}
	c.tip = effectiveTip(c.txs[0], it.baseFee)
	heap.Fix(&it.heads, 0)
}

// Pop drops the sender of the transaction Peek returned: its later
// transactions cannot follow one that was not included.
func (it *Iterator) Pop() {
	if it.heads.Len() > 0 {
		heap.Pop(&it.heads)
	}
}
