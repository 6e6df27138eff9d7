package statedb

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// A cached node is an entry in the cache's arena: a header (its blob's
// length and, unless the blob is short, its hash) followed by its blob;
// what eviction asks of it (whether it is a leaf, the round a commit last
// wrote it in) is in its index slot (entryRef), and compaction finds an
// entry's slot by walking the index, so the entry does not hold its
// position. The arena is a list of
// chunks, each one allocation of arenaChunkSize bytes that holds no
// pointers, so the collector neither scans the cache nor marks its nodes
// one by one; the index from positions to entries is a map of integers,
// which it does not scan either.
//
// A node whose blob fits in one block of keccak (hashlessMax) is stored
// without its hash (hashlessHeader): a read checks it by hashing the blob
// instead (nodeCache.matchesLocked), which costs one permutation, well
// under a microsecond. Such are nearly all leaves (about 44 stored bytes
// on a devnet) and the branches with two or three children that most
// deepest branches of a large trie are; for them the 32 bytes of the hash
// were a fifth to a quarter of what an entry cost the budget, and without
// them the budget holds that many more, so the leaf a new account's key
// splits is read from pebble that much later in a growing chain (issue 17,
// session 39: at 16 MiB the cache filled near 85k accounts; with its
// position also left out of the header, an empty account's leaf costs
// 78 bytes instead of 118). The full
// branches near the root, four blocks of keccak each and read on every
// walk, keep their hash.
const (
	entryHeader = hdrHash + common.HashLength
	// hashlessHeader is a leaf's header: its position and length.
	hashlessHeader = hdrHash
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
	// nodeEntryOverhead is what a cached node costs beside its blob, and
	// hashlessEntryOverhead what one stored without its hash costs.
	nodeEntryOverhead     = entryHeader + indexSlotCost
	hashlessEntryOverhead = hashlessHeader + indexSlotCost
	// hashlessMax is the longest blob stored without its hash: keccak-256
	// absorbs 136 bytes a permutation and pads with at least one.
	hashlessMax = 135
	// maxCachedBlob is the largest blob the cache holds (its length is
	// the low 14 bits of a uint16 in the header, lenElided and
	// lenHashless the top two); a trie node is at most a few hundred
	// bytes.
	maxCachedBlob = lenHashless - 1
	// lenElided marks, in the header's length, an entry stored without
	// its blob's eoaSuffix.
	lenElided = 1 << 15
	// lenHashless marks, in the header's length, an entry whose header
	// holds no hash (hashlessMax).
	lenHashless = 1 << 14
)

// The header's fields, at these offsets.
const (
	hdrLen  = 0 // uint16: the stored blob's length, with lenElided if eoaSuffix was left out and lenHashless if no hash follows
	hdrHash = 2 // the node's hash, unless lenHashless
)

// eoaSuffix is how the leaf of every account with no code and no storage
// ends: its account's storage root and code hash, both the empty ones, as
// the last two items of the account's RLP, which is the leaf's last item.
// On a devnet nearly every leaf is such an account (a transfer's
// recipient), and the suffix is 66 of its about 110 bytes, so the arena
// stores such a blob without it and appends it again when the blob is
// read: the budget then holds about half as many leaves again (a leaf is
// charged about 118 bytes, not 184), and the reads of the leaves that new
// accounts split go to disk that much less often (issue 17, session 30).
// Any blob that ends so is stored shorter, a leaf or not; what a read
// returns is byte for byte what was put.
var eoaSuffix = slices.Concat([]byte{0x80 + common.HashLength}, types.EmptyRootHash[:], []byte{0x80 + common.HashLength}, types.EmptyCodeHash[:])

// storedForm returns the bytes the arena stores for blob, and whether
// they leave out its eoaSuffix.
func storedForm(blob []byte) (stored []byte, elided bool) {
	if len(blob) > len(eoaSuffix) && bytes.HasSuffix(blob, eoaSuffix) {
		return blob[:len(blob)-len(eoaSuffix)], true
	}
	return blob, false
}

// storedLen splits a header's length field into the stored blob's length,
// whether its eoaSuffix was left out and whether the header holds no hash.
func storedLen(header []byte) (n int, elided, hashless bool) {
	v := binary.LittleEndian.Uint16(header[hdrLen:])
	return int(v &^ (lenElided | lenHashless)), v&lenElided != 0, v&lenHashless != 0
}

