package memnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"sync"
	"time"

	"github.com/bilayer/bilayer/p2p"
)

// Config tunes a Network. The zero value is a reliable, instant network.
type Config struct {
	// Seed seeds the random source for delay, drop and duplication.
	Seed uint64
	// MinDelay and MaxDelay bound the uniform delay of each gossip hop and
	// each request.
	MinDelay, MaxDelay time.Duration
	// DropRate is the probability that a gossip hop is lost.
	DropRate float64
	// DupRate is the probability that a gossip hop is delivered twice.
	DupRate float64
	// RejectThreshold is the number of rejects that bans a peer
	// (p2p.DefaultRejectThreshold if zero).
	RejectThreshold int
	// SubscriptionBuffer is how many messages a subscription holds before
	// it drops new ones (1024 if zero).
	SubscriptionBuffer int
	// SeenCacheSize is how many message ids a topic remembers (4096 if
	// zero).
	SeenCacheSize int
	// Intercept, if set, sees every gossip hop (a publish or a relay to one
	// neighbour) over an up link before its fate is drawn, and drops it by
	// returning false: a test observes what is sent (every signed message,
	// say) and withholds chosen messages from chosen hosts. It runs with
	// the network locked, so it must not call the Network or its hosts.
	Intercept func(from, to p2p.PeerID, topic string, data []byte) bool
}

// ErrBadConfig is returned by New for an invalid Config.
var ErrBadConfig = errors.New("memnet: invalid config")

// ErrUnknownHost is returned when a topology call names a host that does
// not exist.
var ErrUnknownHost = errors.New("memnet: unknown host")

// ErrHostExists is returned by NewHost for an id already in use.
var ErrHostExists = errors.New("memnet: host already exists")

// pending is a delayed delivery; the timer field is written under
// Network.mu before the timer can fire into arrive, which takes the lock.
type pending struct{ timer *time.Timer }

// link is an unordered pair of hosts, a < b.
type link struct{ a, b p2p.PeerID }

func newLink(x, y p2p.PeerID) link {
	if y < x {
		x, y = y, x
	}
	return link{a: x, b: y}
}

// Network is an in-memory network of hosts. It is safe for concurrent use.
type Network struct {
	cfg Config

	mu      sync.Mutex
	rng     *rand.Rand
	hosts   map[p2p.PeerID]*Host
	links   map[link]p2p.PeerID // configured links -> the dialing side
	up      map[link]bool
	blocked map[p2p.PeerID]map[p2p.PeerID]bool // blocker -> blocked
	groups  map[p2p.PeerID]int                 // nil when healed
	timers  map[*pending]struct{}
	closed  bool
}

// New returns an empty network.
func New(cfg Config) (*Network, error) {
	if cfg.MinDelay < 0 || cfg.MaxDelay < cfg.MinDelay {
		return nil, fmt.Errorf("%w: delay range [%v, %v]", ErrBadConfig, cfg.MinDelay, cfg.MaxDelay)
	}
	if cfg.DropRate < 0 || cfg.DropRate > 1 || cfg.DupRate < 0 || cfg.DupRate > 1 {
		return nil, fmt.Errorf("%w: drop %v dup %v", ErrBadConfig, cfg.DropRate, cfg.DupRate)
	}
	if cfg.SubscriptionBuffer <= 0 {
		cfg.SubscriptionBuffer = 1024
	}
	if cfg.SeenCacheSize <= 0 {
		cfg.SeenCacheSize = 4096
	}

	return &Network{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		hosts:   make(map[p2p.PeerID]*Host),
		links:   make(map[link]p2p.PeerID),
		up:      make(map[link]bool),
		blocked: make(map[p2p.PeerID]map[p2p.PeerID]bool),
		timers:  make(map[*pending]struct{}),
	}, nil
}

// NewHost adds a host named id. Links configured for id earlier (before a
// previous host of that id closed) come up again.
func (n *Network) NewHost(id p2p.PeerID) (*Host, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, p2p.ErrClosed
	}
	if _, ok := n.hosts[id]; ok {
		return nil, fmt.Errorf("%w: %s", ErrHostExists, id)
	}
	h := newHost(n, id)
	n.hosts[id] = h
	n.refreshLocked()
	return h, nil
}

