package l2chain

import (
	"fmt"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/chaindb"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store"
)

// Rewind moves the head back to block n, forgetting the blocks above it
// (a sequencer re-sequencing blocks the L1 will not accept: their origin's
// sequencing window closed before they were posted). Their transaction
// index entries and hash index are deleted and the new head written in one
// synced batch; the removed blocks' transactions are returned, in order,
// for the caller to pool again. State above n stays on disk unreferenced.
func (c *Chain) Rewind(n block.L2Number) ([]*types.Transaction, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	head := c.head.Number()
	if uint64(n) >= head {
		return nil, nil
	}
	target, err := chaindb.ReadBlock(c.db, uint64(n))
	if err != nil {
		return nil, fmt.Errorf("rewind L2 to %d: %w", n, err)
	}
	batch := c.db.NewBatch()
	var txs []*types.Transaction
	for h := uint64(n) + 1; h <= head; h++ {
		b, err := chaindb.ReadBlock(c.db, h)
		if err != nil {
			return nil, fmt.Errorf("rewind L2 to %d: block %d: %w", n, h, err)
		}
		for _, tx := range b.Transactions {
			if err := batch.Delete(store.TxLookupKey(tx.Hash())); err != nil {
				return nil, fmt.Errorf("rewind L2 to %d: %w", n, err)
			}
		}
		if err := batch.Delete(store.HeightByHashKey(b.Hash())); err != nil {
			return nil, fmt.Errorf("rewind L2 to %d: %w", n, err)
		}
		txs = append(txs, b.Transactions...)
	}
	if err := store.WriteHeadHeight(batch, uint64(n)); err != nil {
		return nil, fmt.Errorf("rewind L2 to %d: %w", n, err)
	}
	if err := batch.Commit(true); err != nil {
		return nil, fmt.Errorf("rewind L2 to %d: %w", n, err)
	}
	c.head = target
	c.log.Warn("Rewound the L2 chain", "from", head, "to", n, "transactions", len(txs))
	return txs, nil
}
