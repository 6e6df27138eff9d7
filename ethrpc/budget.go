package ethrpc

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Work limits. Work is counted in units of about one block read from the
// store: a header costs 1, a block's body or receipts 1 plus one per
// WorkTxsPerUnit transactions. A call that would exceed a budget stops
// with ErrWorkBudget, naming the limit.
const (
	// MaxCallWork bounds one call: enough for eth_feeHistory over 1,024
	// blocks with rewards, or eth_getLogs over 10,000 blocks of headers.
	MaxCallWork = 12_000
	// MaxRequestWork bounds an HTTP request (all the calls of a batch
	// together) and, refilled at this rate per second, a WebSocket
	// connection.
	MaxRequestWork = 24_000
	// WorkTxsPerUnit is how many transactions of a body or receipts read
	// count as one more unit.
	WorkTxsPerUnit = 100
	// RequestTimeout bounds an HTTP request, batches included; the server
	// answers "request timed out" and stops the work when it passes.
	RequestTimeout = 20 * time.Second
	// MaxConcurrentRequests is how many HTTP requests run at once; more
	// wait up to QueueTimeout for a slot, then get HTTP 503.
	MaxConcurrentRequests = 64
	// QueueTimeout is how long a request waits for a slot.
	QueueTimeout = 5 * time.Second
	// MaxWebSocketConnections is how many WebSocket connections the
	// server keeps open at once.
	MaxWebSocketConnections = 256
)

// MaxConcurrentHeavy is how many calls that read many blocks (logs, fee
// history, filters, block receipts) run at once across all clients; the
// others wait up to QueueTimeout. It leaves the node's other work and
// cheap calls a core.
var MaxConcurrentHeavy = max(1, runtime.GOMAXPROCS(0)-1)

// ErrWorkBudget is wrapped by the errors of calls refused because a
// request, batch or connection spent its work budget.
var ErrWorkBudget = errors.New("work budget exceeded")

// ErrBusy is wrapped by the errors of calls refused because the server
// already runs as many heavy calls as it allows.
var ErrBusy = errors.New("server busy")

// budget is a pool of work units shared by the calls of one HTTP request
// (a batch) or one WebSocket connection (refilled over time).
type budget struct {
	mu     sync.Mutex
	left   float64
	limit  float64
	refill float64 // units per second; 0 = none
	last   time.Time
	now    func() time.Time
	scope  string // "request" or "WebSocket connection", for errors
}

func newBudget(limit int, refillPerSecond int, scope string, now func() time.Time) *budget {
	b := &budget{left: float64(limit), limit: float64(limit), refill: float64(refillPerSecond), scope: scope, now: now}
	if now != nil {
		b.last = now()
	}
	return b
}

func (b *budget) take(units int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refill > 0 && b.now != nil {
		t := b.now()
		b.left = min(b.limit, b.left+t.Sub(b.last).Seconds()*b.refill)
		b.last = t
	}
	if b.left < float64(units) {
		if b.refill > 0 {
			return fmt.Errorf("%w: this %s may do %d units of work (about one block read each), refilled at %d per second; wait, or ask for fewer blocks",
				ErrWorkBudget, b.scope, int(b.limit), int(b.refill))
		}
		return fmt.Errorf("%w: this %s may do %d units of work (about one block read each) in all its calls; ask for fewer blocks or split the batch",
			ErrWorkBudget, b.scope, int(b.limit))
	}
	b.left -= float64(units)
	return nil
}

type budgetKey struct{}

// withBudget attaches a shared budget to the context of a request.
func withBudget(ctx context.Context, b *budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// work counts the work of one call against its own limit and against the
// budget of its request or connection.
type work struct {
	ctx    context.Context
	left   int
	shared *budget
}

// newWork starts counting a call's work, against the budget of its HTTP
// request or of its WebSocket connection.
func (api *EthAPI) newWork(ctx context.Context) *work {
	w := &work{ctx: ctx, left: MaxCallWork}
	w.shared, _ = ctx.Value(budgetKey{}).(*budget)
	if w.shared == nil {
		if p := rpc.PeerInfoFromContext(ctx); p.Transport == "ws" {
			w.shared = api.conns.get(p.RemoteAddr)
		}
	}
	return w
}

// charge spends units, or says which limit refuses them. It also stops
// the work of a cancelled request.
func (w *work) charge(units int) error {
	if w == nil {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		return fmt.Errorf("request cancelled: %w", err)
	}
	if units > w.left {
		return fmt.Errorf("%w: one call may do %d units of work (about one block read each); ask for fewer blocks", ErrWorkBudget, MaxCallWork)
	}
	if w.shared != nil {
		if err := w.shared.take(units); err != nil {
			return err
		}
	}
	w.left -= units
	return nil
}

// txUnits is the cost of reading a body or receipts of n transactions.
func txUnits(n int) int { return 1 + n/WorkTxsPerUnit }

// gate bounds how many heavy calls run at once.
type gate chan struct{}

// enter waits for a slot up to QueueTimeout and returns its release.
func (g gate) enter(ctx context.Context) (func(), error) {
	select {
	case g <- struct{}{}:
		return func() { <-g }, nil
	default:
	}
	t := time.NewTimer(QueueTimeout)
	defer t.Stop()
	select {
	case g <- struct{}{}:
		return func() { <-g }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("request cancelled: %w", ctx.Err())
	case <-t.C:
		return nil, fmt.Errorf("%w: %d calls that read many blocks are already running (the limit), and none finished within %s; retry later",
			ErrBusy, cap(g), QueueTimeout)
	}
}

// HeaderBackend is an optional Backend interface: it reads a header
// without the block's body, which is all fee history, block filters and
// newHeads need. Without it the API reads whole blocks.
type HeaderBackend interface {
	// HeaderByNumber returns the header of the block at height n, or
	// ErrNotFound.
	HeaderByNumber(ctx context.Context, n uint64) (*types.Header, error)
}

// header reads the header at height n, counting the work.
func (api *EthAPI) header(ctx context.Context, w *work, n uint64) (*types.Header, error) {
	if err := w.charge(1); err != nil {
		return nil, err
	}
	if hb, ok := api.b.(HeaderBackend); ok {
		h, err := hb.HeaderByNumber(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("header %d: %w", n, err)
		}
		return h, nil
	}
	b, err := api.b.BlockByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("header %d: %w", n, err)
	}
	return b.Header, nil
}

// block reads the block at height n, counting the work.
func (api *EthAPI) block(ctx context.Context, w *work, n uint64) (*block.Block, error) {
	if err := w.charge(1); err != nil {
		return nil, err
	}
	b, err := api.b.BlockByNumber(ctx, n)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", n, err)
	}
	return b, w.charge(txUnits(len(b.Transactions)) - 1)
}

// receipts reads the receipts of b, counting the work.
func (api *EthAPI) receipts(ctx context.Context, w *work, b *block.Block) (types.Receipts, error) {
	if err := w.charge(txUnits(len(b.Transactions))); err != nil {
		return nil, err
	}
	r, err := api.b.Receipts(ctx, b.Hash())
	if err != nil {
		return nil, fmt.Errorf("receipts of block %d: %w", b.Number(), err)
	}
	return r, nil
}

// hashOf returns the hash of the block at height n.
func (api *EthAPI) hashOf(ctx context.Context, w *work, n uint64) (common.Hash, error) {
	h, err := api.header(ctx, w, n)
	if err != nil {
		return common.Hash{}, err
	}
	return h.Hash(), nil
}
