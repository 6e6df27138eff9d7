package pebblestore

import (
	"log/slog"
	"runtime"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Defaults sized for a devnet machine that runs several nodes at once
// (issue 17: an idle devnet validator within 100 MiB resident, 200 MiB under
// load); a long-lived node passes a larger CacheSize (the validator's
// --cache flag).
const (
	// DefaultCacheSize is the block cache size.
	DefaultCacheSize = 32 << 20
	// DefaultMemTableSize is the size of one memtable with the default
	// cache: a quarter of the block cache (memTableShare).
	DefaultMemTableSize = DefaultCacheSize / memTableShare
	// maxMemTableSize bounds the memtable a large cache gives.
	maxMemTableSize = 64 << 20
	// DefaultMaxOpenFiles bounds the table file handles kept open.
	DefaultMaxOpenFiles = 1000
	// minCacheSize and minMemTableSize keep tiny settings workable.
	minCacheSize    = 8 << 20
	minMemTableSize = 4 << 20
)

// Options configure Open. The zero value gives the defaults above, the OS
// filesystem and slog.Default().
type Options struct {
	// CacheSize is the block cache size in bytes (0: DefaultCacheSize).
	CacheSize int64
	// MemTableSize is the size of one memtable in bytes; up to four may be
	// in memory at once (0: a quarter of CacheSize, from 4 to 64 MiB).
	MemTableSize uint64
	// MaxOpenFiles bounds open table files (0: DefaultMaxOpenFiles).
	MaxOpenFiles int
	// ReadOnly opens the database without write access.
	ReadOnly bool
	// Logger receives pebble's messages: its chatter at Debug, stalls and slow
	// disks at Warn, background errors and corruption at Error.
	Logger *slog.Logger
	// FS is the filesystem; nil means the OS filesystem. Tests pass
	// NewCrashableMemFS() to simulate crashes.
	FS vfs.FS
	// BlobRewriteMinimumAge is how old a blob file must be before its
	// garbage is reclaimed (0: DefaultBlobRewriteMinimumAge; negative: at
	// once, for tests).
	BlobRewriteMinimumAge time.Duration
	// L0CompactionFiles is how many flushed files level 0 collects before
	// a compaction merges them into the base level (0:
	// l0FilesPerCompaction; at least 4). Nodes sharing a machine and the
	// same data (a devnet's validators) pass different ones
	// (StaggeredL0CompactionFiles), so that their compactions, each a
	// rewrite of the whole base level, do not all run at once.
	L0CompactionFiles int
}

// StaggeredL0CompactionFiles is the L0CompactionFiles of the i-th of
// several nodes that hold the same data on one machine: l0FilesPerCompaction
// plus two files for each i, over four steps. The validators of a devnet
// flush and compact at the same heights, so with one setting each
// level-0 compaction (tens of megabytes rewritten past 100k accounts) ran
// on all four within a second or two, and the chain stalled while they
// shared the machine's cores (issue 17, session 30: the L1 bench's steps
// holding one read a third below their neighbours). With periods of 16,
// 18, 20 and 22 flushes their compactions drift apart by two flushes a
// cycle; none compacts more often than at the default.
func StaggeredL0CompactionFiles(i int) int {
	return l0FilesPerCompaction + 2*((i%4+4)%4)
}

// withDefaults fills unset fields.
func (o Options) withDefaults() Options {
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	o.CacheSize = max(o.CacheSize, minCacheSize)
	if o.MemTableSize == 0 {
		o.MemTableSize = min(uint64(o.CacheSize/memTableShare), maxMemTableSize)
	}
	o.MemTableSize = max(o.MemTableSize, minMemTableSize)
	if o.MaxOpenFiles == 0 {
		o.MaxOpenFiles = DefaultMaxOpenFiles
	}
	if o.L0CompactionFiles == 0 {
		o.L0CompactionFiles = l0FilesPerCompaction
	}
	o.L0CompactionFiles = max(o.L0CompactionFiles, minL0CompactionFiles)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FS == nil {
		o.FS = vfs.Default
	}
	switch {
	case o.BlobRewriteMinimumAge == 0:
		o.BlobRewriteMinimumAge = DefaultBlobRewriteMinimumAge
	case o.BlobRewriteMinimumAge < 0:
		o.BlobRewriteMinimumAge = 0
	}
	return o
}

// pebbleOptions translates o (with defaults applied) into pebble options.
// The returned cache must be Unref'd after Open.
func (o Options) pebbleOptions(log *slogLogger) (*pebble.Options, *pebble.Cache) {
	cache := pebble.NewCache(o.CacheSize + memTableReserve*int64(o.MemTableSize))
	opts := &pebble.Options{
		Cache:                       cache,
		MaxOpenFiles:                o.MaxOpenFiles,
		MemTableSize:                o.MemTableSize,
		MemTableStopWritesThreshold: 4,
		// Trie nodes are keyed by their hashes, so every flushed memtable
		// overlaps all of the base level, and each L0 compaction rewrites
		// it whole: the more flushed files one compaction merges, the less
		// often the base level is rewritten (l0FilesPerCompaction).
		L0CompactionThreshold:      2 * o.L0CompactionFiles,
		L0StopWritesThreshold:      6 * o.L0CompactionFiles,
		CompactionConcurrencyRange: func() (int, int) { return 1, max(1, runtime.NumCPU()/2) },
		FormatMajorVersion:         pebble.FormatNewest,
		ReadOnly:                   o.ReadOnly,
		FS:                         o.FS,
		Logger:                     log,
		EventListener:              log.eventListener(),
	}
	// Bloom filters make Get of absent keys (hash lookups) cheap; the last
	// level holds most data and most lookups that reach it hit.
	for i := range len(opts.Levels) - 1 {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	// Most of the data is trie nodes (hashes, which do not compress):
	// compressing them only costs CPU on every flush, compaction and read.
	for i := range opts.Levels {
		opts.Levels[i].Compression = func() *sstable.CompressionProfile { return sstable.NoCompression }
	}
	// Trie nodes are keyed by their hashes, so every compaction into a
	// level rewrites most of it: at 200k accounts compactions took a fifth
	// of a loaded validator's CPU (issue 17). Values go to blob files at
	// the flush instead and compactions move only keys and references.
	// Hash keys give the references no locality, so no reference depth
	// forces values to be rewritten; a blob file is rewritten only once a
	// fifth of it is garbage (records overwritten every height, such as
	// the consensus state's value blocks), which bounds the space those
	// take.
	rewriteAge := o.BlobRewriteMinimumAge
	opts.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{
			Enabled:               true,
			MinimumSize:           valueSeparationMinimum,
			MaxBlobReferenceDepth: 1 << 20,
			RewriteMinimumAge:     rewriteAge,
			TargetGarbageRatio:    blobGarbageRatio,
		}
	}
	return opts, cache
}

// memTableShare sizes the memtable against the block cache when Options
// leave it unset: a devnet validator's 16 MiB cache gets 4 MiB memtables,
// whose memory counts toward its resident set beside the cache's (issue
// 17: at most 200 MiB under load).
const memTableShare = 4

// l0FilesPerCompaction is how many flushed files L0 collects before they
// are compacted into the level below. Pebble v2 starts an L0 compaction
// once L0 is half as many files deep (sublevels) as its
// L0CompactionThreshold, so the threshold is twice this. With hash keys
// every L0 compaction rewrites the whole base level, which on a young
// chain is all of its tables, so its cost per block grows with the chain
// (issue 17). Until session 27 the threshold was 8, documented as eight
// files merged at once, where pebble merged four: at eight a growing
// state's blocks compacted a third to two fifths less (the growth
// benchmark, 1.2–1.4 against 2.0–2.1 MB a block) and a loaded devnet
// validator's compactions cost a quarter to two fifths less per transfer,
// for 4–6 MiB more resident. At sixteen (session 30) the growth
// benchmark's blocks compact half as much again (0.50 against 0.91–1.08
// MB a block over 110 blocks of 1,500 transfers, 0.66 against 1.57–2.28
// over the last twenty, at 135k–165k accounts) and take 5–9 % less, and
// a loaded devnet validator held no more (187 MiB after the plateau).
// Reads check up to that many more files, each behind a bloom filter;
// writes stall only at three times as many.
const l0FilesPerCompaction = 16

// minL0CompactionFiles is the fewest files Options.L0CompactionFiles may
// set: pebble's own default threshold is four sublevels.
const minL0CompactionFiles = 4

// memTableReserve is how many memtables' worth of memory the block cache
// is made larger by. Pebble charges every live memtable's size to the
// block cache (a memory bound for both), so a cache of CacheSize alone
// held nothing while the mutable memtable and the one being flushed were
// full: a devnet validator's 16 MiB cache against two 8 MiB memtables
// read every block from its file (issue 17: 154k block reads, 6 cache
// hits). The cache then holds CacheSize of blocks while up to this many
// memtables are live, less only while more wait to be flushed.
const memTableReserve = 2

// valueSeparationMinimum is the smallest value written to a blob file: a
// trie leaf of an account is about 80–110 bytes, a full branch 532.
const valueSeparationMinimum = 64

// blobGarbageRatio is the share of a blob file's values no longer
// referenced past which the file is rewritten.
const blobGarbageRatio = 0.2

// DefaultBlobRewriteMinimumAge is how old a blob file must be before it is
// rewritten to drop its garbage: younger files are often mostly garbage
// only briefly, while the compactions that drop their references run.
const DefaultBlobRewriteMinimumAge = time.Minute
