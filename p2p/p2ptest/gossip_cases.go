package p2ptest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/bilayer/bilayer/p2p"
)

const testTopic = "/bilayer/0/test/1"

// testGossipReachesEveryPeer: in a 4-host full mesh, a message published by
// any host reaches every other host, once per subscription, and not the
// publisher itself.
func testGossipReachesEveryPeer(t *testing.T, f Factory) {
	hosts := cluster(t, f, Options{})
	topics, cols := joinAll(t, hosts, testTopic, fixedLimit(1<<16), acceptAll)
	for _, tp := range topics {
		WaitTopicPeers(t, tp, len(hosts)-1)
	}
	ctx := context.Background()
	for i, tp := range topics {
		if err := tp.Publish(ctx, fmt.Appendf(nil, "hello from %d", i)); err != nil {
			t.Fatalf("host %d publish: %v", i, err)
		}
	}
	WaitFor(t, "every host to get every other host's message", func() bool {
		for i, c := range cols {
			for j := range hosts {
				if i != j && !c.Has(fmt.Appendf(nil, "hello from %d", j)) {
					return false
				}
			}
		}
		return true
	})
	for i, c := range cols {
		if c.Has(fmt.Appendf(nil, "hello from %d", i)) {
			t.Errorf("host %d got its own message back", i)
		}
		if c.Len() != len(hosts)-1 {
			t.Errorf("host %d got %d messages, want %d (duplicates?)", i, c.Len(), len(hosts)-1)
		}
	}
}

// testOversizeRefusedAndRejected: the publisher refuses a message over its
// topic limit; a message crafted to pass the publisher (which joined with a
// larger limit) is rejected by every receiver, counted against the sender,
// and never delivered.
func testOversizeRefusedAndRejected(t *testing.T, f Factory) {
	const limit = 1024
	hosts := cluster(t, f, Options{RejectThreshold: 100})
	limits := func(i int) int {
		if i == 0 {
			return 2 * limit
		}
		return limit
	}
	topics, cols := joinAll(t, hosts, testTopic, limits, acceptAll)
	for _, tp := range topics {
		WaitTopicPeers(t, tp, len(hosts)-1)
	}
	ctx := context.Background()
	if err := topics[1].Publish(ctx, make([]byte, limit+1)); !errors.Is(err, p2p.ErrMessageTooLarge) {
		t.Fatalf("publish over the limit: got %v, want ErrMessageTooLarge", err)
	}
	big := bytes.Repeat([]byte{'x'}, limit+100)
	if err := topics[0].Publish(ctx, big); err != nil {
		t.Fatalf("publish within the sender's own limit: %v", err)
	}
	sender := hosts[0].ID()
	WaitFor(t, "every receiver to reject the oversize message", func() bool {
		for _, h := range hosts[1:] {
			if Rejects(h, sender) < 1 {
				return false
			}
		}
		return true
	})
	small := []byte("small")
	if err := topics[0].Publish(ctx, small); err != nil {
		t.Fatalf("publish: %v", err)
	}
	WaitFor(t, "the small message everywhere", func() bool {
		for _, c := range cols[1:] {
			if !c.Has(small) {
				return false
			}
		}
		return true
	})
	for i, c := range cols {
		if c.Any(func(m p2p.Message) bool { return len(m.Data) > limit }) {
			t.Errorf("host %d delivered an oversize message", i)
		}
	}
}

// validatorLog records which messages a validator saw.
type validatorLog struct {
	mu   sync.Mutex
	seen [][]byte
}

func (l *validatorLog) add(d []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, append([]byte(nil), d...))
}

func (l *validatorLog) any(prefix []byte) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, d := range l.seen {
		if bytes.HasPrefix(d, prefix) {
			return true
		}
	}
	return false
}

