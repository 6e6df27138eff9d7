package cmdutil

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

// DefaultCacheMiB is --cache's default: 32 MiB of trie-node cache and 32
// MiB of block cache (a validator: 16 of block cache and 16 of room for its
// heap, ValidatorCacheSizes), sized for a devnet running several nodes on
// one machine (issue 17).
const DefaultCacheMiB = 64

// CacheFlag is --cache of the sequencer and the challenger: the memory for
// caches, split by CacheSizes. The validator's --cache takes the same
// default and environment variable and splits by ValidatorCacheSizes.
var CacheFlag = &cli.IntFlag{Name: "cache", Usage: "memory for caches, in MiB: half the state's trie-node cache, half the database's block cache (the default suits a devnet; give a long-lived node more, e.g. 1024)",
	Value: DefaultCacheMiB, EnvVars: []string{"BILAYER_CACHE"}}

// CacheSizes splits --cache (MiB) between the trie-node cache and the
// database's block cache, in bytes.
func CacheSizes(mib int) (trie, block int64, err error) {
	if mib < 16 {
		return 0, 0, fmt.Errorf("--cache %d: at least 16 (MiB) is needed", mib)
	}
	total := int64(mib) << 20
	return total / 2, total - total/2, nil
}

// ValidatorCacheSizes splits a validator's --cache (MiB), in bytes: half
// to the trie-node cache, a quarter to the database's block cache, and the
// last quarter to the Go heap's room between collections, which
// MemoryLimit adds to the soft limit. A loaded validator's Go memory sits
// at its soft limit, so the collector runs as often as the heap's room
// allows: paired runs (make bench --l1-pair-*) measured 30 MiB more room
// at 7 % less CPU per finalized transfer, and the devnet's 16 MiB block
// cache answered 87 % of its reads where 8 MiB answered 86.5 %. So a
// quarter moved from the block cache to the heap's room cost 4 % less CPU
// per transfer (two swapped pairs of runs: 2.6 and 5.8 %) at the same
// resident size (issue 17, session 32).
func ValidatorCacheSizes(mib int) (trie, block int64, err error) {
	trie, block, err = CacheSizes(mib)
	if err != nil {
		return 0, 0, err
	}
	return trie, block / 2, nil
}

// memoryBaseMiB is the part of the Go runtime's soft memory limit that does
// not grow with --cache: the pool, the blocks in flight, gossip queues and
// the garbage of executing and committing a block. With 64 an old devnet
// validator under load collected 2–3 times a second and the collector and
// allocator took a fifth of its CPU; 80 halves the collections for about
// 15 MiB more resident (184 MiB under load, issue 17). 88 since the C
// allocator keeps one arena and gives freed memtables back (package
// cmalloc); 96 read 195–199 MiB then (session 26). 96 since the block cache
// is a quarter of --cache (ValidatorCacheSizes): a loaded devnet validator
// held 186–190 MiB with it against 177–181 with 88, and spent 2.6 % less
// CPU per finalized transfer (a swapped pair of paired runs; issue 17,
// session 32), the rest kept as the margin under the 200 MiB goal.
const memoryBaseMiB = 96

// MemoryLimit returns the Go runtime's soft memory limit, in bytes, for a
// validator given --cache (MiB): memoryBaseMiB plus twice the trie-node
// cache's share, which lives in the Go heap (statedb's node cache: its
// nodes, and the garbage their churn leaves between collections), plus
// the quarter of --cache ValidatorCacheSizes leaves to the heap's room
// between collections. The block cache's share is not in it: pebble
// allocates its block cache and memtables outside the Go heap, so they
// count toward the resident set beside the limit, not within it (issue
// 17: once the block cache held blocks, a limit that also counted its
// share held a loaded validator at 210 MiB resident). Without a limit the heap grows to twice its live size before
// a collection and the pages are returned lazily, which under saturating
// load held 211–269 MiB resident per devnet validator.
func MemoryLimit(cacheMiB int) int64 {
	trie, block, err := ValidatorCacheSizes(cacheMiB)
	if err != nil {
		return int64(memoryBaseMiB) << 20
	}
	room := int64(cacheMiB)<<20 - trie - block
	return int64(memoryBaseMiB)<<20 + 2*trie + room
}

// ApplyMemoryLimit sets the Go runtime's soft memory limit from --cache
// (MemoryLimit) unless the GOMEMLIMIT environment variable chose one, and
// returns the limit in effect and whether it came from the environment.
func ApplyMemoryLimit(cacheMiB int) (limit int64, fromEnv bool) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return debug.SetMemoryLimit(-1), true
	}
	limit = MemoryLimit(cacheMiB)
	debug.SetMemoryLimit(limit)
	return limit, false
}

// gcPercent is the validator's GOGC: the heap may grow to four times its
// live size between collections, within the soft memory limit. With the
// default (100) a validator under load spent about a tenth of its CPU
// collecting; the limit, not the percentage, is what bounds its memory,
// and the collector runs more often only as the heap nears it (issue 17).
const gcPercent = 300

// ApplyGCPercent sets the Go collector's percentage (GOGC) to gcPercent
// unless the GOGC environment variable chose one, and returns the
// percentage in effect and whether it came from the environment.
func ApplyGCPercent() (percent int, fromEnv bool) {
	if os.Getenv("GOGC") != "" {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p, true
	}
	debug.SetGCPercent(gcPercent)
	return gcPercent, false
}
