package statedb

import (
	"bytes"
	"hash/maphash"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie/trienode"
)

// nodeCache holds the trie nodes of the newest states by their position
// (the trie's owner and the node's path), within a byte budget. A read asks
// for a node by position and hash and is answered only when the cached
// node at that position has that hash (stored with it, or for a short node
// computed from its blob: hashlessMax), so a node of another state at the
// same position is never returned: the cache needs no invalidation to be
// correct, only to stay useful.
//
// It replaces go-ethereum's hash-keyed clean cache (issue 17). That cache is
// a ring buffer that every flushed node enters, so in an archive chain the
// superseded versions of every rewritten node push the live ones out within
// a few dozen blocks, and the reads of untouched accounts go to disk. Here a
// committed node takes the place of the node it supersedes at its path, so
// the budget holds live nodes only.
//
// Its nodes live in an arena of chunks (entryHeader). A node dropped or
// superseded leaves its bytes in its chunk until compactLocked moves the
// chunk's live entries to the newest chunk and lets the chunk go. A
// chunk's bytes are never written again once an entry is in them, so a
// blob the cache returned stays as it was for as long as its holder keeps
// it (the trie keeps slices of the blobs it decodes), and the collector
// frees a chunk only when no such slice is left. An empty account's leaf
// is stored without its empty storage root and code hash (eoaSuffix) and
// returned as a copy with them.
//
// It is safe for concurrent use.
type nodeCache struct {
	mu   sync.Mutex
	seed maphash.Seed
	// hasher checks the nodes stored without their hash (matchesLocked).
	hasher crypto.KeccakState
	index  map[uint64]entryRef // by the hash of the node's position (positionOf)
	// chunks are the arena's chunks by their number (nil: a number free
	// for a new chunk); head is the one entries are appended to.
	chunks  []*arenaChunk
	freeIDs []uint32 // numbers of freed chunks, for new ones
	head    uint32
	size    int // bytes charged to the budget for the entries in the index
	dead    int // bytes of entries no longer in the index, still in their chunks
	budget  int
	// compactable counts the chunks compactLocked may give up
	// (compactableLocked). A chunk loses live bytes only once it is no
	// longer the head, so it becomes compactable once and stays so until
	// it is let go; with none, compactLocked does not look at the chunks.
	compactable int
	// compactions counts the compactLocked runs that looked for chunks to
	// give up.
	compactions uint64

	hits, misses uint64
	leafMisses   uint64 // misses whose node, read elsewhere, was a leaf

	// round counts the evictions (makeRoomLocked runs that dropped
	// entries), from 1: a leaf reused in the current round is kept.
	round uint32

	// committing is commit's list of the nodes it writes, kept for the
	// next commit's (emptied of them).
	committing []committedNode
}

