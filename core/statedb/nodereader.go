package statedb

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/triedb/database"
)

// cachedNodeDB is the trie node database of a DB with a node cache: it
// answers from the cache first, then from the staged states, then from
// disk, and caches what it read from the latter two.
type cachedNodeDB struct {
	cache   *nodeCache
	pending *pendingStates
	disk    ethdb.KeyValueReader
}

// NodeReader returns a reader of the state at stateRoot, or an error
// wrapping ErrMissingState if that state is neither cached, staged nor on
// disk.
func (db *cachedNodeDB) NodeReader(stateRoot common.Hash) (database.NodeReader, error) {
	if stateRoot != types.EmptyRootHash && !db.has(stateRoot) {
		return nil, fmt.Errorf("state %s: %w", stateRoot, ErrMissingState)
	}
	return &cachedNodeReader{db: db}, nil
}

// has reports whether the root node stateRoot is cached, staged or on disk.
func (db *cachedNodeDB) has(stateRoot common.Hash) bool {
	if db.cache.holds(common.Hash{}, nil, stateRoot) {
		return true
	}
	if db.pending.has(stateRoot) {
		return true
	}
	return rawdb.HasLegacyTrieNode(db.disk, stateRoot)
}

// cachedNodeReader reads trie nodes through a cachedNodeDB.
type cachedNodeReader struct {
	db *cachedNodeDB
}

// Node returns the blob of the node with hash at path in owner's trie, or
// nil if it is nowhere.
func (r *cachedNodeReader) Node(owner common.Hash, path []byte, hash common.Hash) ([]byte, error) {
	if blob, ok := r.db.cache.get(owner, path, hash); ok {
		return blob, nil
	}
	blob, ok := r.db.pending.node(hash)
	if !ok {
		blob = rawdb.ReadLegacyTrieNode(r.db.disk, hash)
	}
	if len(blob) > 0 {
		if isLeaf(blob) {
			r.db.cache.missedLeaf()
		}
		r.db.cache.put(owner, path, hash, blob)
	}
	return blob, nil
}
