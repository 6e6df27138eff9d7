package sequencer

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestBatchFitsTheGasBound proves the batcher posts fewer blocks when the
// submission of all of them would need more than MaxGas, and that a block
// that alone exceeds it is an error naming both bounds.
func TestBatchFitsTheGasBound(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	h := newHarness(t, memdb.New(), l1)
	to := common.HexToAddress("0xb0b")
	for i := range 4 {
		h.send(0, uint64(i), to, big.NewInt(1))
		h.now = h.now.Add(300 * time.Millisecond)
		h.step()
	}
	head := h.chain.Head().Number()
	if head < 4 {
		t.Fatalf("made %d blocks, want 4", head)
	}
	g := h.chain.Head()
	for g.Number() > 0 {
		var err error
		if g, err = h.chain.BlockByNumber(block.L2Number(g.Number() - 1)); err != nil {
			t.Fatal(err)
		}
	}
	la := protocol.Head{Number: 0, Hash: g.Hash()}
	enc, err := batch.NewEncoder()
	if err != nil {
		t.Fatal(err)
	}
	h.seq.batcher = DefaultBatcherConfig()
	all, data, err := h.seq.buildBatch(enc, la, head)
	if err != nil || len(all.Blocks) != int(head) {
		t.Fatalf("unbounded: %v blocks, %v", len(all.Blocks), err)
	}
	full := SubmitGas(all, data)

	h.seq.batcher.MaxGas = full - 1
	some, data, err := h.seq.buildBatch(enc, la, head)
	if err != nil || len(some.Blocks) == 0 || len(some.Blocks) >= len(all.Blocks) {
		t.Fatalf("bounded by %d gas: %d blocks, %v", full-1, len(some.Blocks), err)
	}
	if got := SubmitGas(some, data); got > full-1 {
		t.Fatalf("the smaller batch needs %d gas, above the bound %d", got, full-1)
	}

	h.seq.batcher.MaxGas = 1_000
	if _, _, err := h.seq.buildBatch(enc, la, head); err == nil {
		t.Fatal("a block above the gas bound alone was batched")
	}
}
