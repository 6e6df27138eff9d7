package p2p

import (
	"context"
)

// PeerID identifies a peer. For libp2p it is the string form of the libp2p
// peer id (derived from the node key); for memnet it is the name given to the
// host. It is comparable and printable.
type PeerID string

// String returns the peer id as text.
func (p PeerID) String() string { return string(p) }

// Verdict is a Validator's decision about one gossip message.
type Verdict int

const (
	// Accept delivers the message to local subscriptions and relays it.
	Accept Verdict = iota
	// Ignore drops the message without penalising the sender (for example a
	// vote for a height we have already left).
	Ignore
	// Reject drops the message and scores the sender down; enough rejects
	// ban the sender. The sender is the relaying peer, which may be
	// honest, so Reject only what is invalid everywhere and always (bad
	// signature, wrong chain, malformed, oversize); use Ignore for
	// anything that depends on local state or time.
	Reject
)

// String names the verdict.
func (v Verdict) String() string {
	switch v {
	case Accept:
		return "accept"
	case Ignore:
		return "ignore"
	case Reject:
		return "reject"
	default:
		return "verdict(?)"
	}
}

// Validator decides about a gossip message received from a peer before it is
// delivered or relayed. from is the peer that sent it to us (the relayer, not
// an author: messages carry no transport-level author). It may be called
// concurrently from several goroutines and must not modify data. It is never
// called for messages this host publishes itself.
type Validator func(from PeerID, data []byte) Verdict

// Message is one gossip message delivered to a subscription.
type Message struct {
	// From is the peer that relayed the message to us.
	From PeerID
	// Data is the payload; the receiver owns it.
	Data []byte
}

// Subscription delivers the accepted messages of one topic. Messages this
// host publishes itself are not delivered back. A subscriber that falls far
// behind loses messages (gossip is best effort).
type Subscription interface {
	// Next blocks until the next message, ctx is done (ctx.Err()) or the
	// subscription is cancelled (ErrClosed).
	Next(ctx context.Context) (Message, error)
	// Cancel ends the subscription; pending and later Next calls return
	// ErrClosed. It is safe to call more than once.
	Cancel()
}

// Topic is a joined gossip topic.
type Topic interface {
	// Name returns the topic name.
	Name() string
	// Publish sends data to the topic's peers. Data over the topic's size
	// limit is refused with ErrMessageTooLarge. Publish does not retain
	// data: the caller may reuse it when Publish returns.
	Publish(ctx context.Context, data []byte) error
	// Subscribe returns a new subscription to the topic's messages.
	Subscribe() (Subscription, error)
	// Peers returns the connected peers known to have joined the topic.
	Peers() []PeerID
	// Close cancels the topic's subscriptions and leaves the topic.
	Close() error
}

// Handler serves one request of a Protocol. from is the requesting peer. A
// returned error is sent back to the requester, where Request returns an
// error wrapping ErrRemote with the handler's message.
type Handler func(ctx context.Context, from PeerID, req []byte) ([]byte, error)

// Protocol names a request/response protocol and bounds its messages. Both
// sides enforce both limits.
type Protocol struct {
	// Name is the protocol id, for example "/bilayer/1337/status/1".
	Name string
	// MaxRequest is the largest request in bytes.
	MaxRequest int
	// MaxResponse is the largest response in bytes.
	MaxResponse int
}

// PeerInfo describes one connected peer.
type PeerInfo struct {
	// ID is the peer's id.
	ID PeerID
	// Addr is the remote address of the connection (a multiaddr for
	// libp2p).
	Addr string
	// Outbound is true when this host dialed the peer.
	Outbound bool
	// Rejects is how many of the peer's gossip messages this host rejected,
	// with the penalties its callers gave (Penalize).
	Rejects int
	// Score is the host's score of the peer: negative once the peer
	// misbehaved (libp2p: the gossipsub peer score, updated every second;
	// memnet: -10 per reject).
	Score float64
}

// PeerEvent reports a peer connecting or disconnecting.
type PeerEvent struct {
	// Peer is the peer concerned.
	Peer PeerID
	// Connected is true on connect and false on disconnect.
	Connected bool
}

// Network is one host's view of the peer-to-peer network.
type Network interface {
	// ID returns this host's peer id.
	ID() PeerID
	// Join joins the named topic. Messages larger than maxSize are refused
	// on publish and rejected on receipt; v decides about every received
	// message; identical bytes are a duplicate, and so, with
	// TopicOptions.MessageID, is a copy of a message accepted within
	// DefaultSeenTTL (see SeenCache). A topic can be joined once per host
	// (ErrAlreadyJoined).
	Join(name string, maxSize int, v Validator, opts ...TopicOption) (Topic, error)
	// Handle registers the handler for p (ErrAlreadyRegistered if p.Name
	// already has one).
	Handle(p Protocol, h Handler) error
	// Request sends req to the connected peer over p and returns its
	// response. It fails with ErrNotConnected if the peer is not connected,
	// ErrMessageTooLarge if either side exceeds p's limits, ErrRemote if
	// the handler failed, ErrUnsupportedProtocol if the peer does not serve
	// p, and ctx.Err() when ctx ends first.
	Request(ctx context.Context, peer PeerID, p Protocol, req []byte) ([]byte, error)
	// Peers lists the connected peers.
	Peers() []PeerInfo
	// Notify calls fn for every later connect and disconnect, in order,
	// from one goroutine; fn must not block. The returned stop function
	// unregisters fn.
	Notify(fn func(PeerEvent)) (stop func())
	// Penalize scores the peer down for misbehaviour its caller found
	// outside gossip validation (a sync peer that does not serve the head
	// it claims): it counts as one rejected message toward the ban.
	Penalize(peer PeerID) error
	// Block disconnects the peer and refuses connections with it until
	// Unblock. It is the connection gater used to ban peers and to isolate
	// nodes in tests.
	Block(peer PeerID) error
	// Unblock lifts Block and forgets the peer's rejects; the peer may
	// reconnect (bootnodes are redialed).
	Unblock(peer PeerID) error
	// Close leaves all topics, stops all goroutines and closes every
	// connection. Later calls return ErrClosed.
	Close() error
}