// Connect configures a link between a and b, a being the dialer; it comes
// up unless blocked or partitioned.
func (n *Network) Connect(a, b p2p.PeerID) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return p2p.ErrClosed
	}
	for _, id := range []p2p.PeerID{a, b} {
		if _, ok := n.hosts[id]; !ok {
			return fmt.Errorf("connect %s-%s: %w: %s", a, b, ErrUnknownHost, id)
		}
	}
	if a == b {
		return fmt.Errorf("connect %s to itself: %w", a, ErrBadConfig)
	}
	l := newLink(a, b)
	if _, ok := n.links[l]; !ok {
		n.links[l] = a
	}
	n.refreshLocked()
	return nil
}

// ConnectAll configures a link between every pair of current hosts (a full
// mesh); within a pair the host with the smaller id dials.
func (n *Network) ConnectAll() {
	n.mu.Lock()
	defer n.mu.Unlock()
	ids := n.idsLocked()
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			l := newLink(a, b)
			if _, ok := n.links[l]; !ok {
				n.links[l] = a
			}
		}
	}
	n.refreshLocked()
}

// Disconnect removes the configured link between a and b.
func (n *Network) Disconnect(a, b p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	delete(n.links, newLink(a, b))
	n.refreshLocked()
}

// Partition splits the hosts into groups: links between groups go down
// until Heal. Hosts named in no group form one more group together.
func (n *Network) Partition(groups ...[]p2p.PeerID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.groups = make(map[p2p.PeerID]int)
	for i, g := range groups {
		for _, id := range g {
			n.groups[id] = i + 1
		}
	}
	n.refreshLocked()
}

// Heal ends the partition.
func (n *Network) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.groups = nil
	n.refreshLocked()
}

// SetLoss changes the drop and duplication rates of later gossip hops (a
// test ends its lossy phase, say); rates outside [0, 1] are an error.
func (n *Network) SetLoss(drop, dup float64) error {
	if drop < 0 || drop > 1 || dup < 0 || dup > 1 {
		return fmt.Errorf("%w: drop %v dup %v", ErrBadConfig, drop, dup)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cfg.DropRate, n.cfg.DupRate = drop, dup
	return nil
}

// Close closes every host and stops every pending delivery.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return p2p.ErrClosed
	}
	n.closed = true
	for p := range n.timers {
		p.timer.Stop()
		delete(n.timers, p)
	}
	hosts := make([]*Host, 0, len(n.hosts))
	for _, id := range n.idsLocked() {
		hosts = append(hosts, n.hosts[id])
	}
	n.mu.Unlock()
	for _, h := range hosts {
		if err := h.Close(); err != nil && !errors.Is(err, p2p.ErrClosed) {
			return fmt.Errorf("close host %s: %w", h.id, err)
		}
	}
	return nil
}