// newNodeCache returns an empty cache of budget bytes.
func newNodeCache(budget int) *nodeCache {
	c := &nodeCache{seed: maphash.MakeSeed(), hasher: crypto.NewKeccakState(), index: make(map[uint64]entryRef), budget: budget, round: 1}
	c.chunks = []*arenaChunk{{buf: make([]byte, 0, arenaChunkSize)}}
	return c
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

// positionOf hashes a node's key (nodeKey) to the index's key. The cache
// holds no key strings. Two positions with one hash share an entry: a read
// of either is then answered only if the node there is the one it asks for
// (by node hash), so a collision costs a miss, never a wrong node.
func (c *nodeCache) positionOf(key []byte) uint64 { return maphash.Bytes(c.seed, key) }

// lookupLocked returns the stored form of the blob cached at pos if its
// node has hash, and whether its eoaSuffix was left out (blobOf).
func (c *nodeCache) lookupLocked(pos uint64, hash common.Hash) (stored []byte, elided, ok bool) {
	ref, ok := c.index[pos]
	if !ok {
		return nil, false, false
	}
	header, stored, elided, hashless := c.entryLocked(ref)
	if !c.matchesLocked(header, stored, elided, hashless, hash) {
		return nil, false, false
	}
	return stored, elided, true
}

// matchesLocked reports whether the entry of header and stored (without
// its eoaSuffix if elided) is the node with hash: by the hash in its
// header, or for a node stored without one (hashless) by hashing its blob.
func (c *nodeCache) matchesLocked(header, stored []byte, elided, hashless bool, hash common.Hash) bool {
	if !hashless {
		return bytes.Equal(header[hdrHash:hdrHash+common.HashLength], hash[:])
	}
	var got common.Hash
	c.hasher.Reset()
	c.hasher.Write(stored)
	if elided {
		c.hasher.Write(eoaSuffix)
	}
	c.hasher.Read(got[:])
	return got == hash
}

// get returns the blob of the node at path in owner's trie if the cached node
// there has hash.
func (c *nodeCache) get(owner common.Hash, path []byte, hash common.Hash) ([]byte, bool) {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	stored, elided, ok := c.lookupLocked(pos, hash)
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	// A leaf read is an account in use, as one a commit writes again:
	// the next room made keeps it (makeRoomLocked).
	if ref := c.index[pos]; ref.leaf() && ref.reusedIn() != roundBits(c.round) {
		c.index[pos] = ref.withReusedIn(c.round)
	}
	return blobOf(stored, elided), true
}

// holds reports whether the node at path in owner's trie is cached with
// hash, without counting a hit or a miss: a check that a state exists is
// not a read of its nodes.
func (c *nodeCache) holds(owner common.Hash, path []byte, hash common.Hash) bool {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _, ok := c.lookupLocked(pos, hash)
	return ok
}

// put caches a copy of blob, whose hash is hash, as the node at path in
// owner's trie, in place of whatever was cached there.
func (c *nodeCache) put(owner common.Hash, path []byte, hash common.Hash, blob []byte) {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.makeRoomLocked(charge(blob))
	c.setLocked(pos, len(path) <= shallowDepth, hash, blob, isLeaf(blob), false)
}

// putIfRoom caches a copy of blob, whose hash is hash, as the node at path
// in owner's trie if it fits in the budget as it is, without dropping
// anything for it, and reports whether it did.
func (c *nodeCache) putIfRoom(owner common.Hash, path []byte, hash common.Hash, blob []byte) bool {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.size+charge(blob) > c.budget || len(blob) > maxCachedBlob {
		return false
	}
	c.setLocked(pos, len(path) <= shallowDepth, hash, blob, isLeaf(blob), false)
	return true
}

// setLocked replaces the entry at pos with a copy of blob, a leaf or not
// (isLeaf), in a chunk of its own if shallow, marking it reused in this
// eviction round or not; an empty blob, or one too large to cache, deletes
// it.
func (c *nodeCache) setLocked(pos uint64, shallow bool, hash common.Hash, blob []byte, leaf, reused bool) {
	old, had := c.index[pos]
	c.replaceLocked(pos, old, had, shallow, hash, blob, leaf, reused)
}

// replaceLocked is setLocked for a caller that has looked pos up in the
// index: old is the entry there if had.
func (c *nodeCache) replaceLocked(pos uint64, old entryRef, had, shallow bool, hash common.Hash, blob []byte, leaf, reused bool) {
	if had {
		c.dropLocked(pos, old)
	}
	if len(blob) == 0 || len(blob) > maxCachedBlob {
		return
	}
	stored, elided := storedForm(blob)
	hashless := hashlessBlob(blob)
	var ref entryRef
	if shallow {
		ref = c.appendSingleLocked(hash, stored, elided, hashless)
	} else {
		ref = c.appendLocked(hash, stored, elided, hashless)
	}
	ref = ref.withLeaf(leaf)
	if reused {
		ref = ref.withReusedIn(c.round)
	}
	c.index[pos] = ref
	c.size += storedCharge(stored, hashless)
	c.compactLocked()
}

// makeRoomLocked drops entries until need more bytes fit in the budget,
// with an eighth of the budget to spare so that the next puts do not each
// shrink the cache. Leaves go first: a leaf serves the reads of one
// account, a branch those of every account below it (issue 17: at 200k
// accounts six in ten misses were branch nodes, evicted at random beside
// the leaves of accounts read once). A leaf a commit wrote again or a read
// found in the last keptRounds rounds (an account in use: a sender, read
// by admission and execution block after block) is kept while anything
// else can go; before reads counted (issue 17, session 29), a sender's
// leaf went at random with the cold ones, and the next block's admission
// read it from disk (at 100k accounts and more, about 50 µs a read). Within
// each pass the entries dropped are a random sample (Go's map iteration
// starts at a random entry); the nodes near the root, which every block
// rewrites, come back with the next commit.
func (c *nodeCache) makeRoomLocked(need int) {
	if c.size+need <= c.budget {
		return
	}
	target := c.budget - c.budget/8 - need
	defer func() { c.round++ }()
	passes := []func(entryRef) bool{
		func(r entryRef) bool { return !c.reusedLately(r) && r.leaf() },
		func(r entryRef) bool { return !c.reusedLately(r) },
		func(entryRef) bool { return true },
	}
	for _, drop := range passes {
		for pos, ref := range c.index {
			if c.size <= target {
				return
			}
			if drop(ref) {
				c.dropLocked(pos, ref)
			}
		}
	}
}

// keptRounds is how many eviction rounds, this one included, a leaf
// written again or read is kept for. A room is made about once a block
// on a full cache, so a single round was the rest of a block at most: a
// sender that skipped a block (the load's accounts each send about once
// a block) lost its leaf at random with the cold ones in the room made
// right after the commit that marked it, and admission then read it from
// pebble: a third of a plateau's trie-node reads from disk, 18 ms a
// second on one validator (issue 17, session 30).
const keptRounds = 4

// reusedLately reports whether the leaf at r was written again or read in
// the last keptRounds rounds (the current one included).
func (c *nodeCache) reusedLately(r entryRef) bool {
	at := r.reusedIn()
	return at != 0 && (roundBits(c.round)-at)&refRoundMask < keptRounds
}

// forget drops the node at path in owner's trie if the cached one there has
// hash.
func (c *nodeCache) forget(owner common.Hash, path []byte, hash common.Hash) {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, _, ok := c.lookupLocked(pos, hash); ok {
		c.dropLocked(pos, c.index[pos])
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
	// Each node's position and kind are worked out once, in the first
	// pass, for both (a block's commit writes thousands of nodes).
	nodesOf := c.committing[:0]
	defer func() {
		clear(nodesOf) // the node sets are not kept alive by the cache
		c.committing = nodesOf[:0]
	}()
	need, leaves := 0, 0
	for owner, set := range nodes.Sets {
		for path, n := range set.Nodes {
			e := committedNode{
				pos:     c.positionOf(nodeKey(&buf, owner, []byte(path))),
				node:    n,
				shallow: len(path) <= shallowDepth,
				leaf:    len(n.Blob) > 0 && isLeaf(n.Blob),
			}
			nodesOf = append(nodesOf, e)
			switch {
			case len(n.Blob) == 0:
			case e.leaf:
				leaves += charge(n.Blob)
				// A leaf written over a cached one is an account in use:
				// the room made below keeps it.
				if ref, ok := c.index[e.pos]; ok {
					c.index[e.pos] = ref.withReusedIn(c.round)
				}
			default:
				need += charge(n.Blob)
			}
		}
	}
	newLeaves := c.size+need+leaves <= c.budget
	c.makeRoomLocked(min(need, c.budget))
	for _, e := range nodesOf {
		old, cached := c.index[e.pos]
		if e.leaf && !cached && !newLeaves {
			continue
		}
		c.replaceLocked(e.pos, old, cached, e.shallow, e.node.Hash, e.node.Blob, e.leaf, e.leaf && cached)
	}
	// A commit larger than the budget: drop some of its own nodes.
	c.makeRoomLocked(0)
}

// committedNode is a node of a commit as commit works with it: its
// position, whether it is kept in a chunk of its own (shallowDepth) and
// whether it is a leaf.
type committedNode struct {
	pos     uint64
	node    *trienode.Node
	shallow bool
	leaf    bool
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
	if err != nil || len(key) == 0 || key[0]&hexPrefixLeaf == 0 {
		return false
	}
	// Exactly one item after the key: a branch's second item is followed
	// by fifteen more.
	_, _, after, err := rlp.Split(rest)
	return err == nil && len(after) == 0
}

// hexPrefixLeaf is the flag of a hex-prefix encoded key's first nibble that
// marks a leaf's key.
const hexPrefixLeaf = 0x20

// stats returns the cache's hits and misses so far, its entries and the
// bytes charged to its budget.
func (c *nodeCache) stats() (hits, misses uint64, entries, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits, c.misses, len(c.index), c.size
}

// missedLeaf counts a miss whose node, read elsewhere, was a leaf.
func (c *nodeCache) missedLeaf() {
	c.mu.Lock()
	c.leafMisses++
	c.mu.Unlock()
}

// compactionCount returns the compactLocked runs that looked at the
// chunks.
func (c *nodeCache) compactionCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.compactions
}

// leafMissCount returns the misses counted by missedLeaf.
func (c *nodeCache) leafMissCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leafMisses
}
