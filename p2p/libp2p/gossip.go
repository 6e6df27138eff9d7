package libp2p

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/bilayer/bilayer/p2p"
)

// rpcOverhead is the room gossipsub needs around the largest message in one
// RPC frame (topic name, message id fields, control messages).
const rpcOverhead = 64 << 10

// newGossipSub starts the gossipsub router: no signatures, no author,
// content-hash ids, the router-wide size limit, our heartbeat, and peer
// scoring (score.go) fed by scorer's rejects and reported into scores.
func newGossipSub(ctx context.Context, h host.Host, cfg Config, scorer *p2p.RejectScorer, scores *peerScores) (*pubsub.PubSub, error) {
	params := pubsub.DefaultGossipSubParams()
	params.HeartbeatInterval = cfg.Heartbeat
	scoreParams, thresholds := scoreParams(func(p peer.ID) int { return scorer.Count(p2p.PeerID(p.String())) })
	ps, err := pubsub.NewGossipSub(ctx, h,
		pubsub.WithPeerScore(scoreParams, thresholds),
		pubsub.WithPeerScoreInspect(scores.update, scoreInspectPeriod),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictNoSign),
		pubsub.WithNoAuthor(),
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithSeenMessagesTTL(transportSeenTTL),
		// Room for bursts: a full queue drops messages of every topic.
		pubsub.WithValidateQueueSize(validateQueueSize),
		pubsub.WithMaxMessageSize(cfg.MaxMessageSize+rpcOverhead),
		pubsub.WithGossipSubParams(params),
		pubsub.WithPeerExchange(false),
		// The origin sends its own messages to every topic peer, not just
		// its mesh: a devnet has few peers, and a proposal or vote must
		// not wait for the mesh to form (or repair) on heartbeats.
		pubsub.WithFloodPublish(true),
		pubsub.WithLogger(cfg.Logger.With("component", "gossipsub")),
	)
	if err != nil {
		return nil, fmt.Errorf("start gossipsub: %w", err)
	}
	return ps, nil
}

// validateQueueSize is the length of pubsub's validation queue, shared by
// every topic (pubsub's default is 32).
const validateQueueSize = 4096

// transportSeenTTL is how long pubsub remembers a message's content hash
// (its default is 2 minutes; entries are swept once a minute): well past
// the few heartbeats a message is advertised for, short enough that a
// flood of distinct messages is forgotten soon.
const transportSeenTTL = 10 * time.Second

// messageID is the sha256 of the payload: the same bytes from any sender
// are one message. A topic's own p2p.MessageIDFunc is applied on top, in
// the validator (SeenCache): pubsub's seen cache only forgets in a sweep
// once a minute, which would hold back a message's re-sends for as long.
func messageID(m *pb.Message) string {
	sum := sha256.Sum256(m.Data)
	return string(sum[:])
}

// topic is a joined gossipsub topic.
type topic struct {
	host  *Host
	name  string
	max   int
	t     *pubsub.Topic
	relay pubsub.RelayCancelFunc

	mu     sync.Mutex
	closed bool
	subs   map[*subscription]struct{}
}

var _ p2p.Topic = (*topic)(nil)

// Join joins a topic and wires v as its pubsub validator; see p2p.Network.
func (h *Host) Join(name string, maxSize int, v p2p.Validator, opts ...p2p.TopicOption) (p2p.Topic, error) {
	o := p2p.NewTopicOptions(opts...)
	if maxSize <= 0 {
		return nil, fmt.Errorf("join %s: %w", name, p2p.ErrBadLimit)
	}
	if maxSize > h.cfg.MaxMessageSize {
		return nil, fmt.Errorf("join %s: limit %d above the host's MaxMessageSize %d: %w", name, maxSize, h.cfg.MaxMessageSize, ErrBadConfig)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, p2p.ErrClosed
	}
	if _, ok := h.topics[name]; ok {
		return nil, fmt.Errorf("join %s: %w", name, p2p.ErrAlreadyJoined)
	}
	if err := h.ps.RegisterTopicValidator(name, h.validator(maxSize, v, o.MessageID)); err != nil {
		return nil, fmt.Errorf("join %s: register validator: %w", name, err)
	}
	pt, err := h.ps.Join(name)
	if err != nil {
		_ = h.ps.UnregisterTopicValidator(name)
		return nil, fmt.Errorf("join %s: %w", name, err)
	}
	if err := pt.SetScoreParams(topicScoreParams()); err != nil {
		_ = pt.Close()
		_ = h.ps.UnregisterTopicValidator(name)
		return nil, fmt.Errorf("join %s: score parameters: %w", name, err)
	}
	// Relay announces the topic and keeps us in its mesh even without a
	// local subscriber, as memnet does for every joined topic.
	relay, err := pt.Relay()
	if err != nil {
		_ = pt.Close()
		_ = h.ps.UnregisterTopicValidator(name)
		return nil, fmt.Errorf("join %s: relay: %w", name, err)
	}
	t := &topic{host: h, name: name, max: maxSize, t: pt, relay: relay, subs: make(map[*subscription]struct{})}
	h.topics[name] = t
	return t, nil
}

