package node

import "sync"

// execGate gives the consensus driver's block execution priority over the
// admission of new transactions (issue 17: a plateau, not a collapse). On
// a devnet the validators share the machine's cores, and under a load
// above what the chain carries every validator also admits a stream of
// transactions (a sender recovery each, from JSON-RPC and from gossip) on
// as many goroutines as requests arrive. The driver's execution of the
// block being decided is one goroutine among them: at twice the peak
// offered load a 1,500-transfer block took a validator 1.0–1.5 s to
// execute, heights ran late and the chain carried less than at the peak.
//
// Admission holds the gate shared (checkTx); executing or building a block
// holds it alone (exclusive). A waiting exclusive holder keeps new shared
// holders out (sync.RWMutex), so an execution waits only for the recoveries
// already under way, and admission waits for the execution to finish. The
// block built ahead runs outside the gate: it overlaps the votes, off the
// height's critical path.
type execGate struct{ mu sync.RWMutex }

// admit runs f as admission work, after any execution under way or waiting
// (a nil gate runs it at once).
func (g *execGate) admit(f func()) {
	if g == nil {
		f()
		return
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	f()
}

// exclusive runs f with admission paused (a nil gate runs it at once).
func (g *execGate) exclusive(f func()) {
	if g == nil {
		f()
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	f()
}
