package p2p

import "sync"

// DefaultRejectThreshold is the number of rejected gossip messages after
// which a peer is banned.
const DefaultRejectThreshold = 8

// RejectScorer counts rejected gossip messages per peer. Both network
// implementations use it, so a peer is banned after the same number of
// rejects everywhere. It is safe for concurrent use.
type RejectScorer struct {
	threshold int

	mu     sync.Mutex
	counts map[PeerID]int
}

// NewRejectScorer returns a scorer that bans at threshold rejects
// (DefaultRejectThreshold if threshold <= 0).
func NewRejectScorer(threshold int) *RejectScorer {
	if threshold <= 0 {
		threshold = DefaultRejectThreshold
	}
	return &RejectScorer{threshold: threshold, counts: make(map[PeerID]int)}
}

// Reject records one rejected message from p and reports whether p has just
// reached the threshold and must be banned. It returns true once per peer
// until Forget.
func (s *RejectScorer) Reject(p PeerID) (ban bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[p]++
	return s.counts[p] == s.threshold
}

// Count returns the rejects recorded for p.
func (s *RejectScorer) Count(p PeerID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[p]
}

// Forget clears p's rejects (used when p is unblocked).
func (s *RejectScorer) Forget(p PeerID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.counts, p)
}
