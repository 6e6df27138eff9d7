// Package store is bilayer's key-value storage layer: a small ordered
// key-value interface (Store, Batch, Iterator), the schema of every key the
// L1 node writes (schema.go), and typed accessors for the generic values
// (accessors.go).
//
// Data flow: a node builds one Batch per block (header, body, receipts, tx
// lookups, head height, commit certificate) and commits it with
// Commit(true), which is the durability point; go-ethereum's state is
// written through store/ethdbadapter under TrieNamespace() with unsynced
// writes that the block's synced commit then makes durable (the WAL is
// sequential). Readers use Get and prefix iterators.
//
// Contracts shared by all backends (checked by store/storetest):
//   - Get and iterator results are fresh copies owned by the caller.
//   - Put and Batch writes copy their arguments.
//   - An iterator sees a point-in-time snapshot taken when it is created.
//   - A batch is atomic: nothing is visible before Commit, all of it after;
//     a crash keeps a batch whole or drops it whole; a synced Commit makes
//     it and every earlier write durable.
//   - Keys are at most MaxKeyLen bytes; absent keys give ErrNotFound; a
//     closed store gives ErrClosed.
//
// Backends: store/memdb (in memory, for tests and tools) and store/pebble
// (the only importer of cockroachdb/pebble).
package store
