// Package pebblestore is the store.Store backend on cockroachdb/pebble v2,
// and the only package in bilayer that imports pebble.
//
// Open takes a directory and Options (cache and memtable sizes, file
// handles, a *slog.Logger, and a filesystem: the OS by default, or
// NewCrashableMemFS() in tests so that MemFS.CrashClone can simulate a power
// loss). Batches are encoded directly into pebble batches; Commit(true)
// uses pebble.Sync (an fsync of the WAL), Commit(false) pebble.NoSync.
// Store.Put and Store.Delete are unsynced. Pebble iterators read a
// point-in-time view; each entry is copied out so results stay valid after
// the iterator moves or the DB closes.
//
// Concurrency: every call takes a read lock; Close takes the write lock,
// releases open iterators and closes pebble, so calls racing with Close
// return store.ErrClosed instead of hitting pebble's use-after-close panics.
//
// Failures: pebble reports unrecoverable write errors through its logger's
// Fatalf and expects it not to return. Ours logs at Error and panics with a
// private type that the write paths recover into ErrFailed; later writes
// fail fast with ErrFailed. (A Fatalf from a background goroutine still
// crashes the process, which is the only safe outcome there.)
package pebblestore
