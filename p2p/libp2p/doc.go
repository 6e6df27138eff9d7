// Package libp2p implements p2p.Network over go-libp2p and gossipsub; it is
// the only package of bilayer that imports go-libp2p.
//
// The host is built from an explicit, closed list of parts: TCP transport,
// Noise security, yamux multiplexing, the listen addresses given (loopback by
// default), a persistent ed25519 node key kept in a 0600 file, a connection
// gater (bans, isolation, and optionally loopback-only dialing and
// accepting), the default autoscaled resource manager and a connection
// manager. Relays are disabled; NAT port mapping, hole punching, AutoNAT,
// mDNS and DHTs are never enabled; metrics are not registered globally.
//
// Data flow:
//
//   - Peers come only from Config.Bootnodes (multiaddrs ending in
//     /p2p/<id>). One dialer goroutine per bootnode keeps it connected:
//     it dials at start and redials after a disconnect with an exponential
//     backoff bounded by Config.RedialMax, skipping peers we block.
//   - Gossip: one gossipsub router with StrictNoSign and no author (our
//     messages carry their own signatures), message id = sha256(data)
//     remembered for 10 s, a validation queue of 4,096, and a router-wide
//     size limit of the largest topic plus framing. Each joined topic gets a
//     pubsub validator that enforces the topic's own limit, drops copies of
//     a message already seen by the topic's p2p.MessageIDFunc
//     (p2p.SeenCache), and calls the p2p.Validator;
//     Reject makes pubsub drop the message without relaying it and counts
//     against the sender in a p2p.RejectScorer (as does Penalize); at the
//     threshold the sender is blocked in the gater and disconnected.
//     Gossipsub peer scoring is on (score.go): rejects and penalties, invalid
//     deliveries and broken promises score a peer down, useful deliveries
//     up, and a peer below the graylist threshold is ignored well before
//     the reject counter bans it.
//   - Request/response: one libp2p stream per request. The requester writes
//     a frame (uvarint length, bytes) and closes its write side; the server
//     answers with a status byte and a frame. Both sides check both limits;
//     the requester's deadline comes from its context, the server's from
//     Config.RequestTimeout.
//   - Connect/disconnect events come from the host's event bus and are
//     handed, in order, to Notify callbacks from one goroutine.
package libp2p
