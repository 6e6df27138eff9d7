package txpool

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// The block being decided. Its transactions stay pooled until the block
// commits, but they are already on their way out: counting them against
// the share of the pool this node's clients may fill (CheckSubmitRoom)
// refused every client while a block as large as that share was voted on.
// Under a load above what the chain takes, the pool then held nothing for
// the next block but what arrived after the commit, and the chain
// alternated full and nearly empty blocks (issue 17, session 26: blocks of
// 3,100 and 300 transfers, the cores a quarter idle).

// decidingSet is the hashes of the block being decided and how many of
// them are pooled.
type decidingSet struct {
	hashes map[common.Hash]struct{}
	held   int
}

// SetDeciding names txs as the transactions of the block being decided,
// replacing the block named before: the ones pooled no longer count
// against the share of the pool submitted transactions may fill. The
// pool forgets them as they leave (a committed block's are removed by
// ResetAccounts); a block that is not decided stays named until the next.
func (p *Pool) SetDeciding(txs types.Transactions) {
	hashes := make(map[common.Hash]struct{}, len(txs))
	for _, tx := range txs {
		hashes[tx.Hash()] = struct{}{}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deciding.hashes = hashes
	p.deciding.held = 0
	for h := range hashes {
		if _, ok := p.byHash[h]; ok {
			p.deciding.held++
		}
	}
}

// Deciding returns how many pooled transactions belong to the block being
// decided (SetDeciding).
func (p *Pool) Deciding() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deciding.held
}

// inserted and removed keep the count of pooled transactions of the block
// being decided as the pool changes.
func (d *decidingSet) inserted(hash common.Hash) {
	if _, ok := d.hashes[hash]; ok {
		d.held++
	}
}

func (d *decidingSet) removed(hash common.Hash) {
	if _, ok := d.hashes[hash]; ok {
		d.held--
	}
}
