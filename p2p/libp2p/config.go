package libp2p

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bilayer/bilayer/p2p"
)

// Config configures a Host.
type Config struct {
	// KeyFile is the path of the node key; it is created (mode 0600) on
	// first use. Required unless PrivateKey is set.
	KeyFile string
	// PrivateKey, if set, is the node key (secp256k1, as the validator
	// binary keeps it in a Web3 Secret Storage keystore); KeyFile is then
	// not used.
	PrivateKey *ecdsa.PrivateKey
	// ListenAddrs are multiaddrs to listen on
	// (default "/ip4/127.0.0.1/tcp/0").
	ListenAddrs []string
	// Bootnodes are the peers to keep connected, as multiaddrs ending in
	// /p2p/<peer id>.
	Bootnodes []string
	// LoopbackOnly refuses to listen on, dial or accept anything but
	// loopback addresses (tests and single-machine devnets).
	LoopbackOnly bool
	// MaxMessageSize is the largest gossip message of any topic this host
	// will join (default p2p.ConsensusTopicMaxSize(p2p.DevnetMaxBlockSize)).
	MaxMessageSize int
	// RejectThreshold is the number of rejected messages that bans a peer
	// (p2p.DefaultRejectThreshold if zero).
	RejectThreshold int
	// Heartbeat is the gossipsub heartbeat (default 500ms, half of
	// gossipsub's 1s: a devnet has a handful of peers, so the extra
	// control traffic is negligible and meshes form and repair twice as
	// fast, which matters for consensus messages).
	Heartbeat time.Duration
	// RedialMin and RedialMax bound the backoff between bootnode dials
	// (defaults 250ms and 30s).
	RedialMin, RedialMax time.Duration
	// RequestTimeout bounds how long a server spends on one request
	// (default 30s).
	RequestTimeout time.Duration
	// MaxPeers is the connection manager's high-water mark (default 64).
	MaxPeers int
	// SubscriptionBuffer is how many messages a subscription holds before
	// dropping (default 1024).
	SubscriptionBuffer int
	// NewPeerBurst is how many never-seen peer identities one IP address
	// may connect at once (default DefaultNewPeerBurst); afterwards it gets
	// one per NewPeerInterval (default DefaultNewPeerInterval), and a ban
	// of a peer from that address spends whatever is left. This makes a
	// fresh peer id, the way around a ban, cost time.
	NewPeerBurst    int
	NewPeerInterval time.Duration
	// Logger receives the host's logs (default: discard).
	Logger *slog.Logger
}

// ErrBadConfig is returned by New for an invalid configuration.
var ErrBadConfig = errors.New("libp2p: invalid config")

// withDefaults returns c with zero fields defaulted, or an error.
func (c Config) withDefaults() (Config, error) {
	if c.KeyFile == "" && c.PrivateKey == nil {
		return c, fmt.Errorf("%w: no key file", ErrBadConfig)
	}
	if len(c.ListenAddrs) == 0 {
		c.ListenAddrs = []string{"/ip4/127.0.0.1/tcp/0"}
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = p2p.ConsensusTopicMaxSize(p2p.DevnetMaxBlockSize)
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = 500 * time.Millisecond
	}
	if c.RedialMin <= 0 {
		c.RedialMin = 250 * time.Millisecond
	}
	if c.RedialMax <= 0 {
		c.RedialMax = 30 * time.Second
	}
	if c.RedialMax < c.RedialMin {
		return c, fmt.Errorf("%w: redial max %v below min %v", ErrBadConfig, c.RedialMax, c.RedialMin)
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = 64
	}
	if c.SubscriptionBuffer <= 0 {
		c.SubscriptionBuffer = 1024
	}
	if c.NewPeerBurst <= 0 {
		c.NewPeerBurst = DefaultNewPeerBurst
	}
	if c.NewPeerInterval <= 0 {
		c.NewPeerInterval = DefaultNewPeerInterval
	}

	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
