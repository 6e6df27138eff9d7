// Package l2chain is an L2 chain on disk: its blocks, receipts and state in
// one store, the building of a new block on the head from L2 block inputs
// (time, L1 origin, L1 operations) and a transaction source, and the commit
// of a block in one synced batch. The sequencer builds on it; the
// challenger (a verifier) will apply derived blocks to it.
//
// Data flow of one block:
//
//  1. Build (sequencer) or Apply (verifier) executes the block on the
//     head's state with core/execution — the one state transition of L1 and
//     L2 — under the chain's L2 rules, and assembles the header with
//     MixDigest = keccak(rlp(L2Extras)).
//  2. Commit writes the trie nodes, then the block, its receipts, its
//     transaction index and the new head in one synced batch. Only then is
//     the block (and so each transaction's receipt) visible: a crash at
//     any instant leaves the chain at its last committed block.
//
// There is no fork choice here: the head moves forward one block at a
// time, and Rewind (for a sequencer that re-sequences) moves it back.
package l2chain
