package libp2p

import (
	"fmt"

	"github.com/libp2p/go-libp2p/core/event"
	"github.com/libp2p/go-libp2p/core/network"

	"github.com/bilayer/bilayer/p2p"
)

// startEvents subscribes to connectedness changes and runs the goroutine
// that hands them to Notify callbacks and wakes bootnode dialers.
func (h *Host) startEvents() error {
	sub, err := h.h.EventBus().Subscribe(new(event.EvtPeerConnectednessChanged))
	if err != nil {
		return fmt.Errorf("subscribe to peer events: %w", err)
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer sub.Close()
		for {
			select {
			case <-h.ctx.Done():
				return
			case e, ok := <-sub.Out():
				if !ok {
					return
				}
				h.onConnectedness(e.(event.EvtPeerConnectednessChanged))
			}
		}
	}()
	return nil
}

func (h *Host) onConnectedness(e event.EvtPeerConnectednessChanged) {
	var ev p2p.PeerEvent
	switch e.Connectedness {
	case network.Connected:
		ev = p2p.PeerEvent{Peer: p2p.PeerID(e.Peer.String()), Connected: true}
	case network.NotConnected:
		ev = p2p.PeerEvent{Peer: p2p.PeerID(e.Peer.String()), Connected: false}
		if b, ok := h.boot[e.Peer]; ok {
			b.wake()
		}
	default:
		return
	}
	h.notify.Emit(ev)
}
