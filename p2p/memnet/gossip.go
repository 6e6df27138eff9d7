package memnet

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"

	"github.com/bilayer/bilayer/p2p"
)

// gossip is one hop of a topic message in flight.
type gossip struct {
	topic string
	from  p2p.PeerID
	data  []byte // shared between hops and hosts: never modified
}

// topic is a joined topic of one host.
type topic struct {
	host     *Host
	name     string
	max      int
	validate p2p.Validator
	opts     p2p.TopicOptions
	ids      *p2p.SeenCache // nil unless opts.MessageID is set

	mu     sync.Mutex
	closed bool
	seen   *seenSet
	subs   map[*subscription]struct{}
}

var _ p2p.Topic = (*topic)(nil)

// Join joins a topic; see p2p.Network.
func (h *Host) Join(name string, maxSize int, v p2p.Validator, opts ...p2p.TopicOption) (p2p.Topic, error) {
	if maxSize <= 0 {
		return nil, fmt.Errorf("join %s: %w", name, p2p.ErrBadLimit)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, p2p.ErrClosed
	}
	if _, ok := h.topics[name]; ok {
		return nil, fmt.Errorf("join %s: %w", name, p2p.ErrAlreadyJoined)
	}
	t := &topic{
		host:     h,
		name:     name,
		max:      maxSize,
		validate: v,
		opts:     p2p.NewTopicOptions(opts...),
		seen:     newSeenSet(h.net.cfg.SeenCacheSize),
		subs:     make(map[*subscription]struct{}),
	}
	if t.opts.MessageID != nil {
		t.ids = p2p.NewSeenCache(0, 0)
	}
	h.topics[name] = t
	return t, nil
}

func (h *Host) topic(name string) *topic {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.topics[name]
}

// receive runs one arriving message through seen-cache, size limit,
// message-id cache and validator, then delivers and relays it or scores
// the sender.
func (h *Host) receive(m gossip) {
	t := h.topic(m.topic)
	if t == nil || !t.markSeen(m.data) {
		return
	}
	if len(m.data) > t.max {
		h.reject(m.from)
		return
	}
	var id [32]byte
	if t.ids != nil {
		id = t.opts.MessageID(m.data)
		validate, penalize := t.ids.Arrived(id, m.from, time.Now())
		if penalize {
			h.reject(m.from)
		}
		if !validate {
			return
		}
	}
	v := p2p.Accept
	if t.validate != nil {
		v = t.validate(m.from, m.data)
	}
	if t.ids != nil {
		t.ids.Validated(id, v)
	}
	switch v {
	case p2p.Accept:
		t.deliver(p2p.Message{From: m.from, Data: m.data})
		t.relay(m.data, m.from)
	case p2p.Reject:
		h.reject(m.from)
	}
}

// Name returns the topic name.
func (t *topic) Name() string { return t.name }

// Publish sends data to every up neighbour that joined the topic.
func (t *topic) Publish(ctx context.Context, data []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("publish to %s: %w", t.name, err)
	}
	if len(data) > t.max {
		return fmt.Errorf("publish %d bytes to %s (limit %d): %w", len(data), t.name, t.max, p2p.ErrMessageTooLarge)
	}
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed || t.host.isClosed() {
		return fmt.Errorf("publish to %s: %w", t.name, p2p.ErrClosed)
	}
	data = append([]byte(nil), data...)
	t.markSeen(data)
	t.relay(data, "")
	return nil
}

// relay sends data to every up neighbour in the topic except the one it
// came from.
func (t *topic) relay(data []byte, except p2p.PeerID) {
	for _, nb := range t.host.net.neighbours(t.host.id) {
		if nb.id == except || nb.topic(t.name) == nil {
			continue
		}
		t.host.net.send(t.host.id, nb.id, gossip{topic: t.name, from: t.host.id, data: data})
	}
}

// Peers returns the up neighbours that joined the topic.
func (t *topic) Peers() []p2p.PeerID {
	var out []p2p.PeerID
	for _, nb := range t.host.net.neighbours(t.host.id) {
		if nb.topic(t.name) != nil {
			out = append(out, nb.id)
		}
	}
	return out
}

// Subscribe returns a new subscription.
func (t *topic) Subscribe() (p2p.Subscription, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return nil, fmt.Errorf("subscribe to %s: %w", t.name, p2p.ErrClosed)
	}
	s := &subscription{
		topic: t,
		ch:    make(chan p2p.Message, t.host.net.cfg.SubscriptionBuffer),
		done:  make(chan struct{}),
	}
	t.subs[s] = struct{}{}
	return s, nil
}

// Close cancels the subscriptions and leaves the topic.
func (t *topic) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return p2p.ErrClosed
	}
	t.closed = true
	t.mu.Unlock()
	t.cancelSubs()
	h := t.host
	h.mu.Lock()
	if h.topics[t.name] == t {
		delete(h.topics, t.name)
	}
	h.mu.Unlock()
	return nil
}

func (t *topic) cancelSubs() {
	t.mu.Lock()
	subs := make([]*subscription, 0, len(t.subs))
	for s := range t.subs {
		subs = append(subs, s)
	}
	t.mu.Unlock()
	for _, s := range subs {
		s.Cancel()
	}
}

// markSeen records data's content hash and reports whether it was new.
func (t *topic) markSeen(data []byte) bool {
	id := sha256.Sum256(data)
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.seen.add(id)
}

// deliver hands m to every subscription; a full subscription drops it.
func (t *topic) deliver(m p2p.Message) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for s := range t.subs {
		select {
		case s.ch <- p2p.Message{From: m.From, Data: append([]byte(nil), m.Data...)}:
		default:
		}
	}
}

// subscription is one subscriber's buffered queue of messages.
type subscription struct {
	topic *topic
	ch    chan p2p.Message
	done  chan struct{}
	once  sync.Once
}

// Next returns the next message; one already buffered is returned even
// if ctx is done.
func (s *subscription) Next(ctx context.Context) (p2p.Message, error) {
	select {
	case <-s.done:
		return p2p.Message{}, p2p.ErrClosed
	default:
	}
	select { // a buffered message wins over a done ctx
	case m := <-s.ch:
		return m, nil
	default:
	}
	select {
	case m := <-s.ch:
		return m, nil
	case <-s.done:
		return p2p.Message{}, p2p.ErrClosed
	case <-ctx.Done():
		return p2p.Message{}, ctx.Err()
	}
}

// Cancel ends the subscription.
func (s *subscription) Cancel() {
	s.once.Do(func() {
		close(s.done)
		s.topic.mu.Lock()
		delete(s.topic.subs, s)
		s.topic.mu.Unlock()
	})
}

// seenSet remembers the last n message ids, oldest evicted first.
type seenSet struct {
	ids  map[[32]byte]struct{}
	ring [][32]byte
	next int
}

func newSeenSet(n int) *seenSet {
	return &seenSet{ids: make(map[[32]byte]struct{}, n), ring: make([][32]byte, 0, n)}
}

// add records id and reports whether it was new.
func (s *seenSet) add(id [32]byte) bool {
	if _, ok := s.ids[id]; ok {
		return false
	}
	if len(s.ring) < cap(s.ring) {
		s.ring = append(s.ring, id)
	} else {
		delete(s.ids, s.ring[s.next])
		s.ring[s.next] = id
		s.next = (s.next + 1) % len(s.ring)
	}
	s.ids[id] = struct{}{}
	return true
}
