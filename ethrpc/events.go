package ethrpc

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Event polling intervals: the backends announce nothing, so the server
// watches the head and the pool while someone listens.
var (
	// HeadPollInterval is how often the head number is read while a
	// subscription waits for blocks.
	HeadPollInterval = 50 * time.Millisecond
	// PoolPollInterval is how often the pool is listed while a
	// newPendingTransactions subscription or filter exists.
	PoolPollInterval = 250 * time.Millisecond
)

// poller runs a function every interval while it has users.
type poller struct {
	interval time.Duration
	tick     func()
	start    func() // runs once, synchronously, when the first user comes

	mu     sync.Mutex
	users  int
	stop   chan struct{}
	wg     sync.WaitGroup
	closed bool
}

// use registers a user and returns its release; the poller runs while it
// has users.
func (p *poller) use() func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users++
	if p.users == 1 && !p.closed {
		if p.start != nil {
			p.start()
		}
		stop := make(chan struct{})
		p.stop = stop
		p.wg.Add(1)
		go p.run(stop)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.users--
			if p.users == 0 && p.stop != nil {
				close(p.stop)
				p.stop = nil
			}
		})
	}
}

func (p *poller) run(stop chan struct{}) {
	defer p.wg.Done()
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.tick()
		}
	}
}

// close stops the poller for good and waits for it.
func (p *poller) close() {
	p.mu.Lock()
	p.closed = true
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// headWatcher tells waiters when the head block number changes.
type headWatcher struct {
	b Backend
	poller

	mu      sync.Mutex
	head    uint64
	known   bool
	changed chan struct{}
}

func newHeadWatcher(b Backend) *headWatcher {
	w := &headWatcher{b: b, changed: make(chan struct{})}
	w.poller = poller{interval: HeadPollInterval, tick: w.poll}
	return w
}

// next returns a channel closed at the next head change.
func (w *headWatcher) next() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

func (w *headWatcher) poll() {
	n, err := w.b.ResolveBlockNumber(context.Background(), rpc.LatestBlockNumber)
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.known && n == w.head {
		return
	}
	w.head, w.known = n, true
	close(w.changed)
	w.changed = make(chan struct{})
}

// pendingFeed tells listeners the hashes of transactions new in the pool:
// those this server admitted at once, and those the pool gained from
// elsewhere (gossip) at its next listing.
type pendingFeed struct {
	b Backend
	poller

	mu        sync.Mutex
	listeners map[int]func([]common.Hash)
	nextID    int
	seen      map[common.Hash]bool // the pool at the last listing
	announced map[common.Hash]bool // admitted since the last listing
}

func newPendingFeed(b Backend) *pendingFeed {
	f := &pendingFeed{b: b, listeners: map[int]func([]common.Hash){}}
	f.poller = poller{interval: PoolPollInterval, tick: f.poll, start: f.snapshot}
	return f
}

// listen calls fn (which must not block) with each batch of new hashes
// until the returned release is called.
func (f *pendingFeed) listen(fn func([]common.Hash)) func() {
	f.mu.Lock()
	id := f.nextID
	f.nextID++
	f.listeners[id] = fn
	f.mu.Unlock()
	stop := f.use()
	return func() {
		stop()
		f.mu.Lock()
		delete(f.listeners, id)
		f.mu.Unlock()
	}
}

// announce delivers a transaction this server admitted. f may be nil.
func (f *pendingFeed) announce(h common.Hash) {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.listeners) == 0 || f.seen[h] || f.announced[h] {
		return
	}
	if f.announced == nil {
		f.announced = map[common.Hash]bool{}
	}
	f.announced[h] = true
	f.deliverLocked([]common.Hash{h})
}

func (f *pendingFeed) deliverLocked(hashes []common.Hash) {
	for _, id := range slices.Sorted(maps.Keys(f.listeners)) {
		f.listeners[id](hashes)
	}
}

// list returns the pool's transaction hashes, senders in address order,
// each sender's in nonce order; nil without a pool.
func (f *pendingFeed) list() []common.Hash {
	tb, ok := f.b.(TxPoolBackend)
	if !ok {
		return nil
	}
	c := tb.TxPoolContent()
	var out []common.Hash
	for _, m := range []map[common.Address][]*types.Transaction{c.Pending, c.Queued} {
		for _, a := range slices.SortedFunc(maps.Keys(m), func(x, y common.Address) int { return bytes.Compare(x[:], y[:]) }) {
			for _, tx := range m[a] {
				out = append(out, tx.Hash())
			}
		}
	}
	return out
}

// snapshot records the pool as it is when the first listener comes, so
// that only later transactions are new.
func (f *pendingFeed) snapshot() {
	hashes := f.list()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = make(map[common.Hash]bool, len(hashes))
	for _, h := range hashes {
		f.seen[h] = true
	}
	f.announced = nil
}

func (f *pendingFeed) poll() {
	hashes := f.list()
	f.mu.Lock()
	defer f.mu.Unlock()
	seen := make(map[common.Hash]bool, len(hashes))
	var fresh []common.Hash
	for _, h := range hashes {
		seen[h] = true
		if !f.seen[h] && !f.announced[h] {
			fresh = append(fresh, h)
		}
	}
	f.seen, f.announced = seen, nil
	if len(fresh) > 0 {
		f.deliverLocked(fresh)
	}
}
