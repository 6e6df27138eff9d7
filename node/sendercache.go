package node

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// senderCache remembers the senders of transactions gossiped to this node
// that its full pool refused, by transaction hash, until a proposal
// carries them (withPooledTxs). Under a load above what the chain takes,
// every validator's pool is full of the transactions its JSON-RPC clients
// sent it, and it refuses the ones the other validators gossip; yet those
// are what the others propose. Their senders used to be recovered when the
// proposal arrived, on the height's critical path: three quarters of a
// block's transactions, on every validator at once (issue 17). Recovering
// them when they are gossiped spreads that work over the height.
//
// A hash names one signed transaction, so the sender recovered from a
// transaction is the sender of every transaction with its hash. The cache
// holds the last capacity senders (about 60 bytes each) and forgets the
// oldest first; a forgotten one is recovered again when its proposal
// arrives.
type senderCache struct {
	mu   sync.Mutex
	from map[common.Hash]common.Address
	ring []common.Hash // insertion order, for eviction
	next int           // the ring's oldest slot once it is full
}

// newSenderCache returns a cache of at most capacity senders (at least 1).
func newSenderCache(capacity int) *senderCache {
	capacity = max(capacity, 1)
	return &senderCache{from: make(map[common.Hash]common.Address, capacity), ring: make([]common.Hash, 0, capacity)}
}

// add remembers from as the sender of the transaction with hash h.
func (c *senderCache) add(h common.Hash, from common.Address) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.from[h]; ok {
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, h)
	} else {
		delete(c.from, c.ring[c.next])
		c.ring[c.next] = h
		c.next = (c.next + 1) % len(c.ring)
	}
	c.from[h] = from
}

// get returns the sender remembered for the transaction with hash h.
func (c *senderCache) get(h common.Hash) (common.Address, bool) {
	if c == nil {
		return common.Address{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	from, ok := c.from[h]
	return from, ok
}

// len returns how many senders the cache holds.
func (c *senderCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.from)
}

// cachedSigner is a types.Signer whose Sender answers from a senderCache
// when it can and recovers otherwise. types.Sender(cachedSigner, tx)
// leaves the sender in tx's own cache, where a later types.Sender with the
// wrapped signer finds it (Equal is the wrapped signer's), so executing
// the block recovers nothing.
type cachedSigner struct {
	types.Signer
	cache *senderCache
}

// Sender returns tx's sender from the cache, or recovers it.
func (s cachedSigner) Sender(tx *types.Transaction) (common.Address, error) {
	if from, ok := s.cache.get(tx.Hash()); ok {
		return from, nil
	}
	return s.Signer.Sender(tx)
}
