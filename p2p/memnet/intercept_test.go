package memnet_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/memnet"
)

// TestInterceptSeesAndWithholdsHops: the interceptor sees every hop of a
// publish and of its relays, and a hop it refuses never arrives; SetLoss
// turns a lossy network reliable.
func TestInterceptSeesAndWithholdsHops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var (
			mu   sync.Mutex
			hops []string
		)
		cfg := memnet.Config{Seed: 1, MinDelay: time.Millisecond, MaxDelay: 2 * time.Millisecond, DropRate: 1,
			Intercept: func(from, to p2p.PeerID, topic string, data []byte) bool {
				mu.Lock()
				defer mu.Unlock()
				hops = append(hops, string(from)+">"+string(to)+":"+string(data))
				return !(to == "c" && string(data) == "secret")
			}}
		n, hosts := newNet(t, cfg, "a", "b", "c")
		n.ConnectAll()
		subs := map[p2p.PeerID]p2p.Subscription{}
		topics := map[p2p.PeerID]p2p.Topic{}
		for _, h := range hosts {
			tp, err := h.Join("t", 100, nil)
			if err != nil {
				t.Fatal(err)
			}
			topics[h.ID()] = tp
			if subs[h.ID()], err = tp.Subscribe(); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		hopsAtLeast := func(n int) waitfor.Condition {
			return func() error {
				mu.Lock()
				defer mu.Unlock()
				if len(hops) < n {
					return fmt.Errorf("hops %v, want %d", hops, n)
				}
				return nil
			}
		}
		// Everything is dropped at first: the interceptor still sees it.
		if err := topics["a"].Publish(context.Background(), []byte("lost")); err != nil {
			t.Fatal(err)
		}
		waitfor.Until(t, time.Second, hopsAtLeast(2)) // virtual time
		synctest.Wait()
		mu.Lock()
		if len(hops) != 2 {
			t.Fatalf("hops %v, want a>b and a>c", hops)
		}
		hops = nil
		mu.Unlock()
		if err := n.SetLoss(0, 0); err != nil {
			t.Fatal(err)
		}
		if err := n.SetLoss(2, 0); err == nil {
			t.Fatal("SetLoss accepted a drop rate of 2")
		}
		if err := topics["a"].Publish(context.Background(), []byte("secret")); err != nil {
			t.Fatal(err)
		}
		m, err := subs["b"].Next(context.Background())
		if err != nil || string(m.Data) != "secret" {
			t.Fatalf("b got %q, %v", m.Data, err)
		}
		waitfor.Until(t, time.Second, hopsAtLeast(3)) // a>b, a>c, and b's relay to c
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if m, err := subs["c"].Next(ctx); err == nil {
			t.Fatalf("c got the withheld message %q (directly or relayed by b)", m.Data)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(hops) != 3 { // a>b, a>c (withheld), b>c relay (withheld)
			t.Fatalf("hops %v, want 3", hops)
		}
	})
}