// testRejectIsNotRelayed: with host 0 connected only to host 1, a message
// host 1 rejects never reaches hosts 2 and 3, while a message host 1
// accepts is relayed to them.
func testRejectIsNotRelayed(t *testing.T, f Factory) {
	hosts := cluster(t, f, Options{RejectThreshold: 100})
	for _, other := range hosts[2:] {
		if err := hosts[0].Block(other.ID()); err != nil {
			t.Fatalf("block: %v", err)
		}
	}
	WaitFor(t, "host 0 to be connected to host 1 only", func() bool {
		return len(hosts[0].Peers()) == 1 && HasPeer(hosts[0], hosts[1].ID()) &&
			!HasPeer(hosts[2], hosts[0].ID()) && !HasPeer(hosts[3], hosts[0].ID())
	})
	bad := []byte("bad: rejected by host 1")
	logs := make([]*validatorLog, len(hosts))
	v := func(i int) p2p.Validator {
		logs[i] = &validatorLog{}
		return func(_ p2p.PeerID, d []byte) p2p.Verdict {
			logs[i].add(d)
			if i == 1 && bytes.HasPrefix(d, []byte("bad")) {
				return p2p.Reject
			}
			return p2p.Accept
		}
	}
	topics, cols := joinAll(t, hosts, testTopic, fixedLimit(1<<16), v)
	WaitTopicPeers(t, topics[0], 1)
	WaitTopicPeers(t, topics[1], 3)
	ctx := context.Background()
	if err := topics[0].Publish(ctx, bad); err != nil {
		t.Fatalf("publish: %v", err)
	}
	WaitFor(t, "host 1 to reject the bad message", func() bool { return Rejects(hosts[1], hosts[0].ID()) == 1 })
	// Relay through host 1 needs its gossip mesh, which a real gossipsub
	// forms on heartbeats: publish fresh good messages until one arrives.
	n := 0
	WaitFor(t, "a good message relayed by host 1 to hosts 2 and 3", func() bool {
		n++
		if err := topics[0].Publish(ctx, fmt.Appendf(nil, "good %d", n)); err != nil {
			t.Fatalf("publish: %v", err)
		}
		return cols[2].Any(isGood) && cols[3].Any(isGood)
	})
	for i := 2; i < 4; i++ {
		if logs[i].any([]byte("bad")) || cols[i].Has(bad) {
			t.Errorf("host %d saw the message host 1 rejected", i)
		}
	}
}

func isGood(m p2p.Message) bool { return bytes.HasPrefix(m.Data, []byte("good")) }

