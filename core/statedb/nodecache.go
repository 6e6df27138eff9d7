package statedb

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/ethereum/go-ethereum/triedb/database"
)

// nodeEntryOverhead is what a cached node costs beside its blob and key:
// the map slot (key header, hash, blob header) and allocation rounding.
const nodeEntryOverhead = 96

// nodeCache holds the trie nodes of the newest states by their position
// (the trie's owner and the node's path), each with its hash, within a byte
// budget. A read asks for a node by position and hash and is answered only
// when the cached node at that position has that hash, so a node of another
// state at the same position is never returned: the cache needs no
// invalidation to be correct, only to stay useful.
//
// It replaces go-ethereum's hash-keyed clean cache (issue 17). That cache is
// a ring buffer that every flushed node enters, so in an archive chain the
// superseded versions of every rewritten node push the live ones out within
// a few dozen blocks, and the reads of untouched accounts go to disk. Here a
// committed node takes the place of the node it supersedes at its path, so
// the budget holds live nodes only.
//
// It is safe for concurrent use.
type nodeCache struct {
	mu     sync.Mutex
	seed   maphash.Seed
	nodes  map[uint64]cachedNode // by the hash of the node's position (positionOf)
	size   int                   // bytes charged to the budget
	budget int

	hits, misses uint64
	leafMisses   uint64 // misses whose node, read elsewhere, was a leaf

	// round counts the evictions (makeRoomLocked runs that dropped
	// entries), from 1: a leaf reused in the current round is kept.
	round uint32
}

// cachedNode is a node blob and its hash, the length of its position's key
// (for the budget), whether it is a leaf, and when a commit last wrote it
// over a cached one.
type cachedNode struct {
	hash   common.Hash
	blob   []byte
	keyLen int16 // at most an owner hash and 64 nibbles
	// leaf is isLeaf(blob), decided once when the node enters: an
	// eviction asks it of the entries it passes, and parsing each blob
	// again made a round on a full 32 MiB cache take 6.6 ms instead of
	// 2.9 (BenchmarkNodeCacheEviction, issue 17).
	leaf bool
	// reusedIn is the eviction round in which a commit wrote this leaf
	// over a cached one; such a leaf is kept by that round.
	reusedIn uint32
}

// newNodeCache returns an empty cache of budget bytes.
func newNodeCache(budget int) *nodeCache {
	return &nodeCache{seed: maphash.MakeSeed(), nodes: make(map[uint64]cachedNode), budget: budget, round: 1}
}

// nodeKeyBuf is room for an owner hash and a path of up to 64 nibbles, so
// that building a key for a lookup does not allocate.
type nodeKeyBuf [common.HashLength + 64]byte

// nodeKey writes the key of the node at path in owner's trie into buf: the
// account trie's nodes (owner zero) by their path alone, a storage trie's by
// the owner and the path.
func nodeKey(buf *nodeKeyBuf, owner common.Hash, path []byte) []byte {
	if owner == (common.Hash{}) {
		return append(buf[:0], path...)
	}
	return append(append(buf[:0], owner[:]...), path...)
}

// nodeKeyLen is the length of nodeKey's key, without building it.
func nodeKeyLen(owner common.Hash, path string) int32 {
	if owner == (common.Hash{}) {
		return int32(len(path))
	}
	return int32(common.HashLength + len(path))
}

// positionOf hashes a node's key (nodeKey) to the map's key. The map holds
// no key strings, so the collector has half the objects to mark. Two
// positions with one hash share an entry: a read of either is then answered
// only if the node there is the one it asks for (by node hash), so a
// collision costs a miss, never a wrong node.
func (c *nodeCache) positionOf(key []byte) uint64 { return maphash.Bytes(c.seed, key) }

// charge is what an entry costs the budget.
func charge(keyLen int32, blob []byte) int { return int(keyLen) + len(blob) + nodeEntryOverhead }

