package libp2p

import (
	"context"
	"fmt"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/peerstore"
)

// bootnode is a configured peer that a dialer goroutine keeps connected.
type bootnode struct {
	info   peer.AddrInfo
	wakeCh chan struct{}
}

// wake makes the dialer check the connection now instead of after its
// backoff.
func (b *bootnode) wake() {
	select {
	case b.wakeCh <- struct{}{}:
	default:
	}
}

// parseBootnodes parses multiaddrs with /p2p/<id>, merging addresses of the
// same peer.
func parseBootnodes(addrs []string) (map[peer.ID]*bootnode, error) {
	out := make(map[peer.ID]*bootnode)
	for _, a := range addrs {
		info, err := peer.AddrInfoFromString(a)
		if err != nil {
			return nil, fmt.Errorf("%w: bootnode %q: %v", ErrBadConfig, a, err)
		}
		if b, ok := out[info.ID]; ok {
			b.info.Addrs = append(b.info.Addrs, info.Addrs...)
			continue
		}
		out[info.ID] = &bootnode{info: *info, wakeCh: make(chan struct{}, 1)}
	}
	return out, nil
}

// startDialers starts one dialer per bootnode (except ourselves).
func (h *Host) startDialers() {
	for id, b := range h.boot {
		if id == h.h.ID() {
			continue
		}
		h.h.Peerstore().AddAddrs(id, b.info.Addrs, peerstore.PermanentAddrTTL)
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			h.keepConnected(b)
		}()
	}
}

// keepConnected dials b whenever it is not connected and not blocked, with
// exponential backoff from RedialMin to RedialMax between failed attempts.
// A disconnect or an Unblock wakes it early.
func (h *Host) keepConnected(b *bootnode) {
	backoff := h.cfg.RedialMin
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-timer.C:
		case <-b.wakeCh:
		}
		wait := h.cfg.RedialMax // connected or blocked: a disconnect or Unblock wakes us
		if h.h.Network().Connectedness(b.info.ID) == network.Connected || h.gater.isBlocked(b.info.ID) {
			backoff = h.cfg.RedialMin
		} else {
			ctx, cancel := context.WithTimeout(h.ctx, h.cfg.RedialMax)
			err := h.dial(ctx, b.info)
			cancel()
			if err == nil {
				backoff = h.cfg.RedialMin
			} else {
				h.log.Debug("bootnode dial failed", "peer", b.info.ID, "retry_in", backoff, "err", err)
				wait = backoff
				backoff = min(2*backoff, h.cfg.RedialMax)
			}
		}
		timer.Reset(wait) // Go 1.23+ timers: Reset needs no drain
	}
}

// dial connects to info, bypassing the swarm's own dial backoff: our
// dialers keep their own bounded backoff, and a peer that just unblocked us
// must be reachable at once.
func (h *Host) dial(ctx context.Context, info peer.AddrInfo) error {
	ctx = network.WithForceDirectDial(ctx, "bilayer redial")
	if err := h.h.Connect(ctx, info); err != nil {
		return fmt.Errorf("dial %s: %w", info.ID, err)
	}
	return nil
}