// headerSize is the size of an entry's header, with a hash or without.
func headerSize(hashless bool) int {
	if hashless {
		return hashlessHeader
	}
	return entryHeader
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
// (refLeaf), the entry's size in the arena (header and stored blob) and,
// for a leaf, the last eviction round in which a commit wrote it over a
// cached one or a read found it (reusedIn; 0 if none), so that eviction
// and dropping an entry read nothing of the arena (a block's commit
// replaces thousands of entries, and reading each one's length from its
// chunk was a cache miss apiece).
type entryRef uint64

const (
	// refOffsetBits holds an offset in a shared chunk (arenaChunkSize);
	// an entry alone in its chunk is at offset 0.
	refOffsetBits = 15
	refChunkBits  = 24
	refWhere      = 1<<(refOffsetBits+refChunkBits) - 1
	refLeaf       = 1 << (refOffsetBits + refChunkBits)
	refSizeShift  = refOffsetBits + refChunkBits + 1
	// refSizeBits holds an entry's size: a header and at most
	// maxCachedBlob bytes.
	refSizeBits   = 15
	refSizeMask   = 1<<refSizeBits - 1
	refRoundShift = refSizeShift + refSizeBits
	// refRoundMask keeps the low bits of a round: a leaf written again
	// exactly a multiple of that many rounds ago is kept once more, which
	// is harmless.
	refRoundMask = 1<<(64-refRoundShift) - 1
)

func makeRef(chunk uint32, off int) entryRef {
	return entryRef(uint64(chunk)<<refOffsetBits | uint64(off))
}
func (r entryRef) chunk() uint32   { return uint32(r>>refOffsetBits) & (1<<refChunkBits - 1) }
func (r entryRef) offset() int     { return int(r & (1<<refOffsetBits - 1)) }
func (r entryRef) where() entryRef { return r & refWhere }
func (r entryRef) leaf() bool      { return r&refLeaf != 0 }
func (r entryRef) size() int       { return int(r>>refSizeShift) & refSizeMask }
func (r entryRef) withSize(n int) entryRef {
	return r&^(refSizeMask<<refSizeShift) | entryRef(n&refSizeMask)<<refSizeShift
}
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

// charge is what an entry of blob costs the budget: its stored form
// (storedForm) and the entry's overhead, with its hash or without
// (hashlessBlob).
func charge(blob []byte) int {
	stored, _ := storedForm(blob)
	return storedCharge(stored, hashlessBlob(blob))
}

// hashlessBlob reports whether blob is stored without its hash: whether
// hashing it takes one permutation (hashlessMax).
func hashlessBlob(blob []byte) bool { return len(blob) <= hashlessMax }

// storedCharge is what an entry whose stored form is stored costs the
// budget, stored without its hash (hashless) or with it.
func storedCharge(stored []byte, hashless bool) int {
	if hashless {
		return len(stored) + hashlessEntryOverhead
	}
	return len(stored) + nodeEntryOverhead
}

// entryLocked returns the header and the stored blob of the entry at ref,
// whether the blob's eoaSuffix was left out of it and whether the header
// holds no hash. The stored blob's capacity ends with it, so an append to
// it cannot reach the next entry.
func (c *nodeCache) entryLocked(ref entryRef) (header, stored []byte, elided, hashless bool) {
	buf := c.chunks[ref.chunk()].buf
	off := ref.offset()
	n, elided, hashless := storedLen(buf[off:])
	h := headerSize(hashless)
	return buf[off : off+h : off+h], buf[off+h : off+h+n : off+h+n], elided, hashless
}

// blobOf returns the blob whose stored form is stored: stored itself, or a
// copy with the eoaSuffix appended.
func blobOf(stored []byte, elided bool) []byte {
	if !elided {
		return stored
	}
	return slices.Concat(stored, eoaSuffix)
}

// appendLocked writes an entry, of a blob whose stored form is stored,
// with its hash or without (hashless), into the head chunk, starting a new
// head when it is full, and returns where the entry is and its size.
func (c *nodeCache) appendLocked(hash common.Hash, stored []byte, elided, hashless bool) entryRef {
	n := headerSize(hashless) + len(stored)
	head := c.chunks[c.head]
	if len(head.buf)+n > cap(head.buf) {
		old := c.head
		c.head = c.newChunkLocked(max(arenaChunkSize, n), false)
		head = c.chunks[c.head]
		if c.compactableLocked(old) {
			c.compactable++ // entries it held were dropped while it was the head
		}
	}
	off := len(head.buf)
	head.buf = head.buf[:off+n]
	writeEntry(head.buf[off:off+n], hash, stored, elided, hashless)
	head.live += n
	return makeRef(c.head, off).withSize(n)
}

// appendSingleLocked writes an entry, of a blob whose stored form is
// stored, with its hash or without (hashless), into a chunk of its own and
// returns where it is and its size.
func (c *nodeCache) appendSingleLocked(hash common.Hash, stored []byte, elided, hashless bool) entryRef {
	n := headerSize(hashless) + len(stored)
	id := c.newChunkLocked(n, true)
	ch := c.chunks[id]
	ch.buf = ch.buf[:n]
	writeEntry(ch.buf, hash, stored, elided, hashless)
	ch.live = n
	return makeRef(id, 0).withSize(n)
}

// writeEntry writes an entry's header, with hash unless hashless, and
// stored blob into e, which is exactly their size.
func writeEntry(e []byte, hash common.Hash, stored []byte, elided, hashless bool) {
	n := uint16(len(stored))
	if elided {
		n |= lenElided
	}
	if hashless {
		n |= lenHashless
	} else {
		copy(e[hdrHash:], hash[:])
	}
	binary.LittleEndian.PutUint16(e[hdrLen:], n)
	copy(e[headerSize(hashless):], stored)
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
	n := ref.size()
	c.size -= n + indexSlotCost
	delete(c.index, pos)
	id := ref.chunk()
	if ch := c.chunks[id]; ch.single {
		c.freeChunkLocked(id)
	} else {
		was := c.compactableLocked(id)
		ch.live -= n
		c.dead += n
		if !was && c.compactableLocked(id) {
			c.compactable++
		}
	}
}

// compactableLocked reports whether compactLocked may give up chunk id: a
// shared chunk, not the head, at most half live, so that moving its live
// entries costs at most what it frees.
func (c *nodeCache) compactableLocked(id uint32) bool {
	ch := c.chunks[id]
	return ch != nil && !ch.single && id != c.head && ch.live*2 <= len(ch.buf)
}

// compactLocked, once the dead bytes exceed a quarter of the budget, moves
// the live entries of the chunks that are least live to the head and lets
// those chunks go, enough of them for the dead bytes to fall under an
// eighth of the budget. Each chunk given up is at most half live, so
// moving its entries costs at most what it frees. The entries are found
// by one walk of the index (an entry does not hold its position, so
// that a leaf costs the budget 8 bytes less); the walk of a full 16 MiB
// cache's index (150k entries) takes about 3 ms on this project's
// machines, and a compaction runs every 14–18 blocks of 1,000 transfers
// (the growth benchmark), about 0.2 ms a block. The chunks given up stay allocated
// while the blobs read from them are held.
//
// It looks at the chunks only when one is compactable (c.compactable):
// dead bytes spread over chunks that are each more than half live can
// stay above a quarter of the budget for several blocks, and a look at
// every put then scanned thousands of chunks (the shallow nodes' single
// ones among them) for each of a block's ten thousand nodes: a tenth of a
// loaded validator's CPU in some seconds (issue 17, session 29).
func (c *nodeCache) compactLocked() {
	if c.dead <= c.budget/4 || c.compactable == 0 {
		return
	}
	c.compactions++
	var victims []uint32
	for i := range c.chunks {
		if c.compactableLocked(uint32(i)) {
			victims = append(victims, uint32(i))
		}
	}
	slices.SortFunc(victims, func(a, b uint32) int {
		return cmp.Compare(c.chunks[a].live*len(c.chunks[b].buf), c.chunks[b].live*len(c.chunks[a].buf))
	})
	given := make([]bool, len(c.chunks)) // by chunk number
	var givenIDs []uint32
	dead := c.dead
	for _, id := range victims {
		if dead <= c.budget/8 {
			break
		}
		ch := c.chunks[id]
		given[id] = true
		givenIDs = append(givenIDs, id)
		dead -= len(ch.buf) - ch.live
	}
	// Only the values of keys already in the index are set while it is
	// walked, which Go's maps allow.
	for pos, ref := range c.index {
		if id := ref.chunk(); int(id) >= len(given) || !given[id] {
			continue
		}
		header, stored, elided, hashless := c.entryLocked(ref)
		var hash common.Hash
		if !hashless {
			copy(hash[:], header[hdrHash:])
		}
		c.index[pos] = c.appendLocked(hash, stored, elided, hashless) | ref&^refWhere
	}
	for _, id := range givenIDs {
		c.dead -= len(c.chunks[id].buf) - c.chunks[id].live
		c.freeChunkLocked(id)
		c.compactable--
	}
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
