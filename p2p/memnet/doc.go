// Package memnet is an in-memory implementation of p2p.Network for tests of
// the node and of anything else that talks to peers.
//
// A Network is the fabric: it owns the hosts, the configured links between
// them (Connect, ConnectAll), the partitions (Partition, Heal), each host's
// blocked peers, and one seeded random source that decides the fate of every
// gossip hop: dropped (DropRate), delivered twice (DupRate), and delayed
// uniformly in [MinDelay, MaxDelay]. A link is up when it is configured, both
// hosts are open, neither blocks the other and both are in the same
// partition group; every change of a link's state is reported to both hosts
// as a p2p.PeerEvent, like a real connect or disconnect.
//
// Each Host runs one goroutine that drains its inbox in order: peer events
// (handed to Notify callbacks) and gossip messages. A gossip message goes
// through the same steps as in the libp2p adapter: seen-cache by content
// hash, topic size limit (over it is a reject), the topic's message-id
// cache if it has one (p2p.SeenCache), the topic's Validator, then
// Accept delivers to local subscriptions and relays to every other up
// neighbour that joined the topic, Ignore drops, Reject drops and counts
// toward the ban threshold (p2p.RejectScorer). Requests are served
// synchronously through the remote host's handler, with one seeded delay,
// and the same size limits on both sides as the libp2p adapter.
//
// Close on the Network (or on a Host) stops timers and goroutines; nothing
// outlives it. A Host closed and re-created under the same id keeps its
// configured links, which is how tests restart a node.
//
// The random draws are seeded, but hosts run as goroutines, so the order in
// which draws are consumed follows the scheduler: runs are repeatable in
// distribution, not bit for bit (with zero delay and one sender they are
// exact). Time is the standard library's: build the Network inside a
// testing/synctest bubble and every delay runs on the bubble's virtual
// clock, so cluster tests need no real waiting and synctest.Wait tells when
// the network is quiet.
package memnet
