package libp2p

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	golibp2p "github.com/libp2p/go-libp2p"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	rcmgr "github.com/libp2p/go-libp2p/p2p/host/resource-manager"
	"github.com/libp2p/go-libp2p/p2p/muxer/yamux"
	"github.com/libp2p/go-libp2p/p2p/net/connmgr"
	"github.com/libp2p/go-libp2p/p2p/security/noise"
	"github.com/libp2p/go-libp2p/p2p/transport/tcp"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/bilayer/bilayer/p2p"
)

// Host is a p2p.Network over go-libp2p.
type Host struct {
	cfg    Config
	log    *slog.Logger
	h      host.Host
	ps     *pubsub.PubSub
	gater  *gater
	scorer *p2p.RejectScorer
	scores *peerScores
	boot   map[peer.ID]*bootnode // fixed after New

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	topics   map[string]*topic
	handlers map[string]bool
	notify   p2p.Notifiers
}

var _ p2p.Network = (*Host)(nil)

// New starts a host: it listens, starts gossipsub and begins dialing the
// bootnodes. Close releases everything.
func New(cfg Config) (*Host, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	boot, err := parseBootnodes(cfg.Bootnodes)
	if err != nil {
		return nil, err
	}
	g := newGater(cfg.LoopbackOnly, newNewPeerLimiter(cfg.NewPeerBurst, cfg.NewPeerInterval, time.Now), cfg.Logger)
	for _, a := range cfg.ListenAddrs {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %v", ErrBadConfig, a, err)
		}
		if !g.addrAllowed(m) {
			return nil, fmt.Errorf("%w: listen address %s is not loopback", ErrBadConfig, a)
		}
	}
	key, err := nodeKey(cfg)
	if err != nil {
		return nil, err
	}
	lh, err := newLibp2pHost(cfg, key, g)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	scorer := p2p.NewRejectScorer(cfg.RejectThreshold)
	scores := &peerScores{}
	ps, err := newGossipSub(ctx, lh, cfg, scorer, scores)
	if err != nil {
		cancel()
		lh.Close()
		return nil, err
	}
	h := &Host{
		cfg:      cfg,
		log:      cfg.Logger,
		h:        lh,
		ps:       ps,
		gater:    g,
		scorer:   scorer,
		scores:   scores,
		boot:     boot,
		ctx:      ctx,
		cancel:   cancel,
		topics:   make(map[string]*topic),
		handlers: make(map[string]bool),
	}
	if err := h.startEvents(); err != nil {
		cancel()
		lh.Close()
		return nil, err
	}
	h.startDialers()
	h.log.Info("p2p host started", "id", lh.ID(), "addrs", lh.Addrs(), "bootnodes", len(boot))
	return h, nil
}

