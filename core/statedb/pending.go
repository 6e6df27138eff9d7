package statedb

import (
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/trie/trienode"
)

// pendingStates holds the trie nodes of staged states, by hash, until each
// state is flushed to disk or discarded. It takes the place of
// go-ethereum's hashdb dirty cache for a DB with a node cache (issue 17):
// hashdb counts references to every node, decoding each one on insert and
// again on flush (about 60 % of a loaded validator's commit), and holds its
// lock through a flush, stalling every read that misses its clean cache.
// States here are content-addressed sets of new nodes: a flush writes one
// state's nodes in one batch, a discard drops them, and a node two staged
// states share stays until neither holds it.
//
// It is safe for concurrent use.
type pendingStates struct {
	mu     sync.RWMutex
	states map[common.Hash]*pendingState // by state root
	nodes  map[common.Hash]pendingNode   // by node hash
}

// pendingState is one staged state: its parent's root, the nodes it added,
// and how many times it was staged and not yet discarded.
type pendingState struct {
	parent common.Hash
	nodes  []common.Hash
	staged int
}

// pendingNode is a staged node's blob and how many staged states hold it.
type pendingNode struct {
	blob []byte
	refs int
}

func newPendingStates() *pendingStates {
	return &pendingStates{states: make(map[common.Hash]*pendingState), nodes: make(map[common.Hash]pendingNode)}
}

// stage records the state at root, child of parent, whose commit wrote
// nodes. A root staged again (two blocks with the same post-state, such as
// a block built ahead and built again) keeps its nodes until it has been
// discarded as many times as it was staged, or flushed.
func (p *pendingStates) stage(root, parent common.Hash, nodes *trienode.MergedNodeSet) {
	if root == parent || nodes == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.states[root]; ok {
		st.staged++
		return
	}
	count := 0
	for _, set := range nodes.Sets {
		count += len(set.Nodes)
	}
	st := &pendingState{parent: parent, staged: 1, nodes: make([]common.Hash, 0, count)}
	for _, set := range nodes.Sets {
		for _, n := range set.Nodes {
			if n.IsDeleted() {
				continue // hash-keyed nodes stay on disk for the older states
			}
			pn := p.nodes[n.Hash]
			if pn.refs == 0 {
				pn.blob = n.Blob
			}
			pn.refs++
			p.nodes[n.Hash] = pn
			st.nodes = append(st.nodes, n.Hash)
		}
	}
	p.states[root] = st
}

// node returns a staged node's blob.
func (p *pendingStates) node(hash common.Hash) ([]byte, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	n, ok := p.nodes[hash]
	return n.blob, ok
}

// has reports whether the state at root is staged.
func (p *pendingStates) has(root common.Hash) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.states[root]
	return ok
}

// nodeRecordOverhead is what a trie node's record adds to its blob in a
// database batch: its key (the node's hash, with room for a namespace
// prefix) and the record's kind and lengths.
const nodeRecordOverhead = common.HashLength + 16

// flushChunkBytes bounds each batch flush commits. Pebble applies a batch
// of more than half a memtable as a "large batch": it rotates the memtable,
// however little it holds, and flushes the batch as a table of its own. A
// block's nodes are megabytes against the devnet's 4 MiB memtables, so each
// flush made two level-0 tables (the large batch and the memtable holding
// the block records written since the last one), each spanning the whole
// hash key space, and every few blocks a level-0 compaction rewrote the
// base level (issue 17). Chunks well below half the smallest memtable
// (pebblestore's 4 MiB) go through the memtable instead, and its tables
// hold several blocks' records. A crash between chunks leaves nodes no
// committed block names, which are harmless.
const flushChunkBytes = 512 << 10