func (n *Network) idsLocked() []p2p.PeerID {
	ids := make([]p2p.PeerID, 0, len(n.hosts))
	for id := range n.hosts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// linkUpLocked computes whether l should be up now.
func (n *Network) linkUpLocked(l link) bool {
	if _, ok := n.links[l]; !ok {
		return false
	}
	if n.hosts[l.a] == nil || n.hosts[l.b] == nil {
		return false
	}
	if n.blocked[l.a][l.b] || n.blocked[l.b][l.a] {
		return false
	}
	if n.groups != nil && n.groups[l.a] != n.groups[l.b] {
		return false
	}
	return true
}

// refreshLocked recomputes every link and reports changes to both ends.
func (n *Network) refreshLocked() {
	seen := make(map[link]bool, len(n.links)+len(n.up))
	for l := range n.links {
		seen[l] = true
	}
	for l := range n.up {
		seen[l] = true
	}
	ls := make([]link, 0, len(seen))
	for l := range seen {
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool {
		if ls[i].a != ls[j].a {
			return ls[i].a < ls[j].a
		}
		return ls[i].b < ls[j].b
	})
	for _, l := range ls {
		now := n.linkUpLocked(l)
		if now == n.up[l] {
			continue
		}
		if now {
			n.up[l] = true
		} else {
			delete(n.up, l)
		}
		if h := n.hosts[l.a]; h != nil {
			h.inbox.push(p2p.PeerEvent{Peer: l.b, Connected: now})
		}
		if h := n.hosts[l.b]; h != nil {
			h.inbox.push(p2p.PeerEvent{Peer: l.a, Connected: now})
		}
	}
}

// setBlocked records that blocker blocks (or unblocks) peer.
func (n *Network) setBlocked(blocker, peer p2p.PeerID, block bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if block {
		if n.blocked[blocker] == nil {
			n.blocked[blocker] = make(map[p2p.PeerID]bool)
		}
		n.blocked[blocker][peer] = true
	} else {
		delete(n.blocked[blocker], peer)
	}
	n.refreshLocked()
}

// removeHost takes h out of the network (its links go down).
func (n *Network) removeHost(h *Host) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.hosts[h.id] == h {
		delete(n.hosts, h.id)
		n.refreshLocked()
	}
}

// neighbours returns the hosts with an up link to id.
func (n *Network) neighbours(id p2p.PeerID) []*Host {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []*Host
	for _, pid := range n.idsLocked() {
		if pid != id && n.up[newLink(id, pid)] {
			out = append(out, n.hosts[pid])
		}
	}
	return out
}

// peers returns id's connected peers.
func (n *Network) peers(id p2p.PeerID) []p2p.PeerInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []p2p.PeerInfo
	for _, pid := range n.idsLocked() {
		l := newLink(id, pid)
		if pid == id || !n.up[l] {
			continue
		}
		out = append(out, p2p.PeerInfo{ID: pid, Addr: "memnet/" + string(pid), Outbound: n.links[l] == id})
	}
	return out
}

// route returns the remote host for a request from -> to and the delay to
// apply, or ErrNotConnected.
func (n *Network) route(from, to p2p.PeerID) (*Host, time.Duration, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.up[newLink(from, to)] || from == to {
		return nil, 0, fmt.Errorf("%w: %s", p2p.ErrNotConnected, to)
	}
	return n.hosts[to], n.delayLocked(), nil
}

func (n *Network) isUp(a, b p2p.PeerID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.up[newLink(a, b)]
}

func (n *Network) delayLocked() time.Duration {
	span := n.cfg.MaxDelay - n.cfg.MinDelay
	if span <= 0 {
		return n.cfg.MinDelay
	}
	return n.cfg.MinDelay + time.Duration(n.rng.Int64N(int64(span)+1))
}

// send schedules one gossip hop from -> to, subject to drop, duplication
// and delay. The link must still be up when the message arrives.
func (n *Network) send(from, to p2p.PeerID, m gossip) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed || !n.up[newLink(from, to)] {
		return
	}
	if n.cfg.Intercept != nil && !n.cfg.Intercept(from, to, m.topic, m.data) {
		return
	}
	if n.cfg.DropRate > 0 && n.rng.Float64() < n.cfg.DropRate {
		return
	}
	copies := 1
	if n.cfg.DupRate > 0 && n.rng.Float64() < n.cfg.DupRate {
		copies = 2
	}
	for range copies {
		d := n.delayLocked()
		if d == 0 {
			n.hosts[to].inbox.push(m)
			continue
		}
		p := &pending{}
		p.timer = time.AfterFunc(d, func() { n.arrive(p, from, to, m) })
		n.timers[p] = struct{}{}
	}
}

// arrive delivers a delayed hop if the network and link are still up.
func (n *Network) arrive(p *pending, from, to p2p.PeerID, m gossip) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.timers[p]; !ok {
		return
	}
	delete(n.timers, p)
	if n.closed || !n.up[newLink(from, to)] {
		return
	}
	n.hosts[to].inbox.push(m)
}
