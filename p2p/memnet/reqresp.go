package memnet

import (
	"context"
	"fmt"
	"time"

	"github.com/bilayer/bilayer/p2p"
)

// handler is a registered protocol handler with its limits.
type handler struct {
	proto p2p.Protocol
	fn    p2p.Handler
}

// Handle registers fn for p; see p2p.Network.
func (h *Host) Handle(p p2p.Protocol, fn p2p.Handler) error {
	if p.MaxRequest <= 0 || p.MaxResponse <= 0 {
		return fmt.Errorf("handle %s: %w", p.Name, p2p.ErrBadLimit)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return p2p.ErrClosed
	}
	if _, ok := h.handlers[p.Name]; ok {
		return fmt.Errorf("handle %s: %w", p.Name, p2p.ErrAlreadyRegistered)
	}
	h.handlers[p.Name] = handler{proto: p, fn: fn}
	return nil
}

// Request calls p on peer; see p2p.Network.
func (h *Host) Request(ctx context.Context, peer p2p.PeerID, p p2p.Protocol, req []byte) ([]byte, error) {
	if h.isClosed() {
		return nil, p2p.ErrClosed
	}
	if len(req) > p.MaxRequest {
		return nil, fmt.Errorf("request %s: %d bytes (limit %d): %w", p.Name, len(req), p.MaxRequest, p2p.ErrMessageTooLarge)
	}
	remote, delay, err := h.net.route(h.id, peer)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", p.Name, err)
	}
	if err := h.wait(ctx, delay); err != nil {
		return nil, fmt.Errorf("request %s to %s: %w", p.Name, peer, err)
	}
	resp, err := remote.serve(ctx, h.id, p.Name, append([]byte(nil), req...))
	if err != nil {
		return nil, fmt.Errorf("request %s to %s: %w", p.Name, peer, err)
	}
	if !h.net.isUp(h.id, peer) {
		return nil, fmt.Errorf("request %s: %w: %s", p.Name, p2p.ErrNotConnected, peer)
	}
	if len(resp) > p.MaxResponse {
		return nil, fmt.Errorf("request %s to %s: response %d bytes (limit %d): %w", p.Name, peer, len(resp), p.MaxResponse, p2p.ErrMessageTooLarge)
	}
	return resp, nil
}

// wait sleeps d unless ctx ends or the host closes first.
func (h *Host) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-h.done:
		return p2p.ErrClosed
	}
}

// result is a handler's outcome.
type result struct {
	resp []byte
	err  error
}

// serve runs the handler for proto on this (remote) host, enforcing this
// host's limits, until it returns, ctx ends or this host closes.
func (h *Host) serve(ctx context.Context, from p2p.PeerID, proto string, req []byte) ([]byte, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", p2p.ErrNotConnected, h.id)
	}
	hd, ok := h.handlers[proto]
	if !ok {
		h.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", p2p.ErrUnsupportedProtocol, proto)
	}
	if len(req) > hd.proto.MaxRequest {
		h.mu.Unlock()
		return nil, fmt.Errorf("refused by peer: request %d bytes (limit %d): %w", len(req), hd.proto.MaxRequest, p2p.ErrMessageTooLarge)
	}
	h.wg.Add(1)
	h.mu.Unlock()

	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan result, 1)
	go func() {
		defer h.wg.Done()
		resp, err := hd.fn(hctx, from, req)
		out <- result{resp: resp, err: err}
	}()
	select {
	case r := <-out:
		if r.err != nil {
			return nil, fmt.Errorf("%w: %s", p2p.ErrRemote, r.err.Error())
		}
		if len(r.resp) > hd.proto.MaxResponse {
			return nil, fmt.Errorf("refused by peer: response %d bytes (limit %d): %w", len(r.resp), hd.proto.MaxResponse, p2p.ErrMessageTooLarge)
		}
		return append([]byte(nil), r.resp...), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-h.done:
		return nil, fmt.Errorf("%w: %s closed", p2p.ErrNotConnected, h.id)
	}
}