// flush writes the nodes of the state at root, and of its staged ancestors
// first, to disk in batches of about flushChunkBytes, then forgets those
// states. A root that is not staged must already be on disk (or be the
// empty state's).
func (p *pendingStates) flush(disk ethdb.KeyValueStore, root common.Hash) error {
	p.mu.RLock()
	var chain []common.Hash // root, then its staged ancestors
	for r := root; ; {
		st, ok := p.states[r]
		if !ok {
			break
		}
		chain = append(chain, r)
		r = st.parent
	}
	// The nodes, oldest state's first, taken under the lock; their blobs
	// are never modified, so they are written after it is released.
	var nodes []flushNode
	size := 0
	if len(chain) > 0 {
		count := 0
		for _, r := range chain {
			count += len(p.states[r].nodes)
		}
		nodes = make([]flushNode, 0, count)
		for i := len(chain) - 1; i >= 0; i-- {
			for _, h := range p.states[chain[i]].nodes {
				blob := p.nodes[h].blob
				nodes = append(nodes, flushNode{hash: h, blob: blob})
				size += len(blob) + nodeRecordOverhead
			}
		}
	}
	p.mu.RUnlock()
	if len(chain) == 0 {
		if root != types.EmptyRootHash && !rawdb.HasLegacyTrieNode(disk, root) {
			return fmt.Errorf("state %s is neither staged nor on disk: %w", root, ErrMissingState)
		}
		return nil
	}
	// Sized up front (a batch grown by doubling copied its nodes about
	// twice over), and reused from chunk to chunk.
	batch := newWriteOnceBatch(disk, min(size, flushBatchBytes))
	for i, n := range nodes {
		rawdb.WriteLegacyTrieNode(batch, n.hash, n.blob)
		if batch.ValueSize() < flushChunkBytes && i < len(nodes)-1 {
			continue
		}
		if err := batch.Write(); err != nil {
			return fmt.Errorf("write the trie nodes of %s: %w", root, err)
		}
		batch.Reset()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range chain {
		p.dropLocked(r)
	}
	return nil
}

// flushBatchBytes is the room a flush's batch starts with: a chunk, the
// node that ends it, and the encoding's few bytes per record that a
// batch's ValueSize leaves out. It stays under the 1 MiB a pebble batch
// keeps across a Reset: one grown past that is dropped and each chunk's
// batch grew again from nothing.
const flushBatchBytes = flushChunkBytes + flushChunkBytes/8

// flushNode is a staged node on its way to disk.
type flushNode struct {
	hash common.Hash
	blob []byte
}

// discard forgets the staged state at root once it has been discarded as
// often as it was staged; the nodes another staged state holds stay. It
// reports whether root is no longer staged.
func (p *pendingStates) discard(root common.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.states[root]
	if !ok {
		return true
	}
	if st.staged--; st.staged > 0 {
		return false
	}
	return p.dropLocked(root)
}

func (p *pendingStates) dropLocked(root common.Hash) bool {
	st, ok := p.states[root]
	if !ok {
		return false
	}
	delete(p.states, root)
	for _, h := range st.nodes {
		n := p.nodes[h]
		if n.refs--; n.refs <= 0 {
			delete(p.nodes, h)
		} else {
			p.nodes[h] = n
		}
	}
	return true
}

// size returns the staged states and nodes.
func (p *pendingStates) size() (states, nodes int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.states), len(p.nodes)
}

// writeOnceBatcher is implemented by databases that can start a batch that
// is never replayed (ethdbadapter.Database.NewWriteOnceBatch), so a large
// one is not copied for a Replay that never comes.
type writeOnceBatcher interface {
	NewWriteOnceBatch(size int) ethdb.Batch
}

// newWriteOnceBatch starts a batch with room for size bytes that flush
// writes once and never replays: a write-once batch where disk has them
// (a block's trie nodes are megabytes, and the pebble store copied each
// such batch whole in case it was replayed; issue 17), else a sized one.
func newWriteOnceBatch(disk ethdb.KeyValueStore, size int) ethdb.Batch {
	if wb, ok := disk.(writeOnceBatcher); ok {
		return wb.NewWriteOnceBatch(size)
	}
	return disk.NewBatchWithSize(size)
}