// newLibp2pHost builds the libp2p host from an explicit list of parts;
// nothing else (QUIC, WebRTC, relays, NAT, AutoNAT, hole punching) is on.
func newLibp2pHost(cfg Config, key crypto.PrivKey, g *gater) (host.Host, error) {
	limits := rcmgr.DefaultLimits
	golibp2p.SetDefaultServiceLimits(&limits)
	rm, err := rcmgr.NewResourceManager(rcmgr.NewFixedLimiter(limits.AutoScale()))
	if err != nil {
		return nil, fmt.Errorf("resource manager: %w", err)
	}
	cm, err := connmgr.NewConnManager(cfg.MaxPeers/2, cfg.MaxPeers, connmgr.WithGracePeriod(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("connection manager: %w", err)
	}
	h, err := golibp2p.New(
		golibp2p.Identity(key),
		golibp2p.ListenAddrStrings(cfg.ListenAddrs...),
		golibp2p.Transport(tcp.NewTCPTransport),
		golibp2p.Security(noise.ID, noise.New),
		golibp2p.Muxer(yamux.ID, yamux.DefaultTransport),
		golibp2p.ConnectionGater(g),
		golibp2p.ResourceManager(rm),
		golibp2p.ConnectionManager(cm),
		golibp2p.DisableRelay(),
		golibp2p.DisableMetrics(),
	)
	if err != nil {
		return nil, fmt.Errorf("start libp2p host: %w", err)
	}
	return h, nil
}

// ID returns the host's peer id.
func (h *Host) ID() p2p.PeerID { return p2p.PeerID(h.h.ID().String()) }

// Multiaddrs returns the host's listen addresses with /p2p/<id>, as other
// nodes put them in their bootnodes.
func (h *Host) Multiaddrs() []string {
	var out []string
	for _, a := range h.h.Addrs() {
		out = append(out, fmt.Sprintf("%s/p2p/%s", a, h.h.ID()))
	}
	return out
}

// Peers lists the connected peers, one entry per peer.
func (h *Host) Peers() []p2p.PeerInfo {
	seen := make(map[peer.ID]bool)
	var out []p2p.PeerInfo
	for _, c := range h.h.Network().Conns() {
		pid := c.RemotePeer()
		if seen[pid] {
			continue
		}
		seen[pid] = true
		out = append(out, p2p.PeerInfo{
			ID:       p2p.PeerID(pid.String()),
			Addr:     c.RemoteMultiaddr().String(),
			Outbound: c.Stat().Direction == network.DirOutbound,
			Rejects:  h.scorer.Count(p2p.PeerID(pid.String())),
			Score:    h.scores.get(pid),
		})
	}
	return out
}

// Notify registers fn for peer events; see p2p.Network.
func (h *Host) Notify(fn func(p2p.PeerEvent)) (stop func()) { return h.notify.Add(fn) }

// Block bans p in the gater and closes its connections.
func (h *Host) Block(p p2p.PeerID) error {
	if h.isClosed() {
		return p2p.ErrClosed
	}
	pid, err := peer.Decode(string(p))
	if err != nil {
		return fmt.Errorf("block %q: %w", p, err)
	}
	h.ban(pid)
	return nil
}

// Penalize counts one reject for p, banning it at the threshold; see
// p2p.Network.
func (h *Host) Penalize(p p2p.PeerID) error {
	if h.isClosed() {
		return p2p.ErrClosed
	}
	pid, err := peer.Decode(string(p))
	if err != nil {
		return fmt.Errorf("penalize %q: %w", p, err)
	}
	h.reject(pid)
	return nil
}

// reject counts one reject for pid and bans it at the threshold.
func (h *Host) reject(pid peer.ID) {
	if h.scorer.Reject(p2p.PeerID(pid.String())) {
		h.log.Info("banning peer after rejected messages", "peer", pid)
		h.ban(pid)
	}
}

// ban blocks pid and disconnects it.
func (h *Host) ban(pid peer.ID) {
	h.gater.block(pid)
	if err := h.h.Network().ClosePeer(pid); err != nil {
		h.log.Debug("close blocked peer", "peer", pid, "err", err)
	}
}

// Unblock lifts the ban on p, forgets its rejects, and redials it (at once
// if its addresses are known, and through its dialer if it is a bootnode).
func (h *Host) Unblock(p p2p.PeerID) error {
	if h.isClosed() {
		return p2p.ErrClosed
	}
	pid, err := peer.Decode(string(p))
	if err != nil {
		return fmt.Errorf("unblock %q: %w", p, err)
	}
	h.gater.unblock(pid)
	h.scorer.Forget(p)
	if b, ok := h.boot[pid]; ok {
		b.wake()
		return nil
	}
	if len(h.h.Peerstore().Addrs(pid)) == 0 {
		return nil
	}
	h.goLocked(func() {
		ctx, cancel := context.WithTimeout(h.ctx, h.cfg.RequestTimeout)
		defer cancel()
		if err := h.dial(ctx, peer.AddrInfo{ID: pid}); err != nil {
			h.log.Debug("redial after unblock", "peer", pid, "err", err)
		}
	})
	return nil
}

// goLocked runs fn on a goroutine that Close waits for, unless closed.
func (h *Host) goLocked(fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		fn()
	}()
}

// Close stops the dialers and the event loop, waits for them, leaves every
// topic and closes the libp2p host.
//
// The libp2p host is closed only after this host's own dials have
// returned: go-libp2p (v0.51, unchanged in v0.52) panics when a swarm
// closes while one of its dial workers filters the addresses of a dial
// (swarm.nonProxyAddr calls Proxy on the nil transport a closed swarm
// returns), and closing under a bootnode dialer's redial did that in
// this package's tests.
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
	h.cancel()
	h.wg.Wait() // every goroutine of ours returns once h.ctx is done
	for _, t := range topics {
		t.leave()
	}
	err := h.h.Close()
	if err != nil {
		return fmt.Errorf("close libp2p host: %w", err)
	}
	return nil
}

func (h *Host) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}
