package memnet

import "sync"

// queue is an unbounded FIFO with a wake-up channel: pushes never block, so
// the fabric can deliver while holding its lock.
type queue struct {
	mu    sync.Mutex
	items []any
	wake  chan struct{}
}

func newQueue() *queue { return &queue{wake: make(chan struct{}, 1)} }

func (q *queue) push(x any) {
	q.mu.Lock()
	q.items = append(q.items, x)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// drain removes and returns everything queued.
func (q *queue) drain() []any {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items
}
