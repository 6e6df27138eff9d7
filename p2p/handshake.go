package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// DefaultHandshakeTimeout bounds one status exchange.
const DefaultHandshakeTimeout = 5 * time.Second

// Handshake runs the status handshake on a Network: on every connect it
// sends our Status to the peer over StatusProtocol and reads the peer's in
// the response (the handler records the requester's status, so each side
// learns the other's from either direction). A peer whose answer shows
// another chain is blocked: disconnected and not reconnected. Both sides
// start an exchange on connect, so the other side usually blocks us too;
// if our block cuts its exchange short, our gater still refuses it. The latest status of every compatible
// peer is kept until it disconnects.
type Handshake struct {
	net     Network
	proto   Protocol
	local   func() Status
	log     *slog.Logger
	timeout time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stop   func()

	mu     sync.Mutex
	closed bool
	peers  map[PeerID]Status
}

// NewHandshake registers StatusProtocol(local().ChainID) on n and starts
// exchanging statuses with every peer, those connected now and those that
// connect later. local is called for our current status each time; it must
// be safe for concurrent use. timeout bounds one exchange
// (DefaultHandshakeTimeout if zero).
func NewHandshake(n Network, local func() Status, timeout time.Duration, logger *slog.Logger) (*Handshake, error) {
	if timeout <= 0 {
		timeout = DefaultHandshakeTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &Handshake{
		net:     n,
		proto:   StatusProtocol(local().ChainID),
		local:   local,
		log:     logger,
		timeout: timeout,
		ctx:     ctx,
		cancel:  cancel,
		peers:   make(map[PeerID]Status),
	}
	if err := n.Handle(h.proto, h.serve); err != nil {
		cancel()
		return nil, fmt.Errorf("register status protocol: %w", err)
	}
	h.stop = n.Notify(h.onEvent)
	for _, p := range n.Peers() {
		h.spawn(p.ID)
	}
	return h, nil
}

// onEvent is called from the network's event goroutine and must not block.
func (h *Handshake) onEvent(ev PeerEvent) {
	if !ev.Connected {
		h.mu.Lock()
		delete(h.peers, ev.Peer)
		h.mu.Unlock()
		return
	}
	h.spawn(ev.Peer)
}

func (h *Handshake) spawn(p PeerID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		if _, err := h.Refresh(h.ctx, p); err != nil && !errors.Is(err, context.Canceled) {
			h.log.Debug("status exchange failed", "peer", p, "err", err)
		}
	}()
}

// serve answers a status request with our status, recording the
// requester's if it is on our chain. It does not block the requester:
// answering lets a peer on another chain learn that and drop us too, and
// our own exchange, started by the same connect, blocks it on this side.
func (h *Handshake) serve(_ context.Context, from PeerID, req []byte) ([]byte, error) {
	remote, err := DecodeStatus(req)
	if err != nil {
		return nil, fmt.Errorf("status from %s: %w", from, err)
	}
	local := h.local()
	if CheckCompatible(local, remote) == nil {
		h.record(from, remote)
	}
	return EncodeStatus(local)
}

// Refresh exchanges statuses with p now and returns p's status. A peer on
// another chain is blocked and ErrStatusMismatch returned.
func (h *Handshake) Refresh(ctx context.Context, p PeerID) (Status, error) {
	local := h.local()
	req, err := EncodeStatus(local)
	if err != nil {
		return Status{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	resp, err := h.net.Request(ctx, p, h.proto, req)
	if err != nil {
		return Status{}, fmt.Errorf("status request to %s: %w", p, err)
	}
	remote, err := DecodeStatus(resp)
	if err != nil {
		return Status{}, fmt.Errorf("status from %s: %w", p, err)
	}
	if err := h.accept(p, local, remote); err != nil {
		return Status{}, err
	}
	return remote, nil
}

// accept records remote as p's status, or blocks p if it is on another
// chain.
func (h *Handshake) accept(p PeerID, local, remote Status) error {
	if err := CheckCompatible(local, remote); err != nil {
		h.mu.Lock()
		delete(h.peers, p)
		h.mu.Unlock()
		h.log.Info("dropping peer on another chain", "peer", p, "err", err)
		if berr := h.net.Block(p); berr != nil && !errors.Is(berr, ErrClosed) {
			h.log.Warn("block peer", "peer", p, "err", berr)
		}
		return fmt.Errorf("peer %s: %w", p, err)
	}
	if !h.record(p, remote) {
		return fmt.Errorf("status of %s: %w", p, ErrNotConnected)
	}
	return nil
}

// record stores p's status and reports whether p is still connected. A
// disconnect may have been handled while we talked; implementations update
// Peers before they report the event, so checking after storing never
// leaves a stale status behind.
func (h *Handshake) record(p PeerID, s Status) bool {
	h.mu.Lock()
	h.peers[p] = s
	h.mu.Unlock()
	if slices.ContainsFunc(h.net.Peers(), func(i PeerInfo) bool { return i.ID == p }) {
		return true
	}
	h.mu.Lock()
	delete(h.peers, p)
	h.mu.Unlock()
	return false
}

// Status returns the latest status of p, if p is connected and compatible.
func (h *Handshake) Status(p PeerID) (Status, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.peers[p]
	return s, ok
}

// Statuses returns a copy of the latest status of every compatible peer.
func (h *Handshake) Statuses() map[PeerID]Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[PeerID]Status, len(h.peers))
	for p, s := range h.peers {
		out[p] = s
	}
	return out
}

// Close stops reacting to connects and waits for running exchanges. The
// protocol handler stays registered until the network closes.
func (h *Handshake) Close() {
	h.stop()
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}
