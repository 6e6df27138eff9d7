package statedb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/ethereum/go-ethereum/triedb/database"
)

// A cached node is an entry in the cache's arena: a header of entryHeader
// bytes (its position, hash and blob length) followed by its blob; what
// eviction asks of it (whether it is a leaf, the round a commit last wrote
// it in) is in its index slot (entryRef). The arena is a list of chunks,
// each one allocation of arenaChunkSize bytes that holds no pointers, so
// the collector neither scans the cache nor marks its nodes one by one;
// the index from positions to entries is a map of integers, which it does
// not scan either.
const (
	entryHeader = 42
	// arenaChunkSize is a chunk's size: the largest of the allocator's
	// size classes, so chunks come from its spans and not as large
	// objects, whose runs of pages fragment the heap and make the runtime
	// return pages to the OS and fault them back in.
	arenaChunkSize = 32 << 10
	// shallowDepth is the deepest path at which a node is kept in a chunk
	// of its own: a block of a thousand transfers rewrites nearly every
	// node this near the root, so kept among others they would be most of
	// what compaction moves; alone, a superseded one frees its chunk.
	shallowDepth = 3
	// indexSlotCost is what an entry's index slot takes: a map[uint64]uint64
	// slot is 16 bytes and a control byte, at a load between 7/16 and 7/8.
	indexSlotCost = 32
	// nodeEntryOverhead is what a cached node costs beside its blob.
	nodeEntryOverhead = entryHeader + indexSlotCost
	// maxCachedBlob is the largest blob the cache holds (its length is a
	// uint16 in the header); a trie node is at most a few hundred bytes.
	maxCachedBlob = 1<<16 - 1
)

// The header's fields, at these offsets.
const (
	hdrPos  = 0  // uint64: the position (positionOf), to find the entry's index slot from the chunk
	hdrHash = 8  // the node's hash
	hdrLen  = 40 // uint16: the blob's length
)

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
// Its nodes live in an arena of chunks (entryHeader). A node dropped or
// superseded leaves its bytes in its chunk until compactLocked moves the
// chunk's live entries to the newest chunk and lets the chunk go. A
// chunk's bytes are never written again once an entry is in them, so a
// blob the cache returned stays as it was for as long as its holder keeps
// it (the trie keeps slices of the blobs it decodes), and the collector
// frees a chunk only when no such slice is left.
//
// It is safe for concurrent use.
type nodeCache struct {
	mu    sync.Mutex
	seed  maphash.Seed
	index map[uint64]entryRef // by the hash of the node's position (positionOf)
	// chunks are the arena's chunks by their number (nil: a number free
	// for a new chunk); head is the one entries are appended to.
	chunks  []*arenaChunk
	freeIDs []uint32 // numbers of freed chunks, for new ones
	head    uint32
	size    int // bytes charged to the budget for the entries in the index
	dead    int // bytes of entries no longer in the index, still in their chunks
	budget  int

	hits, misses uint64
	leafMisses   uint64 // misses whose node, read elsewhere, was a leaf

	// round counts the evictions (makeRoomLocked runs that dropped
	// entries), from 1: a leaf reused in the current round is kept.
	round uint32
}

// arenaChunk is one allocation of the arena: its entries, one after
// another, in buf, and how many of buf's bytes are entries still in the
// index. A single chunk holds one shallow node (shallowDepth) and is let
// go when the node leaves the index.
type arenaChunk struct {
	buf    []byte
	live   int
	single bool
}

// entryRef is an entry's index slot: where it is (its offset in its chunk
// in the low refOffsetBits, then its chunk's number), whether it is a leaf
// (refLeaf) and the eviction round in which a commit wrote it over a
// cached one (reusedIn; 0 if none), so that eviction reads no entry.
type entryRef uint64

const (
	refOffsetBits = 16 // a chunk is at most arenaChunkSize, or one entry
	refChunkBits  = 28
	refWhere      = 1<<(refOffsetBits+refChunkBits) - 1
	refLeaf       = 1 << (refOffsetBits + refChunkBits)
	refRoundShift = refOffsetBits + refChunkBits + 1
	// refRoundMask keeps the low bits of a round: a leaf written again
	// exactly that many rounds ago is kept once more, which is harmless.
	refRoundMask = 1<<(64-refRoundShift) - 1
)

func makeRef(chunk uint32, off int) entryRef {
	return entryRef(uint64(chunk)<<refOffsetBits | uint64(off))
}
func (r entryRef) chunk() uint32    { return uint32(r>>refOffsetBits) & (1<<refChunkBits - 1) }
func (r entryRef) offset() int      { return int(r & (1<<refOffsetBits - 1)) }
func (r entryRef) where() entryRef  { return r & refWhere }
func (r entryRef) leaf() bool       { return r&refLeaf != 0 }
func (r entryRef) reusedIn() uint32 { return uint32(r>>refRoundShift) & refRoundMask }
func roundBits(round uint32) uint32 { return round & refRoundMask }
func (r entryRef) withLeaf(leaf bool) entryRef {
	if leaf {
		return r | refLeaf
	}
	return r &^ refLeaf
}
func (r entryRef) withReusedIn(round uint32) entryRef {
	return r&^(refRoundMask<<refRoundShift) | entryRef(roundBits(round))<<refRoundShift
}

