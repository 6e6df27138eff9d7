package libp2p

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/p2ptest"
)

// testConfig is a loopback-only host with fast heartbeats and redials.
func testConfig(t testing.TB, dir string, i int) Config {
	return Config{
		KeyFile:        filepath.Join(dir, fmt.Sprintf("node%d.key", i)),
		LoopbackOnly:   true,
		MaxMessageSize: 1 << 20,
		Heartbeat:      100 * time.Millisecond,
		RedialMin:      50 * time.Millisecond,
		RedialMax:      500 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
	}
}

// startHost starts a host and closes it at cleanup.
func startHost(t testing.TB, cfg Config) *Host {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatalf("start host: %v", err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// cluster starts n hosts where host i has hosts 0..i-1 as bootnodes if
// mesh, or only host 0 if not (a star).
func cluster(t testing.TB, n int, mesh bool, mod func(*Config)) []*Host {
	t.Helper()
	dir := t.TempDir()
	hosts := make([]*Host, n)
	for i := range hosts {
		cfg := testConfig(t, dir, i)
		for j := range i {
			if mesh || j == 0 {
				cfg.Bootnodes = append(cfg.Bootnodes, hosts[j].Multiaddrs()...)
			}
		}
		if mod != nil {
			mod(&cfg)
		}
		hosts[i] = startHost(t, cfg)
	}
	return hosts
}

func networks(hs []*Host) []p2p.Network {
	out := make([]p2p.Network, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func factory(t *testing.T, n int, opts p2ptest.Options) []p2p.Network {
	return networks(cluster(t, n, true, func(c *Config) { c.RejectThreshold = opts.RejectThreshold }))
}
