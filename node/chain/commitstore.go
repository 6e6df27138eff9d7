package chain

import (
	"errors"
	"fmt"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store"
	"github.com/ethereum/go-ethereum/rlp"
)

// Commit certificates are L1 consensus data, so they are stored here, next
// to the blocks that package chaindb stores.

// WriteCommit queues the commit certificate of the block at its height.
func WriteCommit(w store.Writer, c *block.Commit) error {
	data, err := rlp.EncodeToBytes(c)
	if err != nil {
		return fmt.Errorf("encode commit %d: %w", c.Height, err)
	}
	if err := w.Put(store.CommitKey(c.Height), data); err != nil {
		return fmt.Errorf("write commit %d: %w", c.Height, err)
	}
	return nil
}

// ReadCommit returns the commit certificate of the block at height n.
func ReadCommit(r store.Reader, n uint64) (*block.Commit, error) {
	data, err := r.Get(store.CommitKey(n))
	if err != nil {
		return nil, fmt.Errorf("commit %d: %w", n, err)
	}
	var c block.Commit
	if err := rlp.DecodeBytes(data, &c); err != nil {
		return nil, fmt.Errorf("commit %d: %w: %v", n, store.ErrCorrupt, err)
	}
	return &c, nil
}

// IsNotFound reports whether err means a missing key.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
