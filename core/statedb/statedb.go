package statedb

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/triedb"
	"github.com/ethereum/go-ethereum/triedb/hashdb"
)

// ErrMissingState is returned when a state root is not present in the
// database (never committed, or the database is incomplete).
var ErrMissingState = errors.New("state not available")

// DB is a state database over an ethdb.Database using the hash trie scheme.
// It is safe for concurrent use to the extent go-ethereum's trie database is:
// many readers, one committer at a time.
type DB struct {
	disk    ethdb.Database
	kv      ethdb.KeyValueStore // where flushed trie nodes are written: disk, or the store under it (NewCachedKV)
	triedb  *triedb.Database
	state   state.Database
	nodes   *nodeCache     // nil without a cache
	pending *pendingStates // staged states' nodes; nil without a cache
}

// New returns a state database over disk with the hash trie scheme and no
// pruning.
func New(disk ethdb.Database) *DB { return NewCached(disk, 0) }

// NewCached is New with a cache of up to cacheBytes of the newest states'
// trie nodes in front of disk (a nodeCache, in place of the trie database's
// own clean cache), so executing blocks reads the live trie from memory
// instead of the database. A DB must be closed when done.
func NewCached(disk ethdb.Database, cacheBytes int) *DB {
	tdb := triedb.NewDatabase(disk, &triedb.Config{HashDB: &hashdb.Config{}})
	code := state.NewCodeDB(disk)
	mpt := state.NewMPTDatabase(tdb, code)
	db := &DB{disk: disk, kv: disk, triedb: tdb, state: mpt}
	if cacheBytes > 0 {
		db.nodes, db.pending = newNodeCache(cacheBytes), newPendingStates()
		db.state = newCachedDatabase(mpt, code, disk, db.nodes, db.pending)
	}
	return db
}

// NewCachedKV is NewCached over kv as a database (rawdb.NewDatabase), with
// each flushed state's trie nodes written in a batch of kv's own, which the
// database wrapper would hide: a write-once batch where kv has them
// (ethdbadapter.Database.NewWriteOnceBatch), which the pebble store
// commits without a copy kept for a Replay that never comes (a block's
// nodes, megabytes, were copied whole; issue 17).
func NewCachedKV(kv ethdb.KeyValueStore, cacheBytes int) *DB {
	db := NewCached(rawdb.NewDatabase(kv), cacheBytes)
	db.kv = kv
	return db
}

// Rules returns the fixed fork rules bilayer runs its StateDBs with: EIP-158
// empty-account deletion and Cancun's ban on storage wiping. Every
// Finalise/IntermediateRoot/Commit call in bilayer uses these rules.
func Rules() params.Rules {
	return params.Rules{
		IsHomestead: true, IsEIP150: true, IsEIP155: true, IsEIP158: true,
		IsByzantium: true, IsConstantinople: true, IsPetersburg: true,
		IsIstanbul: true, IsBerlin: true, IsLondon: true,
		IsMerge: true, IsShanghai: true, IsCancun: true,
	}
}

// StateAt opens a mutable StateDB at root. It fails with ErrMissingState when
// the root's trie node is not in the database.
func (d *DB) StateAt(root common.Hash) (*state.StateDB, error) {
	var sdb *state.StateDB
	var err error
	if cached, ok := d.state.(*cachedDatabase); ok {
		sdb, err = cached.stateAt(root)
	} else {
		sdb, err = state.New(root, d.state)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w: %w", root, ErrMissingState, err)
	}
	return sdb, nil
}

// Commit writes the StateDB's changes and flushes the trie nodes reachable
// from the new root to disk: call it once per block. The StateDB must not be
// used afterwards; open a new one with StateAt.
func (d *DB) Commit(sdb *state.StateDB, blockNumber uint64) (common.Hash, error) {
	root, err := d.Stage(sdb, blockNumber)
	if err != nil {
		return common.Hash{}, err
	}
	if err := d.Flush(root, blockNumber); err != nil {
		return common.Hash{}, err
	}
	return root, nil
}

