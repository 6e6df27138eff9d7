package statedb_test

import (
	"flag"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/pathdb"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/ethdbadapter"
	pebblestore "github.com/bilayer/bilayer/store/pebble"
)

// The path scheme's settings in BenchmarkBlocksAsTheStateGrowsPathScheme.
var (
	growthPathIndex    = flag.Bool("growth-path-index", true, "BenchmarkBlocksAsTheStateGrowsPathScheme: index the state history, so any past block's state can be read (the rollup's derivation reads L1 state at past blocks)")
	growthPathPersist  = flag.Bool("growth-path-persist", true, "BenchmarkBlocksAsTheStateGrowsPathScheme: write every block's state to disk with it (bilayer's durability), not after 128 blocks in memory")
	growthPathStateMiB = flag.Int("growth-path-statecache", 0, "BenchmarkBlocksAsTheStateGrowsPathScheme: pathdb's clean cache of flat accounts, MiB (taken from -growth-nodecache's trie-node share)")
)

// BenchmarkBlocksAsTheStateGrowsPathScheme is BenchmarkBlocksAsTheStateGrows
// (the same blocks, the same pebble sizes) on go-ethereum's path scheme
// (triedb/pathdb) instead of bilayer's hash-keyed trie: trie nodes keyed
// by their path and written over in place, so the database holds one
// state and does not grow with every block's new nodes; the state history
// goes to a freezer (append-only files) and, with -growth-path-index, an
// index in pebble that answers reads of any past block's state. The issue
// 17 sessions named this layout as the lever against the cost a block
// gains as the chain ages; this measures it against the same workload
// before any of bilayer moves to it. -growth-nodecache sizes pathdb's
// clean-node cache.
func BenchmarkBlocksAsTheStateGrowsPathScheme(b *testing.B) {
	perBlock := *growthPerBlock
	if perBlock < 1 {
		b.Fatalf("-growth-perblock %d: at least one transfer a block", perBlock)
	}
	chainID := big.NewInt(1337)
	kv, err := pebblestore.Open(b.TempDir(), pebblestore.Options{CacheSize: int64(*growthBlockCacheMiB) << 20, MemTableSize: uint64(*growthMemTableMiB) << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := kv.Close(); err != nil {
			b.Error(err)
		}
	}()
	disk, err := rawdb.Open(ethdbadapter.New(kv, store.TrieNamespace()), rawdb.OpenOptions{Ancient: filepath.Join(b.TempDir(), "ancient")})
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		if err := disk.Close(); err != nil {
			b.Error(err)
		}
	}()
	tdb := triedb.NewDatabase(disk, &triedb.Config{PathDB: &pathdb.Config{
		StateHistory: 0, TrienodeHistory: -1, EnableStateIndexing: *growthPathIndex, FullValueCheckpoint: 8,
		TrieCleanSize: max(0, *growthNodeCacheMiB-*growthPathStateMiB) << 20, StateCleanSize: *growthPathStateMiB << 20, WriteBufferSize: 4 << 20, NoAsyncFlush: true,
	}})
	defer func() {
		if err := tdb.Close(); err != nil {
			b.Error(err)
		}
	}()
	sdbs := state.NewDatabase(tdb, nil)
	load := newGrowthLoad(b, chainID, perBlock)
	genesis, err := state.New(types.EmptyRootHash, sdbs)
	if err != nil {
		b.Fatal(err)
	}
	for addr, acc := range load.alloc {
		genesis.SetBalance(addr, uint256.MustFromBig(acc.Balance), tracing.BalanceChangeUnspecified)
	}
	root, err := genesis.Commit(statedb.Rules(), 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := tdb.Commit(root, false); err != nil {
		b.Fatal(err)
	}
	cfg := execution.DefaultConfig(chainID)
	var perBlockTime, execTime []time.Duration
	var compactedAfter []int64
	for number := uint64(1); b.Loop(); number++ {
		b.StopTimer()
		txs, header := load.block(b, number)
		b.StartTimer()
		start := time.Now()
		sdb, err := state.New(root, sdbs)
		if err != nil {
			b.Fatal(err)
		}
		load.apply(b, cfg, sdb, header, txs)
		execTime = append(execTime, time.Since(start))
		if root, err = sdb.Commit(statedb.Rules(), number); err != nil {
			b.Fatal(err)
		}
		if *growthPathPersist {
			if err := tdb.Commit(root, false); err != nil {
				b.Fatal(err)
			}
		}
		perBlockTime = append(perBlockTime, time.Since(start))
		if st, err := kv.Stats(); err == nil {
			compactedAfter = append(compactedAfter, st.CompactedBytes)
		}
	}
	if reportGrowth(b, perBlockTime, execTime) {
		reportWrites(b, kv, compactedAfter)
	}
}
