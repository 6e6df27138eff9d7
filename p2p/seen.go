package p2p

import (
	"sync"
	"time"
)

// Duplicate suppression by message id, for the topics that set
// TopicOptions.MessageID (issue 16 item 1).
const (
	// DefaultSeenTTL is how long a host treats a message id it accepted (or
	// rejected) as seen: copies within that time, whatever their other
	// bytes, are dropped before validation and not relayed. After it, a copy
	// is validated and relayed once more: that is how a message re-sent by
	// its author (the consensus driver re-sends its own every second)
	// reaches peers that missed it, a few hops away included.
	DefaultSeenTTL = 4 * time.Second
	// DuplicateLimit is how many copies of one id a peer may send within
	// DefaultSeenTTL: each further DuplicateLimit copies count as one
	// reject. An author re-sends its own message about once a second, and a
	// relay forwards one once per DefaultSeenTTL at most.
	DuplicateLimit = 16
	// DefaultSeenCacheSize bounds the ids a SeenCache holds.
	DefaultSeenCacheSize = 1 << 16
	// seenPeersTracked bounds the senders counted per id.
	seenPeersTracked = 8
)

// SeenCache remembers message ids for DefaultSeenTTL from their first
// sighting and counts who sent copies. Both network implementations use
// it, the same way, before the topic's Validator. It is safe for
// concurrent use.
type SeenCache struct {
	ttl time.Duration
	max int

	mu sync.Mutex
	m  map[[32]byte]*seenEntry
}

type seenEntry struct {
	since    time.Time
	state    seenState
	peers    [seenPeersTracked]PeerID
	copies   [seenPeersTracked]int
	numPeers int
}

type seenState uint8

const (
	seenValidating seenState = iota // a copy is being validated
	seenSettled                     // accepted or rejected: copies are duplicates
	seenIgnored                     // ignored: a later copy is validated again
)

// NewSeenCache returns a cache with the given TTL and size
// (DefaultSeenTTL and DefaultSeenCacheSize if zero).
func NewSeenCache(ttl time.Duration, size int) *SeenCache {
	if ttl <= 0 {
		ttl = DefaultSeenTTL
	}
	if size <= 0 {
		size = DefaultSeenCacheSize
	}
	return &SeenCache{ttl: ttl, max: size, m: make(map[[32]byte]*seenEntry)}
}

// Arrived records that from sent a copy of message id at now. validate
// reports whether this copy must be validated: no copy of id was accepted
// or rejected within the TTL, and none is being validated. A caller that
// validates it must report the verdict with Validated. penalize reports
// that from has just sent another DuplicateLimit copies within the TTL.
func (c *SeenCache) Arrived(id [32]byte, from PeerID, now time.Time) (validate, penalize bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	if e != nil && e.state != seenValidating && now.Sub(e.since) >= c.ttl {
		delete(c.m, id)
		e = nil
	}
	if e == nil {
		c.makeRoom(now)
		e = &seenEntry{since: now, state: seenValidating}
		c.m[id] = e
		e.count(from)
		return true, false
	}
	n := e.count(from)
	penalize = n > 1 && (n-1)%DuplicateLimit == 0
	if e.state == seenIgnored {
		e.state = seenValidating
		return true, penalize
	}
	return false, penalize
}

// count records one copy from p and returns p's copies (0 if p is past
// the senders tracked).
func (e *seenEntry) count(p PeerID) int {
	for i := range e.numPeers {
		if e.peers[i] == p {
			e.copies[i]++
			return e.copies[i]
		}
	}
	if e.numPeers == seenPeersTracked {
		return 0
	}
	e.peers[e.numPeers], e.copies[e.numPeers] = p, 1
	e.numPeers++
	return 1
}

// Validated records the verdict on the copy of id that Arrived let
// through: accepted or rejected, copies are duplicates until the TTL
// passes; ignored, the next copy is validated again (this host may be
// able to use it by then: a message for a height it has not reached).
func (c *SeenCache) Validated(id [32]byte, v Verdict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[id]
	if e == nil {
		return
	}
	if v == Ignore {
		e.state = seenIgnored
	} else {
		e.state = seenSettled
	}
}

// makeRoom drops expired ids when the cache is full, then, if it is still
// full, any ids not being validated.
func (c *SeenCache) makeRoom(now time.Time) {
	if len(c.m) < c.max {
		return
	}
	for id, e := range c.m {
		if e.state != seenValidating && now.Sub(e.since) >= c.ttl {
			delete(c.m, id)
		}
	}
	for id, e := range c.m {
		if len(c.m) < c.max {
			return
		}
		if e.state != seenValidating {
			delete(c.m, id)
		}
	}
}

// Len returns the number of ids held.
func (c *SeenCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
