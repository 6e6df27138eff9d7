package statedb

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/holiman/uint256"
)

// maxNodeRecord is the most one trie node adds to a batch: a full branch
// node's blob (sixteen 33-byte references and an empty value, under RLP's
// list header) and its record. A chunk ends with the node that reaches
// flushChunkBytes, so a batch holds at most this much beyond it.
const maxNodeRecord = 17*33 + 3 + nodeRecordOverhead

// writeRecorder is a key-value store that records the size of every batch
// written to it.
type writeRecorder struct {
	ethdb.KeyValueStore
	writes []int
}

func (r *writeRecorder) NewBatch() ethdb.Batch { return r.NewBatchWithSize(0) }

func (r *writeRecorder) NewBatchWithSize(size int) ethdb.Batch {
	return &recordedBatch{Batch: r.KeyValueStore.NewBatchWithSize(size), r: r}
}

type recordedBatch struct {
	ethdb.Batch
	r *writeRecorder
}

func (b *recordedBatch) Write() error {
	b.r.writes = append(b.r.writes, b.ValueSize())
	return b.Batch.Write()
}

// TestFlushWritesInChunks: a block's staged nodes, megabytes, are written
// in batches of about flushChunkBytes (pebble would commit one batch of
// over half a memtable as a level-0 table of its own), every node reaches
// the disk, and the flushed state opens from it.
func TestFlushWritesInChunks(t *testing.T) {
	disk := &writeRecorder{KeyValueStore: rawdb.NewMemoryDatabase()}
	db := NewCachedKV(disk, 1<<20)
	defer db.Close()
	sdb, err := db.StateAt(types.EmptyRootHash)
	if err != nil {
		t.Fatal(err)
	}
	const accounts = 20_000
	for i := range accounts {
		sdb.SetBalance(common.BigToAddress(uint256.NewInt(uint64(i+1)).ToBig()), uint256.NewInt(uint64(i+1)), tracing.BalanceChangeUnspecified)
	}
	root, err := db.Stage(sdb, 1)
	if err != nil {
		t.Fatal(err)
	}
	staged, size := db.pending.states[root].nodes, 0
	for _, h := range staged {
		size += len(db.pending.nodes[h].blob) + nodeRecordOverhead
	}
	if size < 4*flushChunkBytes {
		t.Fatalf("setup: %d bytes staged, want at least four chunks' worth", size)
	}
	if err := db.Flush(root, 1); err != nil {
		t.Fatal(err)
	}
	if len(disk.writes) < size/flushChunkBytes {
		t.Fatalf("%d bytes written in %d batches %v, want at least %d", size, len(disk.writes), disk.writes, size/flushChunkBytes)
	}
	written := 0
	for i, w := range disk.writes {
		if w > flushChunkBytes+maxNodeRecord {
			t.Errorf("batch %d holds %d bytes, more than a chunk (%d) and a node", i, w, flushChunkBytes)
		}
		written += w
	}
	if written < size-len(staged)*nodeRecordOverhead {
		t.Errorf("%d bytes written, want the %d staged", written, size)
	}
	for _, h := range staged {
		if !rawdb.HasLegacyTrieNode(disk, h) {
			t.Fatalf("node %s was not written", h)
		}
	}
	fresh, err := New(rawdb.NewDatabase(disk)).StateAt(root)
	if err != nil {
		t.Fatalf("the flushed state does not open from disk: %v", err)
	}
	if got := fresh.GetBalance(common.BigToAddress(uint256.NewInt(accounts).ToBig())).Uint64(); got != accounts {
		t.Fatalf("the last account holds %d on disk, want %d", got, accounts)
	}
}
