package node

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestTxGateChecksOneBatchAtATime: however many transaction batches arrive
// at once, one is checked at a time (gossipsub would run up to 1,024 side
// by side and starve the consensus topic of CPU, issue 16 item 7), and
// batches beyond the waiting budget are dropped.
func TestTxGateChecksOneBatchAtATime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const budget, batch = 10_000, 1_000
		g := newTxGate(budget)
		release := make(chan struct{})
		var running, most, dropped atomic.Int32
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				if !g.enter(batch) {
					dropped.Add(1)
					return
				}
				defer g.leave()
				now := running.Add(1)
				for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
				}
				<-release
				running.Add(-1)
			})
		}
		synctest.Wait()
		if got := dropped.Load(); got != 30-1-budget/batch {
			t.Errorf("%d batches dropped, want %d (one checked, %d waiting)", got, 30-1-budget/batch, budget/batch)
		}
		close(release)
		wg.Wait()
		if most.Load() != 1 {
			t.Errorf("%d batches were checked at once", most.Load())
		}
	})
}
