package memnet_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/p2p/p2ptest"
)

func newNet(t *testing.T, cfg memnet.Config, ids ...p2p.PeerID) (*memnet.Network, []*memnet.Host) {
	t.Helper()
	n, err := memnet.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	hosts := make([]*memnet.Host, len(ids))
	for i, id := range ids {
		if hosts[i], err = n.NewHost(id); err != nil {
			t.Fatal(err)
		}
	}
	return n, hosts
}

func nets(hs []*memnet.Host) []p2p.Network {
	out := make([]p2p.Network, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

// eventLog records peer events of one host.
type eventLog struct{ ch chan p2p.PeerEvent }

func watch(h *memnet.Host) *eventLog {
	l := &eventLog{ch: make(chan p2p.PeerEvent, 64)}
	h.Notify(func(ev p2p.PeerEvent) { l.ch <- ev })
	return l
}

func (l *eventLog) expect(t *testing.T, want p2p.PeerEvent) {
	t.Helper()
	select {
	case got := <-l.ch:
		if got != want {
			t.Fatalf("event %+v, want %+v", got, want)
		}
	case <-time.After(p2ptest.Timeout):
		t.Fatalf("no event, want %+v", want)
	}
}

// TestPartitionAndHeal: a partition takes the links between groups down
// (with disconnect events) so gossip stays inside each group; Heal brings
// them back and gossip crosses again.
func TestPartitionAndHeal(t *testing.T) {
	n, hosts := newNet(t, memnet.Config{}, "a", "b", "c", "d")
	ev := watch(hosts[0])
	n.ConnectAll()
	for _, p := range []p2p.PeerID{"b", "c", "d"} {
		ev.expect(t, p2p.PeerEvent{Peer: p, Connected: true})
	}
	n.Partition([]p2p.PeerID{"a", "b"}, []p2p.PeerID{"c"}) // d is left out: its own group
	for _, p := range []p2p.PeerID{"c", "d"} {
		ev.expect(t, p2p.PeerEvent{Peer: p, Connected: false})
	}
	if got := hosts[0].Peers(); len(got) != 1 || got[0].ID != "b" {
		t.Fatalf("peers of a during partition: %+v", got)
	}
	topics := make([]p2p.Topic, len(hosts))
	cols := make([]*p2ptest.Collector, len(hosts))
	for i, h := range hosts {
		tp, err := h.Join("t", 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		sub, _ := tp.Subscribe()
		topics[i], cols[i] = tp, p2ptest.Collect(t, sub)
	}
	if _, err := hosts[2].Request(context.Background(), "a", p2p.StatusProtocol(1), nil); !errors.Is(err, p2p.ErrNotConnected) {
		t.Errorf("request across the partition: got %v, want ErrNotConnected", err)
	}
	if err := topics[0].Publish(context.Background(), []byte("inside")); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, "b to get a's message", func() bool { return cols[1].Has([]byte("inside")) })
	// a's only link is to b, and b relays only over its up links: c and d
	// got nothing (delivery is synchronous with zero delay).
	if cols[2].Len()+cols[3].Len() != 0 {
		t.Error("gossip crossed the partition")
	}
	n.Heal()
	for _, p := range []p2p.PeerID{"c", "d"} {
		ev.expect(t, p2p.PeerEvent{Peer: p, Connected: true})
	}
	if err := topics[0].Publish(context.Background(), []byte("healed")); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, "everyone to get the message after heal", func() bool {
		return cols[1].Has([]byte("healed")) && cols[2].Has([]byte("healed")) && cols[3].Has([]byte("healed"))
	})
}

// received publishes count messages from a to b over a lossy, duplicating
// link and returns what b delivered, in order. With zero delay the draws
// are consumed in publish order, so the result is a function of the seed.
func received(t *testing.T, seed uint64, drop, dup float64, count int) []string {
	n, hosts := newNet(t, memnet.Config{Seed: seed, DropRate: drop, DupRate: dup}, "a", "b")
	n.ConnectAll()
	p2ptest.WaitMesh(t, nets(hosts))
	ta, _ := hosts[0].Join("t", 100, nil)
	tb, _ := hosts[1].Join("t", 100, nil)
	sub, _ := tb.Subscribe()
	for i := range count {
		if err := ta.Publish(context.Background(), fmt.Appendf(nil, "m%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Barrier: b handles its inbox in order, so once it sees a new host
	// connect, every message queued before has been delivered.
	seen := make(chan struct{})
	stop := hosts[1].Notify(func(ev p2p.PeerEvent) {
		if ev.Peer == "barrier" {
			close(seen)
		}
	})
	defer stop()
	if _, err := n.NewHost("barrier"); err != nil {
		t.Fatal(err)
	}
	if err := n.Connect("barrier", "b"); err != nil {
		t.Fatal(err)
	}
	<-seen
	var out []string
	for {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // only what is already buffered
		m, err := sub.Next(ctx)
		if err != nil {
			return out
		}
		out = append(out, string(m.Data))
	}
}

// TestSeededDropAndDuplication: the same seed loses the same messages, a
// different seed other ones, the loss rate is near DropRate, and
// duplicated hops are delivered once.
func TestSeededDropAndDuplication(t *testing.T) {
	const count = 400
	first := received(t, 7, 0.25, 0.5, count)
	again := received(t, 7, 0.25, 0.5, count)
	other := received(t, 8, 0.25, 0.5, count)
	if !slices.Equal(first, again) {
		t.Error("the same seed delivered different messages")
	}
	if slices.Equal(first, other) {
		t.Error("different seeds delivered the same messages")
	}
	if lost := count - len(first); lost < count/8 || lost > count*3/8 {
		t.Errorf("lost %d of %d with DropRate 0.25", lost, count)
	}
	all := received(t, 7, 0, 1, count)
	if len(all) != count {
		t.Errorf("with every hop duplicated, delivered %d messages, want %d exactly once", len(all), count)
	}
	for i, m := range all {
		if m != fmt.Sprintf("m%d", i) {
			t.Fatalf("message %d is %q: lost order without delay", i, m)
		}
	}
}

// TestCloseLeavesNothingRunning: closing a network with deliveries in
// flight, subscriptions waiting and a request being served stops every
// goroutine it started.
func TestCloseLeavesNothingRunning(t *testing.T) {
	base := runtime.NumGoroutine()
	n, err := memnet.New(memnet.Config{Seed: 1, MinDelay: 50 * time.Millisecond, MaxDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []*memnet.Host
	for i := range 4 {
		h, err := n.NewHost(p2p.PeerID(fmt.Sprint("h", i)))
		if err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, h)
	}
	n.ConnectAll()
	p2ptest.WaitMesh(t, nets(hosts))
	slow := p2p.Protocol{Name: "slow", MaxRequest: 10, MaxResponse: 10}
	if err := hosts[1].Handle(slow, func(ctx context.Context, _ p2p.PeerID, _ []byte) ([]byte, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}); err != nil {
		t.Fatal(err)
	}
	reqDone := make(chan error, 1)
	go func() {
		_, err := hosts[0].Request(context.Background(), "h1", slow, nil)
		reqDone <- err
	}()
	subDone := make(chan error, 1)
	for _, h := range hosts {
		tp, _ := h.Join("t", 100, nil)
		if h == hosts[3] {
			sub, _ := tp.Subscribe()
			go func() {
				_, err := sub.Next(context.Background())
				subDone <- err
			}()
		}
		_ = tp.Publish(context.Background(), []byte("in flight "+string(h.ID())))
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-subDone; !errors.Is(err, p2p.ErrClosed) {
		t.Errorf("pending Next after close: got %v, want ErrClosed", err)
	}
	if err := <-reqDone; err == nil {
		t.Error("a request in progress succeeded across Close")
	}
	if err := n.Close(); !errors.Is(err, p2p.ErrClosed) {
		t.Errorf("second close: got %v, want ErrClosed", err)
	}
	if _, err := hosts[0].Join("u", 1, nil); !errors.Is(err, p2p.ErrClosed) {
		t.Errorf("join after close: got %v, want ErrClosed", err)
	}
	p2ptest.WaitFor(t, "goroutines to return to the baseline", func() bool { return runtime.NumGoroutine() <= base })
}

// TestRestartKeepsLinks: a host closed and created again under the same
// id reconnects over its configured links.
func TestRestartKeepsLinks(t *testing.T) {
	n, hosts := newNet(t, memnet.Config{}, "a", "b")
	if err := n.Connect("a", "b"); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitMesh(t, nets(hosts))
	if got := hosts[0].Peers(); len(got) != 1 || !got[0].Outbound || hosts[1].Peers()[0].Outbound {
		t.Errorf("dial direction not reported: a %+v, b %+v", got, hosts[1].Peers())
	}
	if err := hosts[1].Close(); err != nil {
		t.Fatal(err)
	}
	if len(hosts[0].Peers()) != 0 {
		t.Fatal("a still lists the closed host")
	}
	b, err := n.NewHost("b")
	if err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitMesh(t, []p2p.Network{hosts[0], b})
	if _, err := n.NewHost("b"); !errors.Is(err, memnet.ErrHostExists) {
		t.Errorf("duplicate host: got %v, want ErrHostExists", err)
	}
	if err := n.Connect("a", "zz"); !errors.Is(err, memnet.ErrUnknownHost) {
		t.Errorf("connect to unknown host: got %v, want ErrUnknownHost", err)
	}
}

// TestBadConfig: invalid rates and delays are refused.
func TestBadConfig(t *testing.T) {
	for _, cfg := range []memnet.Config{
		{DropRate: 1.5},
		{DupRate: -0.1},
		{MinDelay: time.Second, MaxDelay: time.Millisecond},
	} {
		if _, err := memnet.New(cfg); !errors.Is(err, memnet.ErrBadConfig) {
			t.Errorf("%+v: got %v, want ErrBadConfig", cfg, err)
		}
	}
}
