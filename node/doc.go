// Package node is the L1 validator: it wires the consensus machine, the
// double-sign guard, the chain, the mempool and the p2p network together
// and serves the Ethereum JSON-RPC API.
//
// One goroutine, the driver loop (driver.go), owns the consensus machine
// and every block execution and commit. Everything else reaches it through
// its event channel: verified proposals and votes from gossip, timeouts,
// blocks fetched by sync, and the pacing timer that starts the next height.
// For each input the driver performs the machine's actions in the order
// returned — persist (fsync) → sign → send → apply — and feeds the answers
// (signed votes, built and validated blocks, Applied) back as later inputs.
//
// Gossip validators (gossip.go) decode and verify messages concurrently,
// before they are relayed; invalid ones are rejected (the sender is scored
// down), stale or early ones ignored. A consensus message is identified by
// what is signed, not by its envelope, so re-wrapped copies are duplicates;
// one for a height after the next waits in a keyed, byte-bounded buffer
// (future.go) until the chain gets there. Transactions are gossiped in
// batches; a node checks each new transaction's signature and chain id
// before relaying, one batch at a time (txgate.go), and relays only what
// entered its pool. Sync (sync.go) fetches blocks with their commit
// certificates from peers that are ahead, believing a claimed head only with
// a verified certificate, rotating among peers and scoring down one that
// does not serve what it claims, and hands them to the driver, which
// verifies each certificate against the validator set of its height before
// applying it. The package attacktest is the hostile peer of the tests.
package node
