package memnet

import (
	"sync"

	"github.com/bilayer/bilayer/p2p"
)

// Host is one node's p2p.Network on a memnet Network.
type Host struct {
	net    *Network
	id     p2p.PeerID
	scorer *p2p.RejectScorer
	inbox  *queue
	done   chan struct{}
	wg     sync.WaitGroup // the inbox loop and running request handlers

	mu       sync.Mutex
	closed   bool
	topics   map[string]*topic
	handlers map[string]handler
	notify   p2p.Notifiers
}

var _ p2p.Network = (*Host)(nil)

func newHost(n *Network, id p2p.PeerID) *Host {
	h := &Host{
		net:      n,
		id:       id,
		scorer:   p2p.NewRejectScorer(n.cfg.RejectThreshold),
		inbox:    newQueue(),
		done:     make(chan struct{}),
		topics:   make(map[string]*topic),
		handlers: make(map[string]handler),
	}
	h.wg.Add(1)
	go h.loop()
	return h
}

// ID returns the host's id.
func (h *Host) ID() p2p.PeerID { return h.id }

// Peers lists the hosts with an up link to this one.
func (h *Host) Peers() []p2p.PeerInfo {
	ps := h.net.peers(h.id)
	for i := range ps {
		ps[i].Rejects = h.scorer.Count(ps[i].ID)
		ps[i].Score = -10 * float64(ps[i].Rejects)
	}
	return ps
}

// Notify registers fn for peer events; it runs on the host's inbox
// goroutine.
func (h *Host) Notify(fn func(p2p.PeerEvent)) (stop func()) { return h.notify.Add(fn) }

// Block takes the link to peer down and keeps it down until Unblock.
func (h *Host) Block(peer p2p.PeerID) error {
	if h.isClosed() {
		return p2p.ErrClosed
	}
	h.net.setBlocked(h.id, peer, true)
	return nil
}

// Unblock lets the link to peer come up again and forgets its rejects.
func (h *Host) Unblock(peer p2p.PeerID) error {
	if h.isClosed() {
		return p2p.ErrClosed
	}
	h.scorer.Forget(peer)
	h.net.setBlocked(h.id, peer, false)
	return nil
}

// Close takes the host off the network, cancels its subscriptions and
// waits for its goroutines.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return p2p.ErrClosed
	}
	h.closed = true
	topics := make([]*topic, 0, len(h.topics))
	for _, t := range h.topics {
		topics = append(topics, t)
	}
	h.mu.Unlock()
	h.net.removeHost(h)
	close(h.done)
	h.wg.Wait()
	for _, t := range topics {
		t.cancelSubs()
	}
	return nil
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}

// loop handles the inbox in order until the host closes.
func (h *Host) loop() {
	defer h.wg.Done()
	for {
		for _, item := range h.inbox.drain() {
			switch x := item.(type) {
			case p2p.PeerEvent:
				h.emit(x)
			case gossip:
				h.receive(x)
			}
		}
		select {
		case <-h.done:
			return
		case <-h.inbox.wake:
		}
	}
}

func (h *Host) emit(ev p2p.PeerEvent) { h.notify.Emit(ev) }

// Penalize counts one reject for peer; see p2p.Network.
func (h *Host) Penalize(peer p2p.PeerID) error {
	if h.isClosed() {
		return p2p.ErrClosed
	}
	h.reject(peer)
	return nil
}

// reject counts a rejected message from peer and bans it at the threshold.
func (h *Host) reject(peer p2p.PeerID) {
	if h.scorer.Reject(peer) {
		h.net.setBlocked(h.id, peer, true)
	}
}