// validator adapts v to pubsub: own messages pass, oversize messages are
// rejected, copies of a message seen by id (if the topic has a
// MessageIDFunc) are ignored, and every reject counts toward banning the
// sender.
func (h *Host) validator(maxSize int, v p2p.Validator, ids p2p.MessageIDFunc) pubsub.ValidatorEx {
	self := h.h.ID()
	var seen *p2p.SeenCache
	if ids != nil {
		seen = p2p.NewSeenCache(0, 0)
	}
	return func(_ context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		if from == self {
			return pubsub.ValidationAccept
		}
		if len(m.Data) > maxSize {
			h.reject(from)
			return pubsub.ValidationReject
		}
		var id [32]byte
		if seen != nil {
			id = ids(m.Data)
			validate, penalize := seen.Arrived(id, p2p.PeerID(from.String()), time.Now())
			if penalize {
				h.reject(from)
			}
			if !validate {
				return pubsub.ValidationIgnore
			}
		}
		verdict := p2p.Accept
		if v != nil {
			verdict = v(p2p.PeerID(from.String()), m.Data)
		}
		if seen != nil {
			seen.Validated(id, verdict)
		}
		switch verdict {
		case p2p.Accept:
			return pubsub.ValidationAccept
		case p2p.Ignore:
			return pubsub.ValidationIgnore
		default:
			h.reject(from)
			return pubsub.ValidationReject
		}
	}
}

// Name returns the topic name.
func (t *topic) Name() string { return t.name }

// Publish refuses data over the topic limit and publishes the rest.
func (t *topic) Publish(ctx context.Context, data []byte) error {
	if len(data) > t.max {
		return fmt.Errorf("publish %d bytes to %s (limit %d): %w", len(data), t.name, t.max, p2p.ErrMessageTooLarge)
	}
	t.mu.Lock()
	closed := t.closed
	t.mu.Unlock()
	if closed {
		return fmt.Errorf("publish to %s: %w", t.name, p2p.ErrClosed)
	}
	// pubsub keeps the slice until it is sent: give it our own copy.
	if err := t.t.Publish(ctx, append([]byte(nil), data...)); err != nil {
		if t.host.isClosed() {
			return fmt.Errorf("publish to %s: %w", t.name, p2p.ErrClosed)
		}
		return fmt.Errorf("publish to %s: %w", t.name, err)
	}
	return nil
}

// Peers returns the connected peers that joined the topic.
func (t *topic) Peers() []p2p.PeerID {
	var out []p2p.PeerID
	for _, p := range t.t.ListPeers() {
		out = append(out, p2p.PeerID(p.String()))
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
	ps, err := t.t.Subscribe(pubsub.WithBufferSize(t.host.cfg.SubscriptionBuffer))
	if err != nil {
		return nil, fmt.Errorf("subscribe to %s: %w", t.name, err)
	}
	s := &subscription{topic: t, sub: ps, self: t.host.h.ID(), done: make(chan struct{})}
	t.subs[s] = struct{}{}
	return s, nil
}

// Close cancels the subscriptions and leaves the topic.
func (t *topic) Close() error {
	h := t.host
	h.mu.Lock()
	if h.topics[t.name] == t {
		delete(h.topics, t.name)
	}
	h.mu.Unlock()
	if !t.leave() {
		return p2p.ErrClosed
	}
	return nil
}

// leave cancels subscriptions, unregisters the validator and closes the
// pubsub topic; it reports false if the topic was already left.
func (t *topic) leave() bool {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return false
	}
	t.closed = true
	subs := make([]*subscription, 0, len(t.subs))
	for s := range t.subs {
		subs = append(subs, s)
	}
	t.mu.Unlock()
	for _, s := range subs {
		s.Cancel()
	}
	t.relay()
	h := t.host
	if err := h.ps.UnregisterTopicValidator(t.name); err != nil {
		h.log.Debug("unregister validator", "topic", t.name, "err", err)
	}
	// pubsub refuses to close a topic until its event loop has processed
	// the subscription and relay cancels: retry briefly.
	deadline := time.Now().Add(time.Second)
	for {
		err := t.t.Close()
		if err == nil || h.ctx.Err() != nil || time.Now().After(deadline) {
			if err != nil && h.ctx.Err() == nil {
				h.log.Debug("close topic", "topic", t.name, "err", err)
			}
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// subscription adapts a pubsub subscription, skipping our own messages.
type subscription struct {
	topic *topic
	sub   *pubsub.Subscription
	self  peer.ID
	done  chan struct{}
	once  sync.Once
}

// Next returns the next message from another peer.
func (s *subscription) Next(ctx context.Context) (p2p.Message, error) {
	for {
		m, err := s.sub.Next(ctx)
		if err != nil {
			select {
			case <-s.done:
				return p2p.Message{}, p2p.ErrClosed
			default:
			}
			if ctx.Err() != nil {
				return p2p.Message{}, ctx.Err()
			}
			if errors.Is(err, pubsub.ErrSubscriptionCancelled) {
				return p2p.Message{}, p2p.ErrClosed
			}
			return p2p.Message{}, fmt.Errorf("next on %s: %w", s.topic.name, err)
		}
		if m.ReceivedFrom == s.self || m.Local {
			continue
		}
		return p2p.Message{From: p2p.PeerID(m.ReceivedFrom.String()), Data: m.Data}, nil
	}
}

// Cancel ends the subscription.
func (s *subscription) Cancel() {
	s.once.Do(func() {
		close(s.done)
		s.sub.Cancel()
		s.topic.mu.Lock()
		delete(s.topic.subs, s)
		s.topic.mu.Unlock()
	})
}