// newNodeCache returns an empty cache of budget bytes.
func newNodeCache(budget int) *nodeCache {
	c := &nodeCache{seed: maphash.MakeSeed(), index: make(map[uint64]entryRef), budget: budget, round: 1}
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

// charge is what an entry of blob costs the budget.
func charge(blob []byte) int { return len(blob) + nodeEntryOverhead }

// entryLocked returns the header and the blob of the entry at ref. The
// blob's capacity ends with it, so an append to it cannot reach the next
// entry.
func (c *nodeCache) entryLocked(ref entryRef) (header, blob []byte) {
	buf := c.chunks[ref.chunk()].buf
	off := ref.offset()
	header = buf[off : off+entryHeader : off+entryHeader]
	n := int(binary.LittleEndian.Uint16(header[hdrLen:]))
	return header, buf[off+entryHeader : off+entryHeader+n : off+entryHeader+n]
}

// lookupLocked returns the blob cached at pos if its node has hash.
func (c *nodeCache) lookupLocked(pos uint64, hash common.Hash) ([]byte, bool) {
	ref, ok := c.index[pos]
	if !ok {
		return nil, false
	}
	header, blob := c.entryLocked(ref)
	if !bytes.Equal(header[hdrHash:hdrHash+common.HashLength], hash[:]) {
		return nil, false
	}
	return blob, true
}

// get returns the blob of the node at path in owner's trie if the cached node
// there has hash.
func (c *nodeCache) get(owner common.Hash, path []byte, hash common.Hash) ([]byte, bool) {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	blob, ok := c.lookupLocked(pos, hash)
	if !ok {
		c.misses++
		return nil, false
	}
	c.hits++
	return blob, true
}

// holds reports whether the node at path in owner's trie is cached with
// hash, without counting a hit or a miss: a check that a state exists is
// not a read of its nodes.
func (c *nodeCache) holds(owner common.Hash, path []byte, hash common.Hash) bool {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.lookupLocked(pos, hash)
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
	if ref, ok := c.index[pos]; ok {
		c.dropLocked(pos, ref)
	}
	if len(blob) == 0 || len(blob) > maxCachedBlob {
		return
	}
	var ref entryRef
	if shallow {
		ref = c.appendSingleLocked(pos, hash, blob)
	} else {
		ref = c.appendLocked(pos, hash, blob)
	}
	ref = ref.withLeaf(leaf)
	if reused {
		ref = ref.withReusedIn(c.round)
	}
	c.index[pos] = ref
	c.size += charge(blob)
	c.compactLocked()
}

// appendLocked writes an entry into the head chunk, starting a new head
// when it is full, and returns where the entry is.
func (c *nodeCache) appendLocked(pos uint64, hash common.Hash, blob []byte) entryRef {
	n := entryHeader + len(blob)
	head := c.chunks[c.head]
	if len(head.buf)+n > cap(head.buf) {
		c.head = c.newChunkLocked(max(arenaChunkSize, n), false)
		head = c.chunks[c.head]
	}
	off := len(head.buf)
	head.buf = head.buf[:off+n]
	writeEntry(head.buf[off:off+n], pos, hash, blob)
	head.live += n
	return makeRef(c.head, off)
}

// appendSingleLocked writes an entry into a chunk of its own and returns
// where it is.
func (c *nodeCache) appendSingleLocked(pos uint64, hash common.Hash, blob []byte) entryRef {
	n := entryHeader + len(blob)
	id := c.newChunkLocked(n, true)
	ch := c.chunks[id]
	ch.buf = ch.buf[:n]
	writeEntry(ch.buf, pos, hash, blob)
	ch.live = n
	return makeRef(id, 0)
}

// writeEntry writes an entry's header and blob into e, which is exactly
// their size.
func writeEntry(e []byte, pos uint64, hash common.Hash, blob []byte) {
	binary.LittleEndian.PutUint64(e[hdrPos:], pos)
	copy(e[hdrHash:], hash[:])
	binary.LittleEndian.PutUint16(e[hdrLen:], uint16(len(blob)))
	copy(e[entryHeader:], blob)
}

// newChunkLocked adds an empty chunk of capacity size, single or not,
// under a free number and returns the number.
func (c *nodeCache) newChunkLocked(size int, single bool) uint32 {
	ch := &arenaChunk{buf: make([]byte, 0, size), single: single}
	if n := len(c.freeIDs); n > 0 {
		id := c.freeIDs[n-1]
		c.freeIDs = c.freeIDs[:n-1]
		c.chunks[id] = ch
		return id
	}
	c.chunks = append(c.chunks, ch)
	return uint32(len(c.chunks) - 1)
}

// freeChunkLocked lets chunk id go and makes its number free.
func (c *nodeCache) freeChunkLocked(id uint32) {
	c.chunks[id] = nil
	c.freeIDs = append(c.freeIDs, id)
}

// dropLocked takes the entry at ref, the one at pos, out of the index; its
// bytes stay in its chunk, dead, until the chunk is compacted.
func (c *nodeCache) dropLocked(pos uint64, ref entryRef) {
	_, blob := c.entryLocked(ref)
	n := entryHeader + len(blob)
	c.size -= charge(blob)
	delete(c.index, pos)
	if ch := c.chunks[ref.chunk()]; ch.single {
		c.freeChunkLocked(ref.chunk())
	} else {
		ch.live -= n
		c.dead += n
	}
}

// compactLocked, once the dead bytes exceed a quarter of the budget, moves
// the live entries of the chunks that are least live to the head and lets
// those chunks go, until the dead bytes are under an eighth of the budget.
// Each chunk given up is at most half live, so moving its entries costs at
// most what it frees. The chunks given up stay allocated while the blobs
// read from them are held.
func (c *nodeCache) compactLocked() {
	if c.dead <= c.budget/4 {
		return
	}
	var victims []uint32
	for i, ch := range c.chunks {
		if ch != nil && !ch.single && uint32(i) != c.head && ch.live*2 <= len(ch.buf) {
			victims = append(victims, uint32(i))
		}
	}
	slices.SortFunc(victims, func(a, b uint32) int {
		return cmp.Compare(c.chunks[a].live*len(c.chunks[b].buf), c.chunks[b].live*len(c.chunks[a].buf))
	})
	for _, id := range victims {
		if c.dead <= c.budget/8 {
			return
		}
		ch := c.chunks[id]
		wasDead := len(ch.buf) - ch.live
		for off := 0; off < len(ch.buf); {
			e := ch.buf[off:]
			pos := binary.LittleEndian.Uint64(e[hdrPos:])
			n := entryHeader + int(binary.LittleEndian.Uint16(e[hdrLen:]))
			if ref, ok := c.index[pos]; ok && ref.where() == makeRef(id, off) {
				var hash common.Hash
				copy(hash[:], e[hdrHash:])
				c.index[pos] = c.appendLocked(pos, hash, e[entryHeader:n]) | ref&^refWhere
				ch.live -= n
			}
			off += n
		}
		c.dead -= wasDead
		c.freeChunkLocked(id)
	}
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
	round := roundBits(c.round)
	passes := []func(entryRef) bool{
		func(r entryRef) bool { return r.reusedIn() != round && r.leaf() },
		func(r entryRef) bool { return r.reusedIn() != round },
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

// forget drops the node at path in owner's trie if the cached one there has
// hash.
func (c *nodeCache) forget(owner common.Hash, path []byte, hash common.Hash) {
	var buf nodeKeyBuf
	pos := c.positionOf(nodeKey(&buf, owner, path))
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.lookupLocked(pos, hash); ok {
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
	need, leaves := 0, 0
	for owner, set := range nodes.Sets {
		for path, n := range set.Nodes {
			switch {
			case len(n.Blob) == 0:
			case isLeaf(n.Blob):
				leaves += charge(n.Blob)
				// A leaf written over a cached one is an account in use:
				// the room made below keeps it.
				pos := c.positionOf(nodeKey(&buf, owner, []byte(path)))
				if ref, ok := c.index[pos]; ok {
					c.index[pos] = ref.withReusedIn(c.round)
				}
			default:
				need += charge(n.Blob)
			}
		}
	}
	newLeaves := c.size+need+leaves <= c.budget
	c.makeRoomLocked(min(need, c.budget))
	for owner, set := range nodes.Sets {
		for path, n := range set.Nodes {
			pos := c.positionOf(nodeKey(&buf, owner, []byte(path)))
			_, cached := c.index[pos]
			leaf := len(n.Blob) > 0 && isLeaf(n.Blob)
			if leaf && !cached && !newLeaves {
				continue
			}
			c.setLocked(pos, len(path) <= shallowDepth, n.Hash, n.Blob, leaf, leaf && cached)
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
	return c.hits, c.misses, len(c.index), c.size
}

// arenaBytes returns the bytes the cache's chunks take: its entries, the
// dead ones not yet compacted away and the head chunk's free room.
func (c *nodeCache) arenaBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, ch := range c.chunks {
		if ch != nil {
			n += cap(ch.buf)
		}
	}
	return n
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
