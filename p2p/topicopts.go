package p2p

import "crypto/sha256"

// MessageIDFunc returns the identity of a message beyond its bytes: copies
// with one id are one message, whatever else differs.
type MessageIDFunc func(data []byte) [32]byte

// ContentID is the SHA-256 of the whole message: the transports' own
// duplicate suppression, for every topic.
func ContentID(data []byte) [32]byte { return sha256.Sum256(data) }

// TopicOption configures a topic when it is joined.
type TopicOption func(*TopicOptions)

// TopicOptions are a topic's settings; implementations build them with
// NewTopicOptions.
type TopicOptions struct {
	// MessageID, if set, identifies messages that carry unsigned parts
	// (the consensus envelope's nonce) by what is signed. A copy of a
	// message whose id was accepted or rejected within DefaultSeenTTL is a
	// duplicate: dropped before the Validator and not relayed; a peer that
	// sends DuplicateLimit copies more is scored down (SeenCache). Without
	// it, only identical bytes are duplicates.
	MessageID MessageIDFunc
}

// WithMessageID sets the topic's message identity.
func WithMessageID(fn MessageIDFunc) TopicOption {
	return func(o *TopicOptions) { o.MessageID = fn }
}

// NewTopicOptions applies opts to the defaults.
func NewTopicOptions(opts ...TopicOption) TopicOptions {
	var o TopicOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o
}
