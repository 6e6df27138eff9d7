package memnet_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/p2p/p2ptest"
)

// factory builds a full mesh on a lossless network with small seeded
// delays and duplication, so the suite also exercises reordering and the
// seen-cache.
func factory(t *testing.T, n int, opts p2ptest.Options) []p2p.Network {
	net, err := memnet.New(memnet.Config{
		Seed:            uint64(len(t.Name())),
		MaxDelay:        2 * time.Millisecond,
		DupRate:         0.2,
		RejectThreshold: opts.RejectThreshold,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = net.Close() })
	hosts := make([]p2p.Network, n)
	for i := range hosts {
		h, err := net.NewHost(p2p.PeerID(fmt.Sprintf("node%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		hosts[i] = h
	}
	net.ConnectAll()
	return hosts
}

func TestConformance(t *testing.T) { p2ptest.Run(t, factory) }
