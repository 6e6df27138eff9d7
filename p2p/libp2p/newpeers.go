package libp2p

import (
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/libp2p/go-libp2p/core/peer"
)

// Defaults of the new-identity limit (Config.NewPeerBurst,
// Config.NewPeerInterval).
const (
	// DefaultNewPeerBurst is how many never-seen peer identities one IP
	// address may connect at once: a devnet's nodes all share 127.0.0.1,
	// and 32 is several times the peers a devnet node has.
	DefaultNewPeerBurst = 32
	// DefaultNewPeerInterval is how often one IP address earns another
	// new identity once its burst is spent.
	DefaultNewPeerInterval = time.Second
	// knownPeers bounds the identities remembered as admitted; the oldest
	// is forgotten first (it then spends a token again if it reconnects).
	knownPeers = 4096
	// maxAddrBuckets bounds the per-address buckets kept; full buckets are
	// dropped first (a full bucket carries no information).
	maxAddrBuckets = 4096
)

// newPeerLimiter bounds how fast never-seen peer identities may connect
// from one IP address. A ban is by peer id, and a fresh id costs an
// attacker nothing, so without it a banned peer comes back at once under a
// new name with a clean score (issue 16, peer-id churn). Each address has
// a token bucket of burst tokens that refills one token per interval; an
// inbound connection from an identity not admitted before takes a token or
// is refused, and a ban empties the bucket of the banned peer's address,
// so after a ban that address gets one new identity per interval. Known
// identities (admitted before, or dialled by us) pass freely, so an honest
// node that reconnects or restarts with its key is never throttled.
type newPeerLimiter struct {
	burst    float64
	interval time.Duration
	now      func() time.Time

	mu      sync.Mutex
	known   *lru.Cache[peer.ID, string] // admitted identity → its address
	buckets map[string]*tokenBucket
}

// tokenBucket is one address's allowance of new identities.
type tokenBucket struct {
	tokens float64
	at     time.Time
}

// newNewPeerLimiter returns a limiter; now is the clock (time.Now in a
// host, a virtual one in tests).
func newNewPeerLimiter(burst int, interval time.Duration, now func() time.Time) *newPeerLimiter {
	known, err := lru.New[peer.ID, string](knownPeers)
	if err != nil { // only for a non-positive size
		panic(err)
	}
	return &newPeerLimiter{burst: float64(burst), interval: interval, now: now,
		known: known, buckets: make(map[string]*tokenBucket)}
}

// refill brings b up to date at now.
func (l *newPeerLimiter) refill(b *tokenBucket, now time.Time) {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+float64(elapsed)/float64(l.interval))
	}
	b.at = now
}

// bucket returns addr's bucket, made full if new.
func (l *newPeerLimiter) bucket(addr string, now time.Time) *tokenBucket {
	b, ok := l.buckets[addr]
	if !ok {
		if len(l.buckets) >= maxAddrBuckets {
			l.dropFullBuckets(now)
		}
		b = &tokenBucket{tokens: l.burst, at: now}
		l.buckets[addr] = b
	}
	l.refill(b, now)
	return b
}

// dropFullBuckets forgets the addresses whose buckets have refilled; if
// none has, it forgets one at random so the map stays bounded (that
// address starts full again: an attacker with 4,096 addresses has them
// anyway).
func (l *newPeerLimiter) dropFullBuckets(now time.Time) {
	for addr, b := range l.buckets {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.buckets, addr)
		}
	}
	for addr := range l.buckets {
		if len(l.buckets) < maxAddrBuckets {
			return
		}
		delete(l.buckets, addr)
	}
}

// admit reports whether identity p, connecting from addr, may proceed,
// taking a token if p is new.
func (l *newPeerLimiter) admit(p peer.ID, addr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.known.Get(p); ok {
		return true
	}
	b := l.bucket(addr, l.now())
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	l.known.Add(p, addr)
	return true
}

// trust marks p as known without a token: a peer this host dialled itself
// (a bootnode, or one it chose to redial).
func (l *newPeerLimiter) trust(p peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.known.Get(p); !ok {
		l.known.Add(p, "")
	}
}

// banned forgets p and empties the bucket of the address it came from, so
// the next new identity from there waits a whole interval.
func (l *newPeerLimiter) banned(p peer.ID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	addr, ok := l.known.Peek(p)
	l.known.Remove(p)
	if !ok || addr == "" {
		return
	}
	b := l.bucket(addr, l.now())
	b.tokens = 0
}
