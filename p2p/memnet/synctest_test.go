package memnet_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/memnet"
)

// TestVirtualTimeInSynctestBubble: built inside a synctest bubble, memnet's
// delays run on the bubble's fake clock, so node tests get virtual time
// and no real waiting: a 3-hop relay with 200-300ms per hop completes in
// 600-900ms of virtual time, and synctest.Wait proves every goroutine
// settled.
func TestVirtualTimeInSynctestBubble(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, err := memnet.New(memnet.Config{Seed: 3, MinDelay: 200 * time.Millisecond, MaxDelay: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		ids := []p2p.PeerID{"a", "b", "c", "d"}
		topics := map[p2p.PeerID]p2p.Topic{}
		for _, id := range ids {
			h, err := n.NewHost(id)
			if err != nil {
				t.Fatal(err)
			}
			if topics[id], err = h.Join("t", 100, nil); err != nil {
				t.Fatal(err)
			}
		}
		for i := range len(ids) - 1 { // a line: a-b-c-d
			if err := n.Connect(ids[i], ids[i+1]); err != nil {
				t.Fatal(err)
			}
		}
		sub, err := topics["d"].Subscribe()
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		start := time.Now()
		if err := topics["a"].Publish(context.Background(), []byte("x")); err != nil {
			t.Fatal(err)
		}
		m, err := sub.Next(context.Background())
		if err != nil || string(m.Data) != "x" || m.From != "c" {
			t.Fatalf("got %+v, %v; want x from c", m, err)
		}
		if d := time.Since(start); d < 600*time.Millisecond || d > 900*time.Millisecond {
			t.Errorf("three hops took %v of virtual time, want 600-900ms", d)
		}
	})
}
