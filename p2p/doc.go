// Package p2p is bilayer's small network interface: the only view of the
// peer-to-peer network that the node, sync and rollup code ever see.
//
// It knows three things and nothing about go-libp2p:
//
//  1. Topics (gossip). A caller joins a topic by name with a size limit and a
//     Validator. Every message received from a peer is size-checked, then
//     handed to the Validator before it is delivered to local subscriptions or
//     relayed to other peers: Accept delivers and relays, Ignore drops it
//     silently, Reject drops it and scores the sending peer down; a peer that
//     collects RejectThreshold rejects is banned (blocked and disconnected).
//     Our messages carry their own secp256k1 signatures, so the transport adds
//     no author and no signature; message ids are content hashes, and a
//     topic whose messages carry unsigned parts names what identifies them
//     (TopicOptions.MessageID): copies of a message seen within
//     DefaultSeenTTL are then dropped before validation (SeenCache).
//  2. Request/response protocols. A Protocol names a protocol and bounds its
//     request and response sizes; Handle serves it, Request calls it on one
//     connected peer with the deadline of the caller's context.
//  3. Peers. Peers lists the connected peers, Notify reports connects and
//     disconnects, Block/Unblock is the connection gater (a blocked peer is
//     disconnected and cannot reconnect until unblocked).
//
// On top of the interface, this package provides the pieces every
// implementation shares: topic and protocol names per chain id (TxTopic,
// ConsensusTopic, StatusProtocol, BlockRangeProtocol), size limits, the
// RejectScorer that both implementations use to ban misbehaving peers, and
// the status Handshake: on every connect both sides exchange Status (chain
// id, genesis hash, head) over StatusProtocol; a peer on another chain is
// blocked, and the latest status of each compatible peer is kept for sync to
// pick peers by head.
//
// Implementations: p2p/libp2p (TCP, Noise, yamux, gossipsub) for real nodes,
// p2p/memnet (in-memory, seeded delay/drop/duplication/partitions) for tests.
// p2p/p2ptest holds the conformance suite both pass.
package p2p
