// Package chain is the L1 node's chain: the block store (blocks, receipts,
// transaction index and commit certificates over the store schema), and the
// execution of blocks against the state.
//
// Durability: a committed block is written as one synced batch holding its
// header, body, receipts, transaction index, commit certificate and the new
// head height. Trie nodes of the block's state are flushed just before,
// unsynced, into the same database; the synced batch that follows makes
// them durable too (pebble syncs its log in order). A crash before that
// batch leaves the head at the previous block and, at worst, unreferenced
// trie nodes, which the hash-keyed trie database tolerates.
package chain
