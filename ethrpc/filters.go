package ethrpc

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Filter limits.
const (
	// FilterTimeout is how long a filter lives unused, as geth's.
	FilterTimeout = 5 * time.Minute
	// MaxFilters bounds the filters installed on one server, all clients
	// together.
	MaxFilters = 512
	// MaxFilterPendingTxs bounds the hashes a pending-transaction filter
	// keeps between two polls; later ones are dropped until it is polled.
	MaxFilterPendingTxs = 4096
)

// ErrFilterNotFound is the error for an unknown, uninstalled or expired
// filter, in geth's words.
var ErrFilterNotFound = errors.New("filter not found")

type filterKind int

const (
	logsFilter filterKind = iota
	blocksFilter
	pendingFilter
)

// filter is an installed filter.
type filter struct {
	kind filterKind
	q    FilterQuery

	mu sync.Mutex // one poll at a time
	f  *follower  // logs and blocks filters

	hmu     sync.Mutex // pending filters: the hashes since the last poll
	hashes  []common.Hash
	stop    func() // releases the pool feed
	expired bool

	lastUsed time.Time // under filterStore.mu
}

// filterStore holds the installed filters.
type filterStore struct {
	now func() time.Time

	mu sync.Mutex
	m  map[rpc.ID]*filter
}

func newFilterStore() *filterStore {
	return &filterStore{now: time.Now, m: map[rpc.ID]*filter{}}
}

// sweepLocked uninstalls the filters unused for FilterTimeout.
func (s *filterStore) sweepLocked(now time.Time) {
	for id, f := range s.m {
		if now.Sub(f.lastUsed) > FilterTimeout {
			s.removeLocked(id, f)
		}
	}
}

func (s *filterStore) removeLocked(id rpc.ID, f *filter) {
	delete(s.m, id)
	f.hmu.Lock()
	f.expired = true
	f.hmu.Unlock()
	if f.stop != nil {
		f.stop()
	}
}

// install adds f, or refuses it over MaxFilters.
func (s *filterStore) install(f *filter) (rpc.ID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	if len(s.m) >= MaxFilters {
		return "", fmt.Errorf("too many filters: at most %d per node (MaxFilters); remove some with eth_uninstallFilter or let them expire (%s unused)",
			MaxFilters, FilterTimeout)
	}
	f.lastUsed = now
	id := rpc.NewID()
	s.m[id] = f
	return id, nil
}

// get returns a filter and marks it used, or ErrFilterNotFound.
func (s *filterStore) get(id rpc.ID) (*filter, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	f, ok := s.m[id]
	if !ok {
		return nil, ErrFilterNotFound
	}
	f.lastUsed = now
	return f, nil
}

func (s *filterStore) uninstall(id rpc.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now())
	f, ok := s.m[id]
	if ok {
		s.removeLocked(id, f)
	}
	return ok
}

// clear uninstalls every filter.
func (s *filterStore) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, f := range s.m {
		s.removeLocked(id, f)
	}
}

// NewFilter installs a log filter: eth_getFilterChanges returns the
// matching logs of the blocks committed since its previous call (between
// fromBlock and toBlock when they are numbers), eth_getFilterLogs all the
// logs the filter matches (eth_newFilter).
func (api *FilterAPI) NewFilter(ctx context.Context, q FilterQuery) (rpc.ID, error) {
	if q.BlockHash != nil {
		return "", errors.New("eth_newFilter watches new blocks: blockHash is not allowed (use eth_getLogs)")
	}
	f, err := api.follower(ctx, &FilterQuery{Addresses: q.Addresses, Topics: q.Topics})
	if err != nil {
		return "", err
	}
	return api.ev.filters.install(&filter{kind: logsFilter, q: q, f: f})
}

// NewBlockFilter installs a filter whose changes are the hashes of the
// blocks committed since its previous poll (eth_newBlockFilter).
func (api *FilterAPI) NewBlockFilter(ctx context.Context) (rpc.ID, error) {
	f, err := api.follower(ctx, nil)
	if err != nil {
		return "", err
	}
	return api.ev.filters.install(&filter{kind: blocksFilter, f: f})
}

