package libp2p

import (
	"log/slog"
	"sync"

	"github.com/libp2p/go-libp2p/core/control"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"
)

// gater is the connection gater: it refuses blocked peers in both
// directions, inbound identities beyond the new-peer limit of their
// address, and, when loopbackOnly, every non-loopback address.
type gater struct {
	loopbackOnly bool
	newPeers     *newPeerLimiter
	log          *slog.Logger

	mu      sync.RWMutex
	blocked map[peer.ID]bool
}

func newGater(loopbackOnly bool, newPeers *newPeerLimiter, log *slog.Logger) *gater {
	return &gater{loopbackOnly: loopbackOnly, newPeers: newPeers, log: log, blocked: make(map[peer.ID]bool)}
}

// block bans p and spends its address's allowance of new identities.
func (g *gater) block(p peer.ID) {
	g.newPeers.banned(p)
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

// InterceptSecured refuses blocked peers once their identity is known, and
// an inbound identity never seen before when its address has used up its
// allowance of new identities (newPeerLimiter). A peer we dialled is
// trusted from then on.
func (g *gater) InterceptSecured(dir network.Direction, p peer.ID, c network.ConnMultiaddrs) bool {
	if g.isBlocked(p) {
		return false
	}
	if dir != network.DirInbound {
		g.newPeers.trust(p)
		return true
	}
	addr := remoteAddr(c.RemoteMultiaddr())
	if !g.newPeers.admit(p, addr) {
		g.log.Debug("refusing a new peer identity: its address is over the new-peer limit", "peer", p, "addr", addr)
		return false
	}
	return true
}

// remoteAddr is the IP address of a remote multiaddr, or the multiaddr
// itself when it has none.
func remoteAddr(a ma.Multiaddr) string {
	if ip, err := manet.ToIP(a); err == nil {
		return ip.String()
	}
	return a.String()
}

// InterceptUpgraded accepts every connection that got this far.
func (g *gater) InterceptUpgraded(network.Conn) (bool, control.DisconnectReason) { return true, 0 }