// testRepeatedRejectsBanSender: after RejectThreshold rejected messages the
// receiver disconnects and blocks the sender; hosts that merely Ignore the
// same messages keep it.
func testRepeatedRejectsBanSender(t *testing.T, f Factory) {
	const threshold = 3
	hosts := cluster(t, f, Options{RejectThreshold: threshold})
	v := func(i int) p2p.Validator {
		return func(_ p2p.PeerID, d []byte) p2p.Verdict {
			if !bytes.HasPrefix(d, []byte("bad")) {
				return p2p.Accept
			}
			if i == 1 {
				return p2p.Reject
			}
			return p2p.Ignore
		}
	}
	topics, _ := joinAll(t, hosts, testTopic, fixedLimit(1<<16), v)
	WaitTopicPeers(t, topics[0], len(hosts)-1)
	ctx := context.Background()
	for k := range threshold {
		if err := topics[0].Publish(ctx, fmt.Appendf(nil, "bad %d", k)); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	sender, judge := hosts[0].ID(), hosts[1].ID()
	WaitFor(t, "host 1 to ban host 0", func() bool {
		return !HasPeer(hosts[1], sender) && !HasPeer(hosts[0], judge)
	})
	for i, h := range hosts[2:] {
		if !HasPeer(h, sender) {
			t.Errorf("host %d dropped host 0 although it only ignored its messages", i+2)
		}
		if r := Rejects(h, sender); r != 0 {
			t.Errorf("host %d counted %d rejects for ignored messages", i+2, r)
		}
	}
	if _, err := hosts[1].Request(ctx, sender, p2p.StatusProtocol(0), []byte{0}); !errors.Is(err, p2p.ErrNotConnected) {
		t.Errorf("request to a banned peer: got %v, want ErrNotConnected", err)
	}
}

// testJoinedHostRelays: a host that joined a topic without subscribing
// still validates and relays it: with host 1 the only link between host 0
// and hosts 2 and 3, their messages cross it.
func testJoinedHostRelays(t *testing.T, f Factory) {
	hosts := cluster(t, f, Options{})
	for _, other := range hosts[2:] {
		if err := hosts[0].Block(other.ID()); err != nil {
			t.Fatalf("block: %v", err)
		}
	}
	WaitFor(t, "host 0 to be connected to host 1 only", func() bool {
		return len(hosts[0].Peers()) == 1 && !HasPeer(hosts[2], hosts[0].ID()) && !HasPeer(hosts[3], hosts[0].ID())
	})
	var relayed validatorLog
	topics := make([]p2p.Topic, len(hosts))
	cols := make([]*Collector, len(hosts))
	for i, h := range hosts {
		var v p2p.Validator
		if i == 1 {
			v = func(_ p2p.PeerID, d []byte) p2p.Verdict { relayed.add(d); return p2p.Accept }
		}
		tp, err := h.Join(testTopic, 1<<10, v)
		if err != nil {
			t.Fatalf("join: %v", err)
		}
		topics[i] = tp
		if i != 1 {
			sub, err := tp.Subscribe()
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			cols[i] = Collect(t, sub)
		}
	}
	WaitTopicPeers(t, topics[0], 1)
	n := 0
	WaitFor(t, "host 0's messages to cross host 1", func() bool {
		n++
		if err := topics[0].Publish(context.Background(), fmt.Appendf(nil, "good %d", n)); err != nil {
			t.Fatalf("publish: %v", err)
		}
		return cols[2].Any(isGood) && cols[3].Any(isGood)
	})
	if !relayed.any([]byte("good")) {
		t.Error("host 1 relayed without validating")
	}
}

// testCopiesByMessageIDAreDuplicates: on a topic whose message id ignores
// the first byte (as the consensus envelope's nonce), copies that differ
// only there are one message: host 1 validates it once and relays it
// once, and host 0, which keeps sending copies, is scored down.
func testCopiesByMessageIDAreDuplicates(t *testing.T, f Factory) {
	hosts := cluster(t, f, Options{RejectThreshold: 100})
	for _, other := range hosts[2:] {
		if err := hosts[0].Block(other.ID()); err != nil {
			t.Fatalf("block: %v", err)
		}
	}
	WaitFor(t, "host 0 to be connected to host 1 only", func() bool {
		return len(hosts[0].Peers()) == 1 && !HasPeer(hosts[2], hosts[0].ID()) && !HasPeer(hosts[3], hosts[0].ID())
	})
	byTail := func(d []byte) [32]byte {
		if len(d) == 0 {
			return p2p.ContentID(d)
		}
		return p2p.ContentID(d[1:])
	}
	var validated validatorLog
	topics := make([]p2p.Topic, len(hosts))
	cols := make([]*Collector, len(hosts))
	for i, h := range hosts {
		v := func(_ p2p.PeerID, d []byte) p2p.Verdict {
			if i == 1 {
				validated.add(d)
			}
			return p2p.Accept
		}
		tp, err := h.Join(testTopic, 1<<10, v, p2p.WithMessageID(byTail))
		if err != nil {
			t.Fatalf("join: %v", err)
		}
		sub, err := tp.Subscribe()
		if err != nil {
			t.Fatalf("subscribe: %v", err)
		}
		topics[i], cols[i] = tp, Collect(t, sub)
	}
	WaitTopicPeers(t, topics[0], 1)
	WaitTopicPeers(t, topics[1], 3)
	ctx := context.Background()
	// A real gossipsub relays along its mesh, which forms on heartbeats:
	// warm it up with distinct messages until they cross host 1.
	warm := 0
	WaitFor(t, "messages to cross host 1", func() bool {
		warm++
		if err := topics[0].Publish(ctx, fmt.Appendf(nil, "-warm-up %d", warm)); err != nil {
			t.Fatalf("publish: %v", err)
		}
		return cols[2].Len() > 0 && cols[3].Len() > 0
	})
	isOne := func(m p2p.Message) bool { return bytes.HasSuffix(m.Data, []byte("one message")) }
	for n := range 1 + 2*p2p.DuplicateLimit {
		if err := topics[0].Publish(ctx, append([]byte{byte(n)}, "one message"...)); err != nil {
			t.Fatalf("publish: %v", err)
		}
	}
	WaitFor(t, "host 1 to score host 0 down for its copies and relay the message", func() bool {
		return Rejects(hosts[1], hosts[0].ID()) > 0 && cols[2].Any(isOne) && cols[3].Any(isOne)
	})
	validated.mu.Lock()
	times := 0
	for _, d := range validated.seen {
		if bytes.HasSuffix(d, []byte("one message")) {
			times++
		}
	}
	validated.mu.Unlock()
	if times != 1 {
		t.Errorf("host 1 validated %d copies of one message", times)
	}
	for i := 2; i < 4; i++ {
		if got := cols[i].Count(isOne); got != 1 {
			t.Errorf("host %d got %d copies of one message", i, got)
		}
	}
}
