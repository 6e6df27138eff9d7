// Package statedb opens go-ethereum StateDBs over a bilayer database and
// commits them, one flush per block.
//
// Data flow: the node hands New an ethdb.Database (the store package's
// adapter in production, rawdb.NewMemoryDatabase in tests). StateAt opens a
// mutable *state.StateDB at a block's pre-state root; the execution package
// applies transactions to it; Commit writes the dirty trie nodes into the trie
// database and flushes them to the ethdb in one go (triedb.Commit), returning
// the post-state root that goes into the header.
//
// Caches: a DB opened with a cache (NewCached, as every chain is) keeps the
// trie nodes of the newest states by their position in the trie, each with
// its hash (nodeCache: a read is answered only by the node with the hash it
// asks for, stored with the node or, for a node short enough to hash in
// one keccak block, checked by hashing it; the nodes live in an arena of pointer-free chunks the collector
// need not scan, compacted as superseded nodes leave dead bytes in them),
// and keeps the nodes of staged, not yet flushed states itself
// (pendingStates), so go-ethereum's trie database only reads what is on
// disk. Stage, Flush and Discard split Commit for a chain that executes a
// block before it is decided. A DB without a cache (New) stages in
// go-ethereum's hashdb.
//
// Scheme choice: the trie database uses the HASH scheme
// (triedb.Config{HashDB: hashdb.Defaults}). Nodes are keyed by their keccak
// hash, which is exactly what a witness is (stateless.Witness.MakeHashDB) and
// what eth_getProof walks, so fraud proofs and proofs need no translation.
// The devnet keeps all history: nothing is ever dereferenced or pruned, so
// every committed root stays readable (historic eth_getBalance works).
//
// Durability: Commit writes the trie nodes in their own batch, before the
// caller writes the block, receipts and head in its block batch. With the
// hash scheme this is crash-safe: nodes are content-addressed and immutable,
// so a crash between the two writes leaves only unreferenced nodes, and the
// head still names the previous block, whose nodes are all on disk. (The
// ethdb's batch write must be synced for the head to be durable; that is the
// store's job.)
//
// Rules: the state is always run with EIP-158 (empty accounts touched by a
// transaction are deleted) and Cancun semantics (no storage wiping), see Rules.
package statedb
