package libp2p

import (
	"context"
	"errors"
	"fmt"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/p2ptest"
)

// TestStarGossip: three hosts dial only host 0 (a star); every host still
// gets every other host's gossip, because host 0 relays through the
// gossipsub mesh.
func TestStarGossip(t *testing.T) {
	hosts := cluster(t, 4, false, nil)
	WaitStar(t, hosts)
	topics, cols := make([]p2p.Topic, len(hosts)), make([]*p2ptest.Collector, len(hosts))
	for i, h := range hosts {
		tp, err := h.Join(p2p.TxTopic(1337), p2p.MaxTxSize, nil)
		if err != nil {
			t.Fatal(err)
		}
		sub, err := tp.Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		topics[i], cols[i] = tp, p2ptest.Collect(t, sub)
	}
	for i, h := range hosts[1:] {
		if n := len(h.Peers()); n != 1 {
			t.Fatalf("leaf %d has %d peers, want only the hub", i+1, n)
		}
	}
	round := 0
	p2ptest.WaitFor(t, "every host to get gossip from every other host", func() bool {
		round++
		for i, tp := range topics {
			if err := tp.Publish(context.Background(), fmt.Appendf(nil, "%d from %d", round, i)); err != nil {
				t.Fatalf("publish: %v", err)
			}
		}
		for i, c := range cols {
			for j := range hosts {
				from := fmt.Sprintf(" from %d", j)
				if i != j && !c.Any(func(m p2p.Message) bool { return strings.HasSuffix(string(m.Data), from) }) {
					return false
				}
			}
		}
		return true
	})
}

// WaitStar waits until host 0 is connected to all others.
func WaitStar(t *testing.T, hosts []*Host) {
	t.Helper()
	p2ptest.WaitFor(t, "the star to connect", func() bool {
		return len(hosts[0].Peers()) == len(hosts)-1
	})
}

// TestPersistentKey: the key file is created with mode 0600 and a reopened
// host has the same peer id, which NodeID also reports.
func TestPersistentKey(t *testing.T) {
	cfg := testConfig(t, t.TempDir(), 0)
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := h.ID()
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); !errors.Is(err, p2p.ErrClosed) {
		t.Errorf("second close: got %v, want ErrClosed", err)
	}
	st, err := os.Stat(cfg.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", st.Mode().Perm())
	}
	again := startHost(t, cfg)
	if again.ID() != first {
		t.Errorf("reopened host id %s, want %s", again.ID(), first)
	}
	id, err := NodeID(cfg.KeyFile)
	if err != nil || id != first {
		t.Errorf("NodeID = %s, %v; want %s", id, err, first)
	}
	bad := cfg
	bad.KeyFile = filepath.Join(t.TempDir(), "bad.key")
	if err := os.WriteFile(bad.KeyFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(bad); err == nil {
		t.Error("a corrupt key file was accepted")
	}
}

