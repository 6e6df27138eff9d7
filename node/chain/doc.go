// Package chain is the L1 node's chain: its blocks, receipts and
// transaction index (stored through package chaindb, which the L2 sequencer
// shares), the L1-only commit certificates (stored here), and the execution
// of blocks against the state. It accepts L1 blocks only: a block carrying
// L2 extras is refused as a bad header.
//
// Durability: a committed block is written as one synced batch holding its
// header, body, receipts, transaction index, commit certificate and the new
// head height. Trie nodes of the block's state are flushed just before,
// unsynced, into the same database; the synced batch that follows makes
// them durable too (pebble syncs its log in order). A crash before that
// batch leaves the head at the previous block and, at worst, unreferenced
// trie nodes, which the hash-keyed trie database tolerates.
package chain
