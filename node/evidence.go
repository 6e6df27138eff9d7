package node

import (
	"sync"

	"github.com/bilayer/bilayer/node/consensus"
)

// maxEvidence bounds the evidence a node remembers.
const maxEvidence = 1000

// evidenceLog keeps the equivocations this node observed, for RPC and,
// with the staking issue, for submission on chain.
type evidenceLog struct {
	mu   sync.Mutex
	seen map[evidenceKey]bool
	list []consensus.Evidence
}

type evidenceKey struct {
	validator [20]byte
	height    consensus.Height
	round     consensus.Round
	typ       consensus.VoteType
}

// add records ev and reports whether it was new.
func (l *evidenceLog) add(ev consensus.Evidence) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := evidenceKey{ev.A.Validator, ev.A.Height, ev.A.Round, ev.A.Type}
	if l.seen[k] {
		return false
	}
	if l.seen == nil {
		l.seen = make(map[evidenceKey]bool)
	}
	l.seen[k] = true
	l.list = append(l.list, ev)
	if len(l.list) > maxEvidence {
		l.list = l.list[len(l.list)-maxEvidence:]
	}
	return true
}

// all returns a copy of the recorded evidence.
func (l *evidenceLog) all() []consensus.Evidence {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]consensus.Evidence(nil), l.list...)
}