// TestLoopbackOnly: the host listens only on loopback, refuses a
// non-loopback listen address, and its gater refuses to dial one.
func TestLoopbackOnly(t *testing.T) {
	hosts := cluster(t, 2, true, nil)
	p2ptest.WaitMesh(t, networks(hosts))
	for _, h := range hosts {
		for _, a := range h.h.Addrs() {
			if !manet.IsIPLoopback(a) {
				t.Errorf("listening on non-loopback %s", a)
			}
		}
		for _, p := range h.Peers() {
			m, err := ma.NewMultiaddr(p.Addr)
			if err != nil || !manet.IsIPLoopback(m) {
				t.Errorf("connected over non-loopback %q (%v)", p.Addr, err)
			}
		}
	}
	cfg := testConfig(t, t.TempDir(), 9)
	cfg.ListenAddrs = []string{"/ip4/0.0.0.0/tcp/0"}
	if _, err := New(cfg); !errors.Is(err, ErrBadConfig) {
		t.Errorf("non-loopback listen address: got %v, want ErrBadConfig", err)
	}
	// A peer we are not connected to, at a TEST-NET-1 address (RFC 5737):
	// never routable, and the gater must refuse before any packet is sent.
	other, err := NodeID(filepath.Join(t.TempDir(), "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	remote, err := peer.Decode(string(other))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := ma.NewMultiaddr("/ip4/192.0.2.1/tcp/4001")
	if err != nil {
		t.Fatal(err)
	}
	if hosts[0].gater.InterceptAddrDial(remote, addr) {
		t.Error("gater allows dialing a non-loopback address")
	}
	err = hosts[0].dial(context.Background(), peer.AddrInfo{ID: remote, Addrs: []ma.Multiaddr{addr}})
	if err == nil || !strings.Contains(err.Error(), "gater") {
		t.Errorf("dial of a non-loopback address: got %v, want a gater refusal", err)
	}
}

// TestBootnodeRedial: when a bootnode restarts (same key, same port), the
// host that lists it reconnects on its own.
func TestBootnodeRedial(t *testing.T) {
	dir := t.TempDir()
	cfg0 := testConfig(t, dir, 0)
	h0, err := New(cfg0)
	if err != nil {
		t.Fatal(err)
	}
	addrs := h0.Multiaddrs()
	cfg1 := testConfig(t, dir, 1)
	cfg1.Bootnodes = addrs
	h1 := startHost(t, cfg1)
	p2ptest.WaitFor(t, "host 1 to dial its bootnode", func() bool { return p2ptest.HasPeer(h1, h0.ID()) })
	if err := h0.Close(); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, "host 1 to notice", func() bool { return !p2ptest.HasPeer(h1, h0.ID()) })
	listen, _, _ := strings.Cut(addrs[0], "/p2p/")
	cfg0.ListenAddrs = []string{listen}
	h0 = startHost(t, cfg0)
	p2ptest.WaitFor(t, "host 1 to redial the restarted bootnode", func() bool { return p2ptest.HasPeer(h1, h0.ID()) })
}

// TestBadConfig: configuration errors are reported, not panicked on.
func TestBadConfig(t *testing.T) {
	dir := t.TempDir()
	for name, mod := range map[string]func(*Config){
		"no key file":   func(c *Config) { c.KeyFile = "" },
		"bad bootnode":  func(c *Config) { c.Bootnodes = []string{"/ip4/127.0.0.1/tcp/1"} },
		"bad listen":    func(c *Config) { c.ListenAddrs = []string{"not an address"} },
		"redial bounds": func(c *Config) { c.RedialMin, c.RedialMax = 2, 1 },
	} {
		cfg := testConfig(t, dir, 0)
		mod(&cfg)
		if _, err := New(cfg); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: got %v, want ErrBadConfig", name, err)
		}
	}
	h := startHost(t, testConfig(t, dir, 1))
	if _, err := h.Join("big", h.cfg.MaxMessageSize+1, nil); !errors.Is(err, ErrBadConfig) {
		t.Errorf("topic over MaxMessageSize: got %v, want ErrBadConfig", err)
	}
	if _, err := h.Join("x", 10, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Join("x", 10, nil); !errors.Is(err, p2p.ErrAlreadyJoined) {
		t.Errorf("second join: got %v, want ErrAlreadyJoined", err)
	}
	if err := h.Block("not a peer id"); err == nil {
		t.Error("blocking an invalid peer id succeeded")
	}
}

// TestSecp256k1NodeKey checks that a host given a secp256k1 key (as the
// validator keeps it in a keystore) has the peer id PeerIDOf predicts.
func TestSecp256k1NodeKey(t *testing.T) {
	k, err := gethcrypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, t.TempDir(), 0)
	cfg.KeyFile, cfg.PrivateKey = "", k
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	want, err := PeerIDOf(k)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID() != want {
		t.Fatalf("host id %s, PeerIDOf says %s", h.ID(), want)
	}
}
