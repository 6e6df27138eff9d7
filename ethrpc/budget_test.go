package ethrpc

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// addEmptyBlocks appends n empty blocks on the same state (cheap: no
// trie work).
func (c *chainBackend) addEmptyBlocks(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for range n {
		parent := c.blocks[len(c.blocks)-1]
		num := parent.Number() + 1
		b := block.Assemble(&types.Header{ParentHash: parent.Hash(), Root: parent.Header.Root, ReceiptHash: types.EmptyReceiptsHash,
			Number: new(big.Int).SetUint64(num), GasLimit: 30_000_000, Time: 1_700_000_000 + num, BaseFee: testBaseFee}, nil, block.Extras{})
		c.blocks = append(c.blocks, b)
		c.receipts[b.Hash()] = nil
	}
}

// TestBatchShareOneWorkBudget is the overload in small: a batch of
// 100 eth_feeHistory calls over 1,024 blocks does not run 100 times; the
// calls past the request's budget fail with an error naming the limit,
// and the next request has its own budget.
func TestBatchShareOneWorkBudget(t *testing.T) {
	f := newFixture(t)
	f.chain.addEmptyBlocks(1100)
	batch := make([]rpc.BatchElem, 100)
	for i := range batch {
		batch[i] = rpc.BatchElem{Method: "eth_feeHistory", Args: []any{"0x400", "latest", []float64{10, 90}}, Result: new(FeeHistoryResult)}
	}
	if err := f.client.Client().BatchCallContext(ctx(t), batch); err != nil {
		t.Fatal(err)
	}
	served, refused := 0, 0
	for i, e := range batch {
		switch {
		case e.Error == nil:
			if refused > 0 {
				t.Fatalf("call %d served after a refusal", i)
			}
			served++
		case strings.Contains(e.Error.Error(), "work budget exceeded: this request may do 24000 units of work"):
			refused++
		default:
			t.Fatalf("call %d: %v", i, e.Error)
		}
	}
	if perCall := 1024; served != MaxRequestWork/perCall {
		t.Fatalf("%d calls served, want %d (the budget %d over %d units a call)", served, MaxRequestWork/perCall, MaxRequestWork, perCall)
	}
	var res FeeHistoryResult
	if err := f.client.Client().CallContext(ctx(t), &res, "eth_feeHistory", "0x400", "latest", []float64{50}); err != nil || len(res.GasUsedRatio) != 1024 {
		t.Fatalf("a new request: %d blocks, %v", len(res.GasUsedRatio), err)
	}
}

// TestWorkLimits: one call's own limit, the refilled budget of a
// WebSocket connection, and cancellation, each refused in words that name
// the limit.
func TestWorkLimits(t *testing.T) {
	api := NewEthAPI(newChainBackend(t, [20]byte{1}))
	w := api.newWork(context.Background())
	if err := w.charge(MaxCallWork); err != nil {
		t.Fatal(err)
	}
	if err := w.charge(1); !errors.Is(err, ErrWorkBudget) || !strings.Contains(err.Error(), fmt.Sprintf("one call may do %d units", MaxCallWork)) {
		t.Fatalf("over the call's limit: %v", err)
	}

	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	conn := newBudget(100, 100, "WebSocket connection", clock.now)
	if err := conn.take(100); err != nil {
		t.Fatal(err)
	}
	if err := conn.take(1); !errors.Is(err, ErrWorkBudget) || !strings.Contains(err.Error(), "WebSocket connection may do 100 units of work (about one block read each), refilled at 100 per second") {
		t.Fatalf("spent connection: %v", err)
	}
	clock.add(100 * time.Millisecond)
	if err := conn.take(10); err != nil {
		t.Fatalf("after a tenth of a second: %v", err)
	}
	clock.add(time.Hour)
	if err := conn.take(100); err != nil || conn.take(1) == nil {
		t.Fatal("the refill is capped at the budget")
	}

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := api.GetLogs(cancelled, FilterQuery{}); err == nil || !strings.Contains(err.Error(), "request cancelled") {
		t.Fatalf("cancelled eth_getLogs: %v", err)
	}
	if _, err := api.FeeHistory(cancelled, 10, rpc.LatestBlockNumber, nil); err == nil || !strings.Contains(err.Error(), "request cancelled") {
		t.Fatalf("cancelled eth_feeHistory: %v", err)
	}
}

// TestConcurrencyLimits: heavy calls beyond MaxConcurrentHeavy and HTTP
// requests beyond MaxConcurrentRequests wait QueueTimeout (virtual time
// here), then are refused in words that name the limit.
func TestConcurrencyLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		g := make(gate, 1)
		release, err := g.enter(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_, err = g.enter(context.Background())
		if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "1 calls that read many blocks are already running (the limit)") {
			t.Fatalf("second heavy call: %v", err)
		}
		if waited := time.Since(start); waited != QueueTimeout {
			t.Fatalf("waited %s, want %s", waited, QueueTimeout)
		}
		done := make(chan error, 1)
		go func() {
			r, err := g.enter(context.Background())
			if err == nil {
				r()
			}
			done <- err
		}()
		synctest.Wait()
		release()
		if err := <-done; err != nil {
			t.Fatalf("a waiting call did not get the freed slot: %v", err)
		}

		slots := make(chan struct{}, 1)
		if !acquireSlot(context.Background(), slots) {
			t.Fatal("first request refused")
		}
		if acquireSlot(context.Background(), slots) {
			t.Fatal("a request over MaxConcurrentRequests was admitted")
		}
	})
}
