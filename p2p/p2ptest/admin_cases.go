package p2ptest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/bilayer/bilayer/p2p"
)

// testHandshakeDropsOtherChain: hosts with the same chain id and genesis
// keep each other and learn each other's head; the host with another
// genesis hash is dropped by everyone and stays blocked.
func testHandshakeDropsOtherChain(t *testing.T, f Factory) {
	hosts := cluster(t, f, Options{})
	good := p2p.Status{ChainID: 1337, GenesisHash: [32]byte{1}}
	odd := len(hosts) - 1
	hs := make([]*p2p.Handshake, len(hosts))
	for i, h := range hosts {
		st := good
		st.Head = uint64(100 + i)
		st.HeadHash = [32]byte{byte(i)}
		if i == odd {
			st.GenesisHash = [32]byte{2}
		}
		var err error
		hs[i], err = p2p.NewHandshake(h, func() p2p.Status { return st }, 0, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("handshake %d: %v", i, err)
		}
		t.Cleanup(hs[i].Close)
	}
	WaitFor(t, "compatible hosts to know each other's status", func() bool {
		for i := range odd {
			for j := range odd {
				if i == j {
					continue
				}
				st, ok := hs[i].Status(hosts[j].ID())
				if !ok || st.Head != uint64(100+j) || st.HeadHash != [32]byte{byte(j)} {
					return false
				}
			}
		}
		return true
	})
	WaitFor(t, "the host with another genesis to be dropped", func() bool {
		if len(hosts[odd].Peers()) != 0 {
			return false
		}
		for _, h := range hosts[:odd] {
			if HasPeer(h, hosts[odd].ID()) {
				return false
			}
		}
		return true
	})
	for i, h := range hosts[:odd] {
		if len(h.Peers()) != odd-1 {
			t.Errorf("host %d has %d peers, want %d", i, len(h.Peers()), odd-1)
		}
		if _, ok := hs[i].Status(hosts[odd].ID()); ok {
			t.Errorf("host %d kept the status of the other chain's host", i)
		}
		if _, err := hs[i].Refresh(context.Background(), hosts[odd].ID()); !errors.Is(err, p2p.ErrNotConnected) {
			t.Errorf("host %d refresh of the dropped host: got %v, want ErrNotConnected", i, err)
		}
	}
	if n := len(hs[odd].Statuses()); n != 0 {
		t.Errorf("the other chain's host kept %d statuses", n)
	}
}

// testBlockIsolatesUnblockReconnects: a host that blocks every peer is
// isolated (no connections, requests fail) and reconnects to all of them
// after unblocking, with gossip flowing again.
func testBlockIsolatesUnblockReconnects(t *testing.T, f Factory) {
	hosts := cluster(t, f, Options{})
	topics, cols := joinAll(t, hosts, testTopic, fixedLimit(1<<10), acceptAll)
	lone := hosts[0]
	for _, h := range hosts[1:] {
		if err := lone.Block(h.ID()); err != nil {
			t.Fatalf("block: %v", err)
		}
	}
	WaitFor(t, "host 0 to be isolated", func() bool {
		if len(lone.Peers()) != 0 {
			return false
		}
		for _, h := range hosts[1:] {
			if HasPeer(h, lone.ID()) {
				return false
			}
		}
		return true
	})
	ping := p2p.Protocol{Name: "/bilayer/0/test-ping/1", MaxRequest: 16, MaxResponse: 16}
	mustHandle(t, lone, ping, func(context.Context, p2p.PeerID, []byte) ([]byte, error) { return []byte("pong"), nil })
	if _, err := hosts[1].Request(context.Background(), lone.ID(), ping, nil); !errors.Is(err, p2p.ErrNotConnected) {
		t.Errorf("request to an isolated host: got %v, want ErrNotConnected", err)
	}
	for _, h := range hosts[1:] {
		if err := lone.Unblock(h.ID()); err != nil {
			t.Fatalf("unblock: %v", err)
		}
	}
	WaitMesh(t, hosts)
	if _, err := hosts[1].Request(context.Background(), lone.ID(), ping, nil); err != nil {
		t.Errorf("request after unblock: %v", err)
	}
	WaitTopicPeers(t, topics[0], len(hosts)-1)
	n := 0
	WaitFor(t, "gossip from host 0 to reach everyone again", func() bool {
		n++
		if err := topics[0].Publish(context.Background(), fmt.Appendf(nil, "back %d", n)); err != nil {
			t.Fatalf("publish: %v", err)
		}
		for _, c := range cols[1:] {
			if c.Len() == 0 {
				return false
			}
		}
		return true
	})
}
