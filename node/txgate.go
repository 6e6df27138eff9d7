package node

import "sync"

// txGate lets the transaction topic's validator check one batch at a time
// (issue 16 item 7). A batch costs a signature recovery per new transaction;
// gossipsub validates up to 1,024 messages of a topic at once, so a flood
// of batches would share the cores with, and starve, the consensus topic's
// validation. Batches wait for their turn instead of running side by side,
// and those that would make the waiting ones hold more than budget bytes
// are dropped (ignored: a flood is not proof of malice).
type txGate struct {
	turn   chan struct{}
	budget int

	mu      sync.Mutex
	waiting int
}

func newTxGate(budget int) *txGate {
	return &txGate{turn: make(chan struct{}, 1), budget: budget}
}

// enter waits for the turn of a batch of size bytes and reports whether it
// got it; a batch that did must call leave.
func (g *txGate) enter(size int) bool {
	g.mu.Lock()
	if g.waiting+size > g.budget {
		g.mu.Unlock()
		return false
	}
	g.waiting += size
	g.mu.Unlock()
	g.turn <- struct{}{}
	g.mu.Lock()
	g.waiting -= size
	g.mu.Unlock()
	return true
}

// leave ends the turn.
func (g *txGate) leave() { <-g.turn }
