package ethrpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// followDepth is how many delivered blocks a follower remembers, to
// report their removal when the chain is rewound under it (an L2 rolled
// back after a successful challenge; the L1 never rewinds).
const followDepth = 256

// followed is a block a follower delivered.
type followed struct {
	number uint64
	hash   common.Hash
	logs   []*types.Log // the matching logs delivered with it
}

// chainEvent is a block added to the chain, or removed from it by a
// rewind, as a follower sees it.
type chainEvent struct {
	removed bool
	number  uint64
	hash    common.Hash
	header  *types.Header // added blocks only
	logs    []*types.Log  // matching logs; with Removed set on a removal
}

// follower walks the chain one block at a time from where it started,
// each block once and in order, and notices a rewind from the parent
// hashes. It is what newHeads and logs subscriptions and block and log
// filters share. It is not safe for concurrent use.
type follower struct {
	api    *EthAPI
	cache  *blockCache  // shared reads (nil: read the backend)
	q      *FilterQuery // nil: headers only
	next   uint64       // the next height to deliver
	recent []followed   // the last delivered blocks, oldest first
}

// newFollower returns a follower that delivers the blocks after the
// current head.
func (api *EthAPI) newFollower(ctx context.Context, q *FilterQuery) (*follower, error) {
	head, err := api.b.ResolveBlockNumber(ctx, rpc.LatestBlockNumber)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	hash, err := api.hashOf(ctx, nil, head)
	if err != nil {
		return nil, err
	}
	return &follower{api: api, q: q, next: head + 1, recent: []followed{{number: head, hash: hash}}}, nil
}

// state is a copy of the follower's position, to go back to when a
// filter poll fails.
type followerState struct {
	next   uint64
	recent []followed
}

func (f *follower) save() followerState {
	return followerState{next: f.next, recent: append([]followed(nil), f.recent...)}
}

func (f *follower) restore(s followerState) { f.next, f.recent = s.next, s.recent }

func (f *follower) last() *followed {
	if len(f.recent) == 0 {
		return nil
	}
	return &f.recent[len(f.recent)-1]
}

// step delivers what the chain gained (or lost) since the last step: at
// most maxBlocks added blocks, and no block after the matching logs
// reached maxLogs (0: no limit). On an error it returns the events before
// it, which are delivered: the follower has moved past them.
func (f *follower) step(ctx context.Context, w *work, maxBlocks, maxLogs int) ([]chainEvent, error) {
	head, err := f.api.b.ResolveBlockNumber(ctx, rpc.LatestBlockNumber)
	if err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	var evs []chainEvent
	unwound := false
	if last := f.last(); last != nil && head < last.number {
		if evs, err = f.unwind(ctx, w, head, evs); err != nil {
			return evs, err
		}
		unwound = true
	}
	added, logs := 0, 0
	for f.next <= head && added < maxBlocks && (maxLogs == 0 || logs < maxLogs) {
		n := f.next
		var h *types.Header
		if f.cache != nil {
			h, err = f.cache.header(ctx, w, n)
		} else {
			h, err = f.api.header(ctx, w, n)
		}
		if errors.Is(err, ErrNotFound) {
			break // rewound since the head was read: the next step sees it
		}
		if err != nil {
			return evs, err
		}
		if last := f.last(); last != nil && h.ParentHash != last.hash {
			if f.cache != nil {
				f.cache.evictFrom(last.number) // it may hold what the chain lost
			}
			if unwound {
				break // the chain moves under us; the next step goes on
			}
			if evs, err = f.unwind(ctx, w, head, evs); err != nil {
				return evs, err
			}
			unwound = true
			continue
		}
		ev := chainEvent{number: n, hash: h.Hash(), header: h}
		if f.q != nil && bloomMatches(h.Bloom, f.q) && f.cache != nil {
			all, ok, err := f.cache.logs(ctx, w, n, ev.hash)
			if err != nil {
				return evs, err
			}
			if !ok {
				f.cache.evictFrom(n)
				break // replaced between the two reads
			}
			for _, l := range all {
				if logMatches(l, f.q) {
					ev.logs = append(ev.logs, l)
				}
			}
		} else if f.q != nil && bloomMatches(h.Bloom, f.q) {
			b, err := f.api.block(ctx, w, n)
			if err != nil {
				return evs, err
			}
			if b.Hash() != ev.hash {
				break // replaced between the two reads
			}
			if ev.logs, err = f.api.blockLogs(ctx, w, b, f.q, nil); err != nil {
				return evs, err
			}
		}
		f.recent = append(f.recent, followed{number: n, hash: ev.hash, logs: ev.logs})
		if len(f.recent) > followDepth {
			f.recent = append(f.recent[:0:0], f.recent[len(f.recent)-followDepth:]...)
		}
		f.next = n + 1
		evs = append(evs, ev)
		added++
		logs += len(ev.logs)
	}
	return evs, nil
}

// unwind forgets the delivered blocks the chain (whose head is at height
// head) no longer has, newest first, and reports each as removed. When it
// forgets everything it remembers, it resumes at the lowest height it
// forgot: the blocks between the real common ancestor and it are not
// reported again.
func (f *follower) unwind(ctx context.Context, w *work, head uint64, evs []chainEvent) ([]chainEvent, error) {
	var lowest uint64
	for len(f.recent) > 0 {
		top := f.recent[len(f.recent)-1]
		if top.number <= head {
			h, err := f.api.hashOf(ctx, w, top.number)
			if err != nil && !errors.Is(err, ErrNotFound) {
				return evs, err
			}
			if err == nil && h == top.hash {
				f.next = top.number + 1
				return evs, nil
			}
		}
		f.recent = f.recent[:len(f.recent)-1]
		ev := chainEvent{removed: true, number: top.number, hash: top.hash}
		for _, l := range top.logs {
			c := *l
			c.Removed = true
			ev.logs = append(ev.logs, &c)
		}
		evs = append(evs, ev)
		lowest = top.number
	}
	f.next = lowest
	return evs, nil
}
