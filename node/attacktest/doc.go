// Package attacktest is a hostile network participant for tests: the
// messages a peer without a validator key can forge from what it overhears
// (re-wrapped consensus messages, proposals with inflated proof-of-lock
// lists, transaction batches with garbage signatures or from unfunded
// accounts) and a Peer, built on our own p2p interface, that sends them and
// lies in the status handshake and block sync. The same Peer works over
// memnet (in-process tests) and over p2p/libp2p on loopback (a process
// cluster), so one attack can be aimed at either.
//
// A few helpers sign votes and proposals with a validator key: they play a
// faulty validator, for the checks that only a key holder can reach.
package attacktest
