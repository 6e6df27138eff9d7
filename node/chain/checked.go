package chain

import (
	"sync"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
)

// checkedCacheSize bounds the blocks remembered as checked: the proposals
// of a few rounds.
const checkedCacheSize = 8

// checkedBlocks remembers the blocks whose commitments were checked
// (block.CheckCommitments) since they were decoded, so Execute does not
// hash a proposal's transactions a second time: the gossip check of a
// proposal already computed its transactions root (issue 17: "a proposal's
// transaction root computed once"). A block is known by its pointer and
// its header hash, so a header changed since the check is checked again;
// transactions swapped for equal ones (same hashes, as withPooledTxs
// does) keep the root. Execution still compares every root it computes.
type checkedBlocks struct {
	mu     sync.Mutex
	blocks [checkedCacheSize]*block.Block
	hashes [checkedCacheSize]common.Hash
	next   int
}

func (c *checkedBlocks) add(b *block.Block) {
	h := b.Hash()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocks[c.next], c.hashes[c.next] = b, h
	c.next = (c.next + 1) % checkedCacheSize
}

func (c *checkedBlocks) has(b *block.Block) bool {
	c.mu.Lock()
	i := -1
	for j, x := range c.blocks {
		if x == b {
			i = j
			break
		}
	}
	var h common.Hash
	if i >= 0 {
		h = c.hashes[i]
	}
	c.mu.Unlock()
	return i >= 0 && b.Hash() == h
}

// CommitmentsChecked records that b, as it is now, passed
// b.CheckCommitments: Execute of the same block object then skips that
// check. The caller must not have changed b since the check, except for
// swapping transactions for others with the same hashes.
func (c *Chain) CommitmentsChecked(b *block.Block) { c.checked.add(b) }

// checkCommitments is b.CheckCommitments unless CommitmentsChecked said it
// passed.
func (c *Chain) checkCommitments(b *block.Block) error {
	if c.checked.has(b) {
		return nil
	}
	return b.CheckCommitments()
}
