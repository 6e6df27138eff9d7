// Package p2ptest is the conformance suite of p2p.Network: every
// implementation (p2p/memnet, p2p/libp2p) runs Run from its own tests with a
// Factory that builds a fully connected cluster, and so is held to the same
// behaviour: gossip reach, size limits on both sides, Reject not relayed and
// banning, request/response limits and errors, the status handshake, and
// block/unblock.
//
// Every wait is a poll of a condition with a deadline, never a fixed sleep.
package p2ptest
