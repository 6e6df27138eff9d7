// Package cmalloc bounds the C allocator's per-thread arenas. Pebble
// allocates its block cache and memtables with C malloc when cgo is
// enabled (the build's default, for libsecp256k1), and glibc gives each
// thread that finds an arena busy a new one, up to eight per core, each
// keeping freed memory for reuse: a loaded devnet validator held 38 MiB in
// seven arenas for 16 MiB of cache and two 4 MiB memtables (issue 17: at
// most 200 MiB resident under load).
package cmalloc

// NodeArenas is the arena bound a node sets: one per core of the devnet's
// two-core machine. Pebble's allocations come from its block reads and
// flushes, a few threads at a time.
const NodeArenas = 2
