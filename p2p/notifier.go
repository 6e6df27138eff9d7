package p2p

import "sync"

// Notifiers keeps the peer-event callbacks registered with a Network's
// Notify and calls them in registration order. Implementations of Network
// share it. The zero value is ready to use and safe for concurrent use.
type Notifiers struct {
	mu   sync.Mutex
	next int
	fns  map[int]func(PeerEvent)
}

// Add registers fn and returns the function that unregisters it.
func (n *Notifiers) Add(fn func(PeerEvent)) (stop func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fns == nil {
		n.fns = make(map[int]func(PeerEvent))
	}
	k := n.next
	n.next++
	n.fns[k] = fn
	return func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		delete(n.fns, k)
	}
}

// Emit calls every registered function with ev, in registration order,
// outside the lock (a callback may register or unregister).
func (n *Notifiers) Emit(ev PeerEvent) {
	n.mu.Lock()
	fns := make([]func(PeerEvent), 0, len(n.fns))
	for k := 0; k < n.next; k++ {
		if fn, ok := n.fns[k]; ok {
			fns = append(fns, fn)
		}
	}
	n.mu.Unlock()
	for _, fn := range fns {
		fn(ev)
	}
}
