package contract

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
)

// randomBatch builds a valid batch after the last accepted block for the
// current L1 block, or nil if none can be built (the next origin is not
// there yet and the current one's window has closed).
func (e *env) randomBatch(rng *rand.Rand) *protocol.Batch {
	h := e.head()
	b := &protocol.Batch{ParentHash: h.Hash}
	p, now := h, block.L1Number(e.block)
	nonce, _, _, err := ReadWithdrawalCounts(e.st) // withdrawals continue the accepted chain's nonces
	if err != nil {
		e.t.Fatal(err)
	}
	for range 1 + rng.IntN(6) {
		closed := uint64(p.Origin)+seqWindow <= uint64(now)
		canAdvance := p.Origin+1 < now
		if closed && !canAdvance {
			break
		}
		o := p.Origin
		if closed || (canAdvance && rng.IntN(2) == 0) {
			o++
		}
		lo := max(p.Time, l1Time(uint64(o)))
		if lo > l1Time(e.block) {
			break
		}
		blk := protocol.Block{Number: p.Number + 1, Origin: o, Time: lo, StateRoot: common.Hash{byte(rng.Uint32())},
			BlockHash: l2Hash(p.Number + 1)}
		if uint64(o)+seqWindow > uint64(now) {
			blk.Time += uint64(rng.IntN(int(min(l1Time(e.block)-lo, 2)) + 1))
			for j := range rng.IntN(5) {
				blk.Transactions = append(blk.Transactions, l2Tx(uint64(j)))
			}
		}
		for j := range rng.IntN(2) {
			blk.Withdrawals = append(blk.Withdrawals, protocol.Withdrawal{Nonce: nonce, To: common.Address{1}, Amount: big.NewInt(int64(j + 1))})
			nonce++
		}
		b.Blocks = append(b.Blocks, blk)
		p = protocol.Head{Number: blk.Number, Hash: blk.BlockHash, Time: blk.Time, Origin: o}
	}
	if len(b.Blocks) == 0 {
		return nil
	}
	return b
}

// breakBatch changes a valid batch so that it breaks one rule.
func (e *env) breakBatch(rng *rand.Rand, b *protocol.Batch) (string, error) {
	x := &b.Blocks[rng.IntN(len(b.Blocks))]
	switch rng.IntN(6) {
	case 0:
		b.ParentHash[0] ^= 1
		return "parent hash", protocol.ErrParentHash
	case 1:
		shift(b, 1)
		return "gap", protocol.ErrGap
	case 2:
		shift(b, -1)
		return "overlap", protocol.ErrOverlap
	case 3:
		b.Blocks[len(b.Blocks)-1].Time = l1Time(e.block) + 1
		return "time ahead of the L1", protocol.ErrTimeAheadOfL1
	case 4:
		x.Transactions = append(x.Transactions, l2Tx(1), l2Tx(2), l2Tx(3), l2Tx(4), l2Tx(5))
		return "too many transactions", nil
	default:
		delta := e.head().Origin + 2 - b.Blocks[0].Origin
		for i := range b.Blocks {
			b.Blocks[i].Origin += delta
		}
		return "origin skips", protocol.ErrOriginOrder
	}
}

// TestRandomHistoryOfBatches runs a seeded L1 of 400 blocks in which the
// sequencer posts random valid batches (sometimes several in a block,
// sometimes none for longer than the sequencing window) and broken ones.
// Valid batches are accepted with the right record, broken ones change
// nothing, and finalization follows the rule: in order, W blocks after
// acceptance, at most MaxFinalizePerBlock a block.
func TestRandomHistoryOfBatches(t *testing.T) {
	rng := rand.New(rand.NewPCG(2935, 6))
	e := newEnv(t)
	e.bond(eth(10))
	e.endBlock()
	var accepted []uint64 // L1 block of each accepted batch
	final, quietUntil := uint64(0), uint64(0)
	for e.block < 400 {
		if e.block >= quietUntil && rng.IntN(40) == 0 {
			quietUntil = e.block + seqWindow + uint64(rng.IntN(10)) // the sequencer goes quiet
		}
		for range rng.IntN(3) {
			if e.block < quietUntil {
				break
			}
			b := e.randomBatch(rng)
			if b == nil {
				break
			}
			if rng.IntN(4) == 0 {
				name, want := e.breakBatch(rng, b)
				before, count := e.root(), ReadBatchCount(e.st)
				_, _, err := e.submit(b)
				if !errors.Is(err, syscontract.ErrExecutionReverted) || (want != nil && !errors.Is(err, want)) {
					t.Fatalf("L1 block %d: %s: %v", e.block, name, err)
				}
				if e.root() != before || ReadBatchCount(e.st) != count {
					t.Fatalf("L1 block %d: a refused batch (%s) changed the state", e.block, name)
				}
				continue
			}
			index := e.mustSubmit(b)
			if index != uint64(len(accepted)) {
				t.Fatalf("index %d, want %d", index, len(accepted))
			}
			accepted = append(accepted, e.block)
			rec, err := ReadBatch(e.st, index)
			if err != nil || rec.FirstBlock != b.Blocks[0].Number || rec.BlockCount != uint64(len(b.Blocks)) ||
				rec.L1Block != block.L1Number(e.block) || rec.Root != expectedRoot(t, b) {
				t.Fatalf("batch %d stored as %+v (%v)", index, rec, err)
			}
		}
		now := e.block
		e.endBlock()
		for steps := 0; final < uint64(len(accepted)) && accepted[final]+window <= now && steps < MaxFinalizePerBlock; steps++ {
			final++
		}
		if got := ReadFinalizedBatchCount(e.st); got != final {
			t.Fatalf("end of L1 block %d: %d final batches, want %d", now, got, final)
		}
	}
	if len(accepted) < 100 || final < 50 {
		t.Fatalf("weak run: %d batches accepted, %d final", len(accepted), final)
	}
}

// FuzzSubmitBatch: whatever the data, submitBatch either accepts it or
// reverts without changing the state, and never panics.
func FuzzSubmitBatch(f *testing.F) {
	e := newEnv(f)
	f.Add(e.realEncoding())
	f.Add([]byte{1})
	f.Add(malformedPayload(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		e := newEnv(t)
		e.bond(eth(10))
		e.advanceTo(3)
		before := e.root()
		_, _, err := e.run(sequencer, nil, PackSubmitBatch(data))
		if err == nil {
			return
		}
		if !errors.Is(err, syscontract.ErrExecutionReverted) {
			t.Fatalf("not a revert: %v", err)
		}
		if e.root() != before {
			t.Fatal("a refused batch changed the state")
		}
	})
}
