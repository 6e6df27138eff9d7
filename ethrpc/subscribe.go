package ethrpc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"
)

// Subscription limits.
const (
	// MaxSubscriptionsPerConnection bounds the eth_subscribe
	// subscriptions one WebSocket connection holds at once.
	MaxSubscriptionsPerConnection = 128
	// followBatch is how many blocks a subscription delivers between two
	// looks at whether it was cancelled.
	followBatch = 64
	// pendingQueue is how many batches of new transaction hashes wait for
	// a slow newPendingTransactions subscriber before more are dropped.
	pendingQueue = 256
)

// events is what filters and subscriptions share on one server: the head
// and pool watchers, the installed filters, the subscriptions per
// connection.
type events struct {
	cache   *blockCache
	heads   *headWatcher
	pending *pendingFeed
	filters *filterStore
	log     *slog.Logger

	mu   sync.Mutex
	subs map[string]int // subscriptions per connection (remote address)
	quit chan struct{}
	wg   sync.WaitGroup
}

func newEvents(api *EthAPI, log *slog.Logger) *events {
	b := api.b
	return &events{cache: newBlockCache(api), heads: newHeadWatcher(b), pending: newPendingFeed(b), filters: newFilterStore(),
		log: log, subs: map[string]int{}, quit: make(chan struct{})}
}

// close ends every subscription's goroutine and the watchers.
func (e *events) close() {
	e.mu.Lock()
	select {
	case <-e.quit:
	default:
		close(e.quit)
	}
	e.mu.Unlock()
	e.wg.Wait()
	e.filters.clear()
	e.heads.close()
	e.pending.close()
}

// acquire counts a subscription on connection conn, or refuses one over
// the limit.
func (e *events) acquire(conn string) (func(), error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	select {
	case <-e.quit:
		return nil, errors.New("the RPC server is stopping")
	default:
	}
	if e.subs[conn] >= MaxSubscriptionsPerConnection {
		return nil, fmt.Errorf("too many subscriptions on this connection: at most %d (MaxSubscriptionsPerConnection); eth_unsubscribe some first", MaxSubscriptionsPerConnection)
	}
	e.subs[conn]++
	e.wg.Add(1)
	var once sync.Once
	return func() {
		once.Do(func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.subs[conn]--; e.subs[conn] <= 0 {
				delete(e.subs, conn)
			}
			e.wg.Done()
		})
	}, nil
}

// FilterAPI is the part of the eth_ namespace that watches the chain:
// eth_subscribe (WebSocket) and the filter methods (any transport).
type FilterAPI struct {
	eth *EthAPI
	ev  *events
}

// follower returns a follower from the current head that reads through
// the server's shared cache.
func (api *FilterAPI) follower(ctx context.Context, q *FilterQuery) (*follower, error) {
	f, err := api.eth.newFollower(ctx, q)
	if err != nil {
		return nil, err
	}
	f.cache = api.ev.cache
	return f, nil
}

// subscription is a started subscription's notifier and bookkeeping.
type subscription struct {
	n       *rpc.Notifier
	sub     *rpc.Subscription
	release func()
}

// subscribe checks that the transport has notifications and the
// connection room for one more subscription.
func (api *FilterAPI) subscribe(ctx context.Context) (*subscription, error) {
	n, ok := rpc.NotifierFromContext(ctx)
	if !ok {
		return nil, rpc.ErrNotificationsUnsupported
	}
	release, err := api.ev.acquire(rpc.PeerInfoFromContext(ctx).RemoteAddr)
	if err != nil {
		return nil, err
	}
	return &subscription{n: n, sub: n.CreateSubscription(), release: release}, nil
}

// NewHeads sends the header of every new block, once and in order
// (eth_subscribe "newHeads"). Headers are go-ethereum's JSON, so a client
// computes the node's block hash from them.
func (api *FilterAPI) NewHeads(ctx context.Context) (*rpc.Subscription, error) {
	f, err := api.follower(ctx, nil)
	if err != nil {
		return nil, err
	}
	s, err := api.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	go api.follow(s, f, func(ev chainEvent) error {
		if ev.removed {
			return nil
		}
		return s.n.Notify(s.sub.ID, ev.header)
	})
	return s.sub, nil
}

// Logs sends every new log that matches the filter's addresses and
// topics, block by block in order, each once; the logs of a block the
// chain loses come again with "removed": true (eth_subscribe "logs").
// fromBlock and toBlock are ignored: a subscription follows the head.
func (api *FilterAPI) Logs(ctx context.Context, q *FilterQuery) (*rpc.Subscription, error) {
	if q == nil {
		q = &FilterQuery{}
	}
	if q.BlockHash != nil {
		return nil, errors.New("a logs subscription follows new blocks: blockHash is not allowed (use eth_getLogs)")
	}
	live := &FilterQuery{Addresses: q.Addresses, Topics: q.Topics}
	f, err := api.follower(ctx, live)
	if err != nil {
		return nil, err
	}
	s, err := api.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	go api.follow(s, f, func(ev chainEvent) error {
		for _, l := range ev.logs {
			if err := s.n.Notify(s.sub.ID, l); err != nil {
				return err
			}
		}
		return nil
	})
	return s.sub, nil
}

// follow runs a subscription: it delivers what the follower sees at every
// head change, until the client unsubscribes, its connection closes or
// the server stops.
func (api *FilterAPI) follow(s *subscription, f *follower, emit func(chainEvent) error) {
	defer s.release()
	stop := api.ev.heads.use()
	defer stop()
	for {
		changed := api.ev.heads.next()
		behind := false
		evs, err := f.step(context.Background(), nil, followBatch, 0)
		for _, e := range evs {
			if err := emit(e); err != nil {
				return // the connection is gone
			}
		}
		if err != nil {
			api.ev.log.Debug("Subscription could not read the chain; retrying at the next block", "err", err)
		} else {
			behind = len(evs) >= followBatch
		}
		if behind {
			changed = closedChan
		}
		select {
		case <-s.sub.Err():
			return
		case <-api.ev.quit:
			return
		case <-changed:
		}
	}
}

// closedChan is always ready.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// NewPendingTransactions sends the hash of every transaction that enters
// the pool, or the whole transaction with fullTx (eth_subscribe
// "newPendingTransactions"). A subscriber too slow to take them loses the
// excess.
func (api *FilterAPI) NewPendingTransactions(ctx context.Context, fullTx *bool) (*rpc.Subscription, error) {
	s, err := api.subscribe(ctx)
	if err != nil {
		return nil, err
	}
	queue := make(chan []common.Hash, pendingQueue)
	stopFeed := api.ev.pending.listen(func(hashes []common.Hash) {
		select {
		case queue <- hashes:
		default:
		}
	})
	full := fullTx != nil && *fullTx
	go func() {
		defer s.release()
		defer stopFeed()
		for {
			select {
			case <-s.sub.Err():
				return
			case <-api.ev.quit:
				return
			case hashes := <-queue:
				for _, h := range hashes {
					var payload any = h
					if full {
						tx := api.eth.b.PendingTransaction(h)
						if tx == nil {
							continue // already included or dropped
						}
						m, err := RPCTransaction(tx, api.eth.signer, nil)
						if err != nil {
							continue
						}
						payload = m
					}
					if err := s.n.Notify(s.sub.ID, payload); err != nil {
						return
					}
				}
			}
		}
	}()
	return s.sub, nil
}
