// Package memdb is an in-memory store.Store for tests and tools.
//
// Keys live in a copy-on-write B-tree guarded by a RWMutex. Writes and
// batch commits take the write lock, so a batch becomes visible all at once.
// NewIterator clones the tree in O(1) and walks the clone in chunks, which
// gives iterators a point-in-time snapshot without blocking writers or
// copying the data set. Values are private copies that are never mutated,
// so clones can share them; results handed to callers are copied again.
// Commit's sync flag has no meaning in memory.
package memdb