// get returns the blob of the node at path in owner's trie if the cached node
// there has hash.
func (c *nodeCache) get(owner common.Hash, path []byte, hash common.Hash) ([]byte, bool) {
	var buf nodeKeyBuf
	key := nodeKey(&buf, owner, path)
	pos := c.positionOf(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[pos]
	if !ok || n.hash != hash {
		c.misses++
		return nil, false
	}
	c.hits++
	return n.blob, true
}

// holds reports whether the node at path in owner's trie is cached with
// hash, without counting a hit or a miss: a check that a state exists is
// not a read of its nodes.
func (c *nodeCache) holds(owner common.Hash, path []byte, hash common.Hash) bool {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.nodes[pos]
	return ok && n.hash == hash
}

// put caches blob, whose hash is hash, as the node at path in owner's trie,
// in place of whatever was cached there. The blob must not be modified
// afterwards.
func (c *nodeCache) put(owner common.Hash, path []byte, hash common.Hash, blob []byte) {
	var buf nodeKeyBuf
	key := nodeKey(&buf, owner, path)
	pos := c.positionOf(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.makeRoomLocked(charge(int32(len(key)), blob))
	c.setLocked(pos, int32(len(key)), hash, blob, isLeaf(blob), false)
}

// putIfRoom caches a copy of blob, whose hash is hash, as the node at path
// in owner's trie if it fits in the budget as it is, without dropping
// anything for it, and reports whether it did.
func (c *nodeCache) putIfRoom(owner common.Hash, path []byte, hash common.Hash, blob []byte) bool {
	var buf nodeKeyBuf
	key := nodeKey(&buf, owner, path)
	pos := c.positionOf(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size+charge(int32(len(key)), blob) > c.budget {
		return false
	}
	c.setLocked(pos, int32(len(key)), hash, bytes.Clone(blob), isLeaf(blob), false)
	return true
}

// setLocked replaces the entry at pos, whose key is keyLen bytes, with
// blob, a leaf or not (isLeaf), marking it reused in this eviction round or
// not; an empty blob deletes it.
func (c *nodeCache) setLocked(pos uint64, keyLen int32, hash common.Hash, blob []byte, leaf, reused bool) {
	if old, ok := c.nodes[pos]; ok {
		c.size -= charge(int32(old.keyLen), old.blob)
		delete(c.nodes, pos)
	}
	if len(blob) == 0 {
		return
	}
	n := cachedNode{hash: hash, blob: blob, keyLen: int16(keyLen), leaf: leaf}
	if reused {
		n.reusedIn = c.round
	}
	c.nodes[pos] = n
	c.size += charge(keyLen, blob)
}

// makeRoomLocked drops entries until need more bytes fit in the budget,
// with an eighth of the budget to spare so that the next puts do not each
// shrink the cache. Leaves go first: a leaf serves the reads of one
// account, a branch those of every account below it (issue 17: at 200k
// accounts six in ten misses were branch nodes, evicted at random beside
// the leaves of accounts read once). A leaf a commit wrote again in this
// round (an account in use) is kept while anything else can go. Within
// each pass the entries dropped are a random sample (Go's map iteration
// starts at a random entry); the nodes near the root, which every block
// rewrites, come back with the next commit.
func (c *nodeCache) makeRoomLocked(need int) {
	if c.size+need <= c.budget {
		return
	}
	target := c.budget - c.budget/8 - need
	defer func() { c.round++ }()
	passes := []func(cachedNode) bool{
		func(n cachedNode) bool { return n.reusedIn != c.round && n.leaf },
		func(n cachedNode) bool { return n.reusedIn != c.round },
		func(cachedNode) bool { return true },
	}
	for _, drop := range passes {
		for pos, n := range c.nodes {
			if c.size <= target {
				return
			}
			if drop(n) {
				c.size -= charge(int32(n.keyLen), n.blob)
				delete(c.nodes, pos)
			}
		}
	}
}

// forget drops the node at path in owner's trie if the cached one there has
// hash.
func (c *nodeCache) forget(owner common.Hash, path []byte, hash common.Hash) {
	var buf nodeKeyBuf
	key := nodeKey(&buf, owner, path)
	pos := c.positionOf(key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if n, ok := c.nodes[pos]; ok && n.hash == hash {
		c.setLocked(pos, int32(len(key)), hash, nil, false, false)
	}
}

// commit caches the nodes a state commit wrote (and forgets those it
// deleted): they are the newest state's nodes at their paths. Once the
// budget is spent, a leaf the cache did not hold at its position is left
// out rather than make room: most of a block's new leaves are accounts it
// created, read again rarely, and at two a transfer they pushed out the
// branch nodes every read walks through (issue 17: at 200k accounts a
// transfer missed the cache about once, a pebble read of 65–80 µs). Such a
// leaf enters when it is first read; one already cached (an account written
// again) is replaced, so its next read hits.
func (c *nodeCache) commit(nodes *trienode.MergedNodeSet) {
	if nodes == nil {
		return
	}
	var buf nodeKeyBuf
	c.mu.Lock()
	defer c.mu.Unlock()
	need, leaves := 0, 0
	for owner, set := range nodes.Sets {
		for path, n := range set.Nodes {
			switch {
			case len(n.Blob) == 0:
			case isLeaf(n.Blob):
				leaves += charge(nodeKeyLen(owner, path), n.Blob)
				// A leaf written over a cached one is an account in use:
				// the room made below keeps it.
				pos := c.positionOf(nodeKey(&buf, owner, []byte(path)))
				if old, ok := c.nodes[pos]; ok {
					old.reusedIn = c.round
					c.nodes[pos] = old
				}
			default:
				need += charge(nodeKeyLen(owner, path), n.Blob)
			}
		}
	}
	newLeaves := c.size+need+leaves <= c.budget
	c.makeRoomLocked(min(need, c.budget))
	for owner, set := range nodes.Sets {
		for path, n := range set.Nodes {
			key := nodeKey(&buf, owner, []byte(path))
			pos := c.positionOf(key)
			_, cached := c.nodes[pos]
			leaf := len(n.Blob) > 0 && isLeaf(n.Blob)
			if leaf && !cached && !newLeaves {
				continue
			}
			c.setLocked(pos, int32(len(key)), n.Hash, n.Blob, leaf, leaf && cached)
		}
	}
	// A commit larger than the budget: drop some of its own nodes.
	c.makeRoomLocked(0)
}

// isLeaf reports whether blob is a trie leaf: a node of two items whose
// key (hex-prefix encoded) ends the path. A branch has seventeen items and
// an extension's key does not end the path.
func isLeaf(blob []byte) bool {
	content, _, err := rlp.SplitList(blob)
	if err != nil {
		return false
	}
	key, rest, err := rlp.SplitString(content)
	if err != nil || len(key) == 0 {
		return false
	}
	if n, err := rlp.CountValues(rest); err != nil || n != 1 {
		return false
	}
	return key[0]&hexPrefixLeaf != 0
}

// hexPrefixLeaf is the flag of a hex-prefix encoded key's first nibble that
// marks a leaf's key.
const hexPrefixLeaf = 0x20

// stats returns the cache's hits and misses so far, its entries and the
// bytes charged to its budget.
func (c *nodeCache) stats() (hits, misses uint64, entries, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, len(c.nodes), c.size
}

// missedLeaf counts a miss whose node, read elsewhere, was a leaf.
func (c *nodeCache) missedLeaf() {
	c.mu.Lock()
	c.leafMisses++
	c.mu.Unlock()
}

// leafMissCount returns the misses counted by missedLeaf.
func (c *nodeCache) leafMissCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leafMisses
}

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
