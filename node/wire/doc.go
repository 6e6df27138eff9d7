// Package wire defines the bytes L1 validators exchange: consensus
// proposals (with their block), votes, the gossip envelope and the identity
// of a consensus message (MessageID: what is signed, not the envelope's
// nonce), transaction batches, the block-range sync request and response,
// and the conversion between the consensus machine's commit certificate
// and the one blocks carry. Every decoder takes or applies a size or count
// limit and refuses trailing bytes; rounds, which the machine keeps as
// signed integers (-1 meaning none), are encoded as unsigned integers
// offset by one where they may be -1.
package wire
