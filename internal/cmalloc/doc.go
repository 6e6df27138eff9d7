// Package cmalloc tunes the C allocator for a node. Pebble allocates its
// block cache and memtables with C malloc when cgo is enabled (the build's
// default, for libsecp256k1). glibc gives each thread that finds an arena
// busy a new one, up to eight per core, each keeping freed memory for
// reuse: a loaded devnet validator held 38 MiB in seven arenas for 16 MiB
// of cache and two 4 MiB memtables. And once a block it mapped on its own
// is freed, glibc raises the size it maps blocks from past that block's,
// so the next memtables come from an arena and stay in it when freed:
// with two arenas a validator still held about 53 MiB of C memory for
// the same cache and memtables, against 200 MiB resident under load in
// all (issue 17). A program that links this package (a node's binaries)
// bounds the arenas to NodeArenas and maps every block of LargeBlock bytes
// or more on its own, so freeing it gives it back. The settings are made
// when the program is loaded: glibc fixes its arena bound the first time
// a second thread allocates, and the Go runtime's threads may do so before
// main runs (a bound set from main, as this package did until session 26,
// left a validator with four arenas).
package cmalloc
