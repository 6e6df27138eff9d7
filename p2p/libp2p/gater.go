package libp2p

import (
	"sync"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// gater is the connection gater: it refuses blocked peers in both
// directions and, when loopbackOnly, every non-loopback address.
type gater struct {
	loopbackOnly bool

	mu      sync.RWMutex
	blocked map[peer.ID]bool
}

func newGater(loopbackOnly bool) *gater {
	return &gater{loopbackOnly: loopbackOnly, blocked: make(map[peer.ID]bool)}
}

func (g *gater) block(p peer.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.blocked[p] = true
}

func (g *gater) unblock(p peer.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.blocked, p)
}

func (g *gater) isBlocked(p peer.ID) bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.blocked[p]
}

func (g *gater) addrAllowed(a ma.Multiaddr) bool {
	return !g.loopbackOnly || manet.IsIPLoopback(a)
}

// InterceptPeerDial refuses to dial blocked peers.
func (g *gater) InterceptPeerDial(p peer.ID) bool { return !g.isBlocked(p) }

// InterceptAddrDial refuses blocked peers and, if loopbackOnly, non-loopback
// addresses.
func (g *gater) InterceptAddrDial(p peer.ID, a ma.Multiaddr) bool {
	return !g.isBlocked(p) && g.addrAllowed(a)
}

// InterceptAccept refuses non-loopback remotes if loopbackOnly.
func (g *gater) InterceptAccept(c network.ConnMultiaddrs) bool {
	return g.addrAllowed(c.RemoteMultiaddr())
}

// InterceptSecured refuses blocked peers once their identity is known.
func (g *gater) InterceptSecured(_ network.Direction, p peer.ID, _ network.ConnMultiaddrs) bool {
	return !g.isBlocked(p)
}

// InterceptUpgraded accepts every connection that got this far.
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
