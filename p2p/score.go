package p2p

import (
	"sync"
	"time"
)

// DefaultRejectThreshold is the number of rejected gossip messages after
// which a peer is banned.
const DefaultRejectThreshold = 8

// RejectDecay is how long one recorded reject takes to be forgotten: a ban
// answers a burst of invalid messages, not the odd reject an honest peer
// collects over a long life (a message its own checks could not tell from
// a valid one).
const RejectDecay = time.Minute

// RejectScorer counts rejected gossip messages per peer, forgetting one
// every RejectDecay. Both network implementations use it, so a peer is
// banned after the same number of rejects everywhere. It is safe for
// concurrent use.
type RejectScorer struct {
	threshold int
	// now is the clock (time.Now; tests inject theirs).
	now func() time.Time

	mu     sync.Mutex
	counts map[PeerID]*rejectCount
}

// rejectCount is one peer's recent rejects.
type rejectCount struct {
	n      int
	since  time.Time // when n last changed by decay (or its first reject)
	banned bool
}

// NewRejectScorer returns a scorer that bans at threshold rejects
// (DefaultRejectThreshold if threshold <= 0).
func NewRejectScorer(threshold int) *RejectScorer {
	if threshold <= 0 {
		threshold = DefaultRejectThreshold
	}
	return &RejectScorer{threshold: threshold, now: time.Now, counts: make(map[PeerID]*rejectCount)}
}

// decayed returns p's count with the rejects older than the decay
// forgotten (nil: none left).
func (s *RejectScorer) decayed(p PeerID, now time.Time) *rejectCount {
	c := s.counts[p]
	if c == nil {
		return nil
	}
	if steps := now.Sub(c.since) / RejectDecay; steps > 0 {
		c.n -= int(min(steps, time.Duration(c.n)))
		c.since = c.since.Add(steps * RejectDecay)
	}
	if c.n == 0 && !c.banned {
		delete(s.counts, p)
		return nil
	}
	return c
}

// Reject records one rejected message from p and reports whether p has just
// reached the threshold and must be banned. It returns true once per peer
// until Forget.
func (s *RejectScorer) Reject(p PeerID) (ban bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c := s.decayed(p, now)
	if c == nil {
		c = &rejectCount{since: now}
		s.counts[p] = c
	}
	c.n++
	if c.n >= s.threshold && !c.banned {
		c.banned = true
		return true
	}
	return false
}

// Count returns the rejects recorded for p and not yet forgotten.
func (s *RejectScorer) Count(p PeerID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.decayed(p, s.now()); c != nil {
		return c.n
	}
	return 0
}

// Forget clears p's rejects (used when p is unblocked).
func (s *RejectScorer) Forget(p PeerID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.counts, p)
}
