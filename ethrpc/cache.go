package ethrpc

import (
	"context"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// cacheDepth is how many of the newest blocks the shared cache of the
// subscriptions and filters keeps.
const cacheDepth = 64

// blockCache shares the reads of new blocks among the subscriptions and
// filters of a server, so that a thousand newHeads subscribers read each
// block once, not a thousand times. Entries are by height; a follower
// that finds the chain changed under an entry evicts it (unwind reads the
// backend itself), so a replaced block is served at most until then.
type blockCache struct {
	api *EthAPI

	mu  sync.Mutex
	m   map[uint64]*cachedBlock
	top uint64
}

// cachedBlock is one block's header and, once asked for, all its logs
// (receipts' then system logs).
type cachedBlock struct {
	mu         sync.Mutex
	header     *types.Header
	hash       common.Hash
	logs       []*types.Log
	logsLoaded bool
}

func newBlockCache(api *EthAPI) *blockCache {
	return &blockCache{api: api, m: map[uint64]*cachedBlock{}}
}

// entry returns the entry of height n, made empty if new.
func (c *blockCache) entry(n uint64) *cachedBlock {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[n]
	if !ok {
		e = &cachedBlock{}
		c.m[n] = e
		if n > c.top {
			c.top = n
			for h := range c.m {
				if h+cacheDepth <= c.top {
					delete(c.m, h)
				}
			}
		}
	}
	return e
}

// evictFrom drops the entries of height n and above.
func (c *blockCache) evictFrom(n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h := range c.m {
		if h >= n {
			delete(c.m, h)
		}
	}
}

// header returns the header at height n, reading it (and counting the
// work) once.
func (c *blockCache) header(ctx context.Context, w *work, n uint64) (*types.Header, error) {
	e := c.entry(n)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.header == nil {
		h, err := c.api.header(ctx, w, n)
		if err != nil {
			return nil, err
		}
		e.header, e.hash = h, h.Hash()
	}
	return e.header, nil
}

// logs returns every log of the block at height n whose hash is hash,
// reading them once; ok is false when the block there is another.
func (c *blockCache) logs(ctx context.Context, w *work, n uint64, hash common.Hash) (logs []*types.Log, ok bool, err error) {
	e := c.entry(n)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.header != nil && e.hash != hash {
		return nil, false, nil
	}
	if !e.logsLoaded {
		b, err := c.api.block(ctx, w, n)
		if err != nil {
			return nil, false, err
		}
		if b.Hash() != hash {
			return nil, false, nil
		}
		if e.logs, err = c.api.blockLogs(ctx, w, b, &FilterQuery{}, nil); err != nil {
			return nil, false, err
		}
		e.header, e.hash, e.logsLoaded = b.Header, hash, true
	}
	return e.logs, true, nil
}
