// Package chaindb is the block store of a bilayer chain (L1 node and L2
// sequencer alike): headers, bodies, receipts and the transaction index over
// a store.Store, keyed by store/schema.go.
//
// WriteBlock queues everything a block adds into a store.Writer (normally a
// batch the caller commits, synced, together with its own keys such as the
// head height); the Read functions read it back. A block's body keeps the
// optional L2 extras of an L2 block as a trailing optional RLP field, so an
// L1 block's stored body is byte-for-byte what it was before L2 blocks
// existed. Receipts are stored in their consensus form; ReadReceipts derives
// the rest (hashes, positions, gas used, effective gas price, bloom).
//
// Consensus data that only the L1 has (commit certificates) is not here:
// node/chain stores it next to the blocks.
package chaindb
