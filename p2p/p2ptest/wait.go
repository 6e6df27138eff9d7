package p2ptest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/p2p"
)

// Timeout bounds every wait of the suite.
const Timeout = 15 * time.Second

// pollEvery is how often conditions are polled.
const pollEvery = 10 * time.Millisecond

// WaitFor polls cond until it holds, failing t with what after Timeout.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		}
		time.Sleep(pollEvery)
	}
}

// HasPeer reports whether n lists p among its connected peers.
func HasPeer(n p2p.Network, p p2p.PeerID) bool {
	return slices.ContainsFunc(n.Peers(), func(i p2p.PeerInfo) bool { return i.ID == p })
}

// Rejects returns how many of p's messages n rejected (0 if p is not
// connected).
func Rejects(n p2p.Network, p p2p.PeerID) int {
	for _, i := range n.Peers() {
		if i.ID == p {
			return i.Rejects
		}
	}
	return 0
}

// WaitMesh waits until every host lists every other host as a peer.
func WaitMesh(t testing.TB, hosts []p2p.Network) {
	t.Helper()
	WaitFor(t, "full mesh of connections", func() bool {
		for _, a := range hosts {
			for _, b := range hosts {
				if a != b && !HasPeer(a, b.ID()) {
					return false
				}
			}
		}
		return true
	})
}

// WaitTopicPeers waits until topic t lists at least n peers.
func WaitTopicPeers(tb testing.TB, t p2p.Topic, n int) {
	tb.Helper()
	WaitFor(tb, "topic peers of "+t.Name(), func() bool { return len(t.Peers()) >= n })
}

// Collector drains a subscription in the background and keeps every
// message it got.
type Collector struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	msgs []p2p.Message
}

// Collect starts draining sub; it stops at test cleanup.
func Collect(t testing.TB, sub p2p.Subscription) *Collector {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Collector{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for {
			m, err := sub.Next(ctx)
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		sub.Cancel()
		<-c.done
	})
	return c
}

// Has reports whether a message with exactly data arrived.
func (c *Collector) Has(data []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.msgs, func(m p2p.Message) bool { return string(m.Data) == string(data) })
}

// Any reports whether some message satisfies pred.
func (c *Collector) Any(pred func(p2p.Message) bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.ContainsFunc(c.msgs, pred)
}

// Len returns how many messages arrived.
func (c *Collector) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// Count returns how many messages satisfy pred.
func (c *Collector) Count(pred func(p2p.Message) bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, m := range c.msgs {
		if pred(m) {
			n++
		}
	}
	return n
}