// NewPendingTransactionFilter installs a filter whose changes are the
// hashes of the transactions that entered the pool since its previous
// poll (eth_newPendingTransactionFilter).
func (api *FilterAPI) NewPendingTransactionFilter() (rpc.ID, error) {
	f := &filter{kind: pendingFilter}
	id, err := api.ev.filters.install(f)
	if err != nil {
		return "", err
	}
	stop := api.ev.pending.listen(func(hashes []common.Hash) {
		f.hmu.Lock()
		defer f.hmu.Unlock()
		if f.expired {
			return
		}
		room := max(0, MaxFilterPendingTxs-len(f.hashes))
		f.hashes = append(f.hashes, hashes[:min(room, len(hashes))]...)
	})
	f.hmu.Lock()
	expired := f.expired
	if !expired {
		f.stop = stop
	}
	f.hmu.Unlock()
	if expired {
		stop()
	}
	return id, nil
}

// GetFilterChanges returns what a filter saw since its previous poll
// (eth_getFilterChanges): logs for a log filter (a block the chain lost
// brings its logs again with "removed": true), hashes for the others.
// One call reads at most MaxLogRange blocks and stops after the block
// that brings the logs past MaxLogResults; the next call goes on from
// there.
func (api *FilterAPI) GetFilterChanges(ctx context.Context, id rpc.ID) (any, error) {
	f, err := api.ev.filters.get(id)
	if err != nil {
		return nil, err
	}
	if f.kind == pendingFilter {
		f.hmu.Lock()
		defer f.hmu.Unlock()
		out := f.hashes
		f.hashes = nil
		if out == nil {
			out = []common.Hash{}
		}
		return out, nil
	}
	release, err := api.eth.heavy.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	f.mu.Lock()
	defer f.mu.Unlock()
	saved := f.f.save()
	maxLogs := 0
	if f.kind == logsFilter {
		maxLogs = MaxLogResults
	}
	evs, err := f.f.step(ctx, api.eth.newWork(ctx), MaxLogRange, maxLogs)
	if err != nil && (len(evs) == 0 || !errors.Is(err, ErrWorkBudget)) {
		// Nothing or not all of it can be answered: the next poll
		// starts from the same place.
		f.f.restore(saved)
		return nil, err
	}
	if f.kind == blocksFilter {
		hashes := []common.Hash{}
		for _, e := range evs {
			if !e.removed {
				hashes = append(hashes, e.hash)
			}
		}
		return hashes, nil
	}
	logs := []*types.Log{}
	for _, e := range evs {
		if inRange(e.number, f.q.FromBlock, f.q.ToBlock) {
			logs = append(logs, e.logs...)
		}
	}
	return logs, nil
}

// inRange reports whether block n is within from and to when they are
// heights (tags bound nothing: a filter follows the head).
func inRange(n uint64, from, to *rpc.BlockNumber) bool {
	if from != nil && *from >= 0 && n < uint64(*from) {
		return false
	}
	if to != nil && *to >= 0 && n > uint64(*to) {
		return false
	}
	return true
}

// GetFilterLogs returns every log a log filter matches, as eth_getLogs
// with its criteria (eth_getFilterLogs).
func (api *FilterAPI) GetFilterLogs(ctx context.Context, id rpc.ID) ([]*types.Log, error) {
	f, err := api.ev.filters.get(id)
	if err != nil {
		return nil, err
	}
	if f.kind != logsFilter {
		return nil, fmt.Errorf("filter %s is not a log filter: eth_getFilterLogs needs one made by eth_newFilter", id)
	}
	return api.eth.GetLogs(ctx, f.q)
}

// UninstallFilter removes a filter and reports whether it existed
// (eth_uninstallFilter).
func (api *FilterAPI) UninstallFilter(id rpc.ID) bool {
	return api.ev.filters.uninstall(id)
}
