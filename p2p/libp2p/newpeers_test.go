package libp2p

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/bilayer/bilayer/internal/waitfor"
)

// fakeClock is a settable clock for the limiter.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestNewPeerLimiterBoundsIdentityChurn: an address gets burst new
// identities, then one per interval; known identities pass freely; a ban
// spends the address's allowance; other addresses are not affected.
func TestNewPeerLimiterBoundsIdentityChurn(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	l := newNewPeerLimiter(3, time.Second, clock.now)
	id := func(i int) peer.ID { return peer.ID(rune('a' + i)) }
	for i := range 3 {
		if !l.admit(id(i), "10.0.0.1") {
			t.Fatalf("identity %d of the burst refused", i)
		}
	}
	if l.admit(id(3), "10.0.0.1") {
		t.Fatal("a fourth new identity admitted within the burst's instant")
	}
	if !l.admit(id(0), "10.0.0.1") {
		t.Fatal("a known identity refused")
	}
	if !l.admit(id(10), "10.0.0.2") {
		t.Fatal("another address was throttled by the first one's identities")
	}
	clock.t = clock.t.Add(999 * time.Millisecond)
	if l.admit(id(3), "10.0.0.1") {
		t.Fatal("a new identity admitted before the interval passed")
	}
	clock.t = clock.t.Add(time.Millisecond)
	if !l.admit(id(3), "10.0.0.1") {
		t.Fatal("a new identity refused after the interval")
	}
	// A minute later the bucket is full again, and a ban empties it.
	clock.t = clock.t.Add(time.Minute)
	l.banned(id(3))
	if l.admit(id(4), "10.0.0.1") {
		t.Fatal("a new identity admitted right after a ban at its address")
	}
	if l.admit(id(3), "10.0.0.1") {
		t.Fatal("the banned identity is still known")
	}
	clock.t = clock.t.Add(time.Second)
	if !l.admit(id(4), "10.0.0.1") {
		t.Fatal("a new identity refused an interval after the ban")
	}
	// Admitting one new identity a second for an hour is the most an
	// address gets: 3 + 3600.
	admitted := 0
	for i := range 7200 {
		clock.t = clock.t.Add(500 * time.Millisecond)
		if l.admit(peer.ID("churn-"+string(rune(i))), "10.0.0.3") {
			admitted++
		}
	}
	if admitted > 3+3600 {
		t.Fatalf("%d identities admitted in an hour, want at most %d", admitted, 3+3600)
	}
	l.trust(id(20))
	if !l.admit(id(20), "10.0.0.1") {
		t.Fatal("a peer we dialled is throttled")
	}
}

// TestHostRefusesIdentityChurn runs the limit on real hosts on loopback:
// with a burst of 2, two fresh identities connect, a third is refused,
// a known one reconnects, and a peer the host dials itself is never
// throttled.
func TestHostRefusesIdentityChurn(t *testing.T) {
	dir := t.TempDir()
	cfgA := testConfig(t, dir, 0)
	cfgA.NewPeerBurst, cfgA.NewPeerInterval = 2, time.Hour
	a := startHost(t, cfgA)
	target := peer.AddrInfo{ID: a.h.ID(), Addrs: a.h.Addrs()}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var others []*Host
	for i := 1; i <= 4; i++ {
		others = append(others, startHost(t, testConfig(t, dir, i)))
	}
	connected := func(h *Host) bool { return a.h.Network().Connectedness(h.h.ID()) == network.Connected }
	seen := func(h *Host, want bool) waitfor.Condition {
		return func() error {
			if connected(h) != want {
				return fmt.Errorf("peer %s connected %v, want %v", h.h.ID(), !want, want)
			}
			return nil
		}
	}
	for _, h := range others[:2] {
		if err := h.h.Connect(ctx, target); err != nil {
			t.Fatalf("a new identity within the burst: %v", err)
		}
		waitfor.Until(t, 10*time.Second, seen(h, true))
	}
	err := others[2].h.Connect(ctx, target)
	if err == nil && connected(others[2]) {
		t.Fatal("a third new identity connected past a burst of 2")
	}
	// A known identity reconnects.
	if err := a.h.Network().ClosePeer(others[0].h.ID()); err != nil {
		t.Fatal(err)
	}
	waitfor.Until(t, 10*time.Second, seen(others[0], false))
	// The dialer learns of the close a moment later; until then Connect
	// would return at once on the dying connection.
	waitfor.Until(t, 10*time.Second, func() error {
		if others[0].h.Network().Connectedness(a.h.ID()) == network.Connected {
			return fmt.Errorf("%s still sees the closed connection", others[0].h.ID())
		}
		return nil
	})
	waitfor.Until(t, 10*time.Second, func() error {
		if connected(others[0]) {
			return nil
		}
		if err := others[0].h.Connect(ctx, target); err != nil {
			return fmt.Errorf("a known identity refused on reconnect: %w", err)
		}
		return fmt.Errorf("%s has not reconnected yet", others[0].h.ID())
	})
	// The host dials the fourth itself: that identity is trusted.
	if err := a.h.Connect(ctx, peer.AddrInfo{ID: others[3].h.ID(), Addrs: others[3].h.Addrs()}); err != nil {
		t.Fatalf("dialling a peer ourselves: %v", err)
	}
	waitfor.Until(t, 10*time.Second, seen(others[3], true))
}