// Stage is the first half of Commit: it writes the StateDB's changes into
// the trie database's memory and returns the new root. The state at that
// root can be opened at once (StateAt), before it is on disk; Flush writes
// it there, or Discard drops it. The StateDB must not be used afterwards.
func (d *DB) Stage(sdb *state.StateDB, blockNumber uint64) (common.Hash, error) {
	if err := sdb.Error(); err != nil {
		return common.Hash{}, fmt.Errorf("commit state of block %d: %w", blockNumber, err)
	}
	root, err := sdb.Commit(Rules(), blockNumber)
	if err != nil {
		return common.Hash{}, fmt.Errorf("commit state of block %d: %w", blockNumber, err)
	}
	return root, nil
}

// Flush writes the trie nodes of a staged root to disk (the second half of
// Commit).
func (d *DB) Flush(root common.Hash, blockNumber uint64) error {
	if d.pending != nil {
		if err := d.pending.flush(d.kv, root); err != nil {
			return fmt.Errorf("flush trie of block %d: %w", blockNumber, err)
		}
		return nil
	}
	if err := d.triedb.Commit(root, false); err != nil {
		return fmt.Errorf("flush trie of block %d (root %s): %w", blockNumber, root, err)
	}
	return nil
}

// Discard drops from memory the trie nodes of a staged root that is never
// to be flushed; nodes another staged or flushed root holds stay.
func (d *DB) Discard(root common.Hash) error {
	if d.pending != nil {
		if d.pending.discard(root) && !rawdb.HasLegacyTrieNode(d.disk, root) {
			d.nodes.forget(common.Hash{}, nil, root)
		}
		return nil
	}
	if err := d.triedb.Dereference(root); err != nil {
		return fmt.Errorf("discard state %s: %w", root, err)
	}
	return nil
}

// HasState reports whether the state with the given root is available.
func (d *DB) HasState(root common.Hash) bool {
	if d.pending != nil && d.pending.has(root) {
		return true
	}
	_, err := d.triedb.NodeReader(root)
	return err == nil
}

// StateDatabase returns the underlying go-ethereum state database (for
// eth_getProof and other read paths that need tries directly).
func (d *DB) StateDatabase() state.Database { return d.state }

// TrieDB returns the underlying trie database.
func (d *DB) TrieDB() *triedb.Database { return d.triedb }

// Close releases the trie database's caches. It does not close the disk
// database, which the caller owns.
func (d *DB) Close() error {
	if err := d.triedb.Close(); err != nil {
		return fmt.Errorf("close trie database: %w", err)
	}
	return nil
}

// NodeCacheStats is what the trie-node cache of a DB has done so far.
type NodeCacheStats struct {
	// Hits and Misses count node reads answered and not answered from it;
	// LeafMisses counts the misses whose node was a leaf (the rest are
	// branches and extensions).
	Hits, Misses, LeafMisses uint64
	// Entries is the number of nodes it holds, Bytes what they are charged
	// against its budget (blobs, keys and bookkeeping).
	Entries, Bytes int
	// ArenaBytes is the memory its chunks take: the nodes it holds, the
	// dropped ones not yet compacted away and the newest chunk's free room.
	ArenaBytes int
	// Compactions counts the times its arena was compacted (chunks mostly
	// dead given up, their live nodes moved).
	Compactions uint64
}

// NodeCacheStats returns the trie-node cache's counts (zero without one).
func (d *DB) NodeCacheStats() NodeCacheStats {
	if d.nodes == nil {
		return NodeCacheStats{}
	}
	h, m, e, b := d.nodes.stats()
	return NodeCacheStats{Hits: h, Misses: m, LeafMisses: d.nodes.leafMissCount(), Entries: e, Bytes: b, ArenaBytes: d.nodes.arenaBytes(),
		Compactions: d.nodes.compactionCount()}
}
