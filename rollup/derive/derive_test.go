package derive

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/batch"
)

// actions is an in-memory L1 driven one call per event, in the manner of
// the OP Stack's action tests: ActL1Block mines an L1 block holding what
// ActDeposit and ActBatch queued, and each mined block goes through the
// Deriver at once.
type actions struct {
	t        *testing.T
	d        *Deriver
	l1       []*L1Block
	ops      []block.Operation
	batches  []AcceptedBatch
	nextIdx  uint64
	derived  []Inputs
	claims   []Claim
	lastTime uint64
}

const window = 4

func newActions(t *testing.T) *actions {
	a := &actions{t: t}
	genesis := &L1Block{Ref: ref(0), Time: 1000}
	a.l1 = append(a.l1, genesis)
	a.d = New(Config{SequencingWindow: window}, State{Head: Head{Number: 0, Time: 1000, Origin: 0}, Next: 1}, a)
	a.d.Remember(genesis)
	return a
}

func ref(n uint64) block.L1Ref {
	return block.L1Ref{Number: block.L1Number(n), Hash: common.BigToHash(big.NewInt(int64(n) + 5000)), BaseFee: big.NewInt(int64(n) + 7)}
}

// L1Block serves the Source interface from the in-memory L1.
func (a *actions) L1Block(n block.L1Number) (*L1Block, error) {
	if int(n) >= len(a.l1) {
		return nil, errors.New("no such L1 block")
	}
	return a.l1[n], nil
}

// ActDeposit queues a deposit into the next L1 block.
func (a *actions) ActDeposit(amount int64) {
	n := block.L1Number(len(a.l1))
	a.ops = append(a.ops, block.Operation{Kind: block.OpDeposit, L1Block: n, Index: uint64(len(a.ops)),
		To: common.HexToAddress("0xd0"), Amount: big.NewInt(amount)})
}

// ActBatch queues an accepted batch into the next L1 block.
func (a *actions) ActBatch(blocks ...batch.Block) {
	a.batches = append(a.batches, AcceptedBatch{Index: a.nextIdx, Batch: &batch.Batch{Blocks: blocks}})
	a.nextIdx++
}

// ActL1Block mines the next L1 block (one second after the last) and
// derives from it.
func (a *actions) ActL1Block() *Result {
	a.t.Helper()
	n := uint64(len(a.l1))
	b := &L1Block{Ref: ref(n), Time: 1000 + n, Operations: a.ops, Batches: a.batches}
	a.ops, a.batches = nil, nil
	a.l1 = append(a.l1, b)
	res, err := a.d.Step(b)
	if err != nil {
		a.t.Fatalf("derive L1 block %d: %v", n, err)
	}
	a.derived = append(a.derived, res.Blocks...)
	a.claims = append(a.claims, res.Claims...)
	return res
}

func blk(n, time, origin uint64, txs int) batch.Block {
	b := batch.Block{Number: block.L2Number(n), Time: time, Origin: block.L1Number(origin),
		StateRoot: common.BigToHash(big.NewInt(int64(n))), BlockHash: common.BigToHash(big.NewInt(int64(n) + 100))}
	for i := range txs {
		b.Transactions = append(b.Transactions, types.NewTx(&types.LegacyTx{Nonce: uint64(i)}))
	}
	return b
}

// TestDeriveBatchBlocks: blocks of an accepted batch become L2 blocks with
// their origin's reference; the block advancing to an origin carries its
// deposits; every block's claim is returned.
func TestDeriveBatchBlocks(t *testing.T) {
	a := newActions(t)
	a.ActDeposit(5)
	a.ActL1Block() // L1 1 holds the deposit
	a.ActBatch(blk(1, 1001, 1, 2), blk(2, 1001, 1, 0), blk(3, 1002, 1, 1))
	res := a.ActL1Block() // L1 2 holds the batch
	if len(res.Blocks) != 3 || len(res.Claims) != 3 {
		t.Fatalf("%d blocks, %d claims", len(res.Blocks), len(res.Claims))
	}
	b1 := res.Blocks[0]
	if b1.Origin.Hash != ref(1).Hash || b1.Origin.BaseFee.Cmp(ref(1).BaseFee) != 0 || b1.OriginTime != 1001 || len(b1.Operations) != 1 || len(b1.Transactions) != 2 || b1.DepositOnly {
		t.Errorf("block 1 inputs %+v", b1)
	}
	if len(res.Blocks[1].Operations) != 0 || len(res.Blocks[2].Operations) != 0 {
		t.Error("operations applied twice")
	}
	if c := res.Claims[2]; c.Number != 3 || c.BatchIndex != 0 || c.L1Block != 2 || c.StateRoot != common.BigToHash(big.NewInt(3)) {
		t.Errorf("claim %+v", c)
	}
	if h := a.d.Head(); h.Number != 3 || h.Origin != 1 || h.Time != 1002 {
		t.Errorf("head %+v", h)
	}
}

// TestDeriveDepositOnlyAfterWindow: with no batch, the origin after the
// head gets a deposit-only block exactly when its window closes (X + S),
// carrying its deposits; a later batch posting that block adds only its
// claim; a batch contradicting it is critical.
func TestDeriveDepositOnlyAfterWindow(t *testing.T) {
	a := newActions(t)
	a.ActDeposit(9)
	a.ActL1Block() // 1: deposit
	for n := 2; n < 1+window; n++ {
		if res := a.ActL1Block(); len(res.Blocks) != 0 {
			t.Fatalf("L1 %d derived %d blocks before the window closed", n, len(res.Blocks))
		}
	}
	res := a.ActL1Block() // 1 + S: the window of origin 1 closes
	if len(res.Blocks) != 1 || !res.Blocks[0].DepositOnly || res.Blocks[0].Origin.Number != 1 || len(res.Blocks[0].Operations) != 1 ||
		res.Blocks[0].Time != 1001 || res.Blocks[0].Number != 1 {
		t.Fatalf("at the window's close: %+v", res.Blocks)
	}
	// The sequencer posts the deposit-only block (the contract demands its
	// exact form) and a new block after it.
	a.ActBatch(blk(1, 1001, 1, 0), blk(2, 1006, 2, 3))
	res = a.ActL1Block()
	if len(res.Blocks) != 1 || res.Blocks[0].Number != 2 || len(res.Claims) != 2 || res.Claims[0].Number != 1 {
		t.Fatalf("after posting: blocks %+v claims %+v", res.Blocks, res.Claims)
	}
	if len(a.d.State().Unclaimed) != 0 {
		t.Error("the posted deposit-only block is still unclaimed")
	}
	// Posting block 2 again is critical.
	a.ActBatch(blk(2, 1006, 2, 3))
	n := uint64(len(a.l1))
	_, err := a.d.Step(&L1Block{Ref: ref(n), Time: 1000 + n, Batches: a.batches})
	if !errors.Is(err, ErrCritical) {
		t.Fatalf("a block posted twice: %v", err)
	}
}

// TestDeriveCatchesUpManyOrigins: a long silence makes one deposit-only
// block per expired origin, in order, each at its window's close.
func TestDeriveCatchesUpManyOrigins(t *testing.T) {
	a := newActions(t)
	for range 20 {
		a.ActL1Block()
	}
	if len(a.derived) != 20-window {
		t.Fatalf("%d deposit-only blocks after 20 L1 blocks, want %d", len(a.derived), 20-window)
	}
	for i, in := range a.derived {
		if in.Number != block.L2Number(i+1) || in.Origin.Number != block.L1Number(i+1) || !in.DepositOnly {
			t.Fatalf("block %d: %+v", i, in)
		}
	}
}

// TestDeriveResume: a Deriver restored from State (with a Source for the
// L1 blocks it forgot) derives exactly what an uninterrupted one does.
func TestDeriveResume(t *testing.T) {
	a, b := newActions(t), newActions(t)
	script := func(x *actions, upto int, from int) {
		for i := from; i < upto; i++ {
			switch i {
			case 1:
				x.ActDeposit(3)
			case 3:
				x.ActBatch(blk(1, 1002, 1, 1), blk(2, 1003, 2, 0))
			}
			x.ActL1Block()
		}
	}
	script(a, 15, 1)
	script(b, 6, 1)
	st := b.d.State()
	b.d = New(Config{SequencingWindow: window}, st, b) // forgets its recent L1 blocks
	script(b, 15, 6)
	if len(a.derived) != len(b.derived) {
		t.Fatalf("uninterrupted %d blocks, resumed %d", len(a.derived), len(b.derived))
	}
	for i := range a.derived {
		x, y := a.derived[i], b.derived[i]
		if x.Number != y.Number || x.Time != y.Time || x.Origin.Hash != y.Origin.Hash || len(x.Operations) != len(y.Operations) || len(x.Transactions) != len(y.Transactions) {
			t.Fatalf("block %d differs: %+v vs %+v", i, x, y)
		}
	}
}

// TestDeriveOutOfOrder: an L1 block out of order is refused.
func TestDeriveOutOfOrder(t *testing.T) {
	a := newActions(t)
	if _, err := a.d.Step(&L1Block{Ref: ref(5)}); !errors.Is(err, ErrOutOfOrder) {
		t.Fatal(err)
	}
}

// TestDeriveRollback: a successful challenge deletes the outputs after a
// block; derivation continues from it with the batches posted next, and
// drops the claims and blocks after it made in the same L1 block.
func TestDeriveRollback(t *testing.T) {
	a := newActions(t)
	a.d.cfg.HeadAt = func(n block.L2Number) (Head, error) {
		for _, in := range a.derived {
			if in.Number == n {
				return Head{Number: n, Time: in.Time, Origin: in.Origin.Number}, nil
			}
		}
		return Head{}, errors.New("unknown block")
	}
	a.ActL1Block()
	a.ActBatch(blk(1, 1001, 1, 1), blk(2, 1002, 1, 1), blk(3, 1002, 1, 1))
	a.ActL1Block()
	// L1 block 3: a challenge deletes blocks 2 and 3, then the sequencer
	// posts 2 and 3 again in a later transaction of the same block.
	n := uint64(len(a.l1))
	b := &L1Block{Ref: ref(n), Time: 1000 + n, Rollbacks: []Rollback{{TxIndex: 0, To: 1}},
		Batches: []AcceptedBatch{{Index: 1, TxIndex: 1, Batch: &batch.Batch{Blocks: []batch.Block{blk(2, 1003, 2, 2), blk(3, 1003, 2, 0)}}}}}
	a.l1 = append(a.l1, b)
	res, err := a.d.Step(b)
	if err != nil {
		t.Fatal(err)
	}
	if res.RollbackTo == nil || *res.RollbackTo != 1 {
		t.Fatalf("rollback to %v", res.RollbackTo)
	}
	if len(res.Blocks) != 2 || res.Blocks[0].Number != 2 || res.Blocks[0].Origin.Number != 2 || len(res.Blocks[0].Transactions) != 2 {
		t.Fatalf("blocks after the rollback: %+v", res.Blocks)
	}
	if h := a.d.Head(); h.Number != 3 || h.Origin != 2 {
		t.Fatalf("head %+v", h)
	}
	// A rollback without a way to look up derived blocks is critical.
	a.d.cfg.HeadAt = nil
	n = uint64(len(a.l1))
	if _, err := a.d.Step(&L1Block{Ref: ref(n), Time: 1000 + n, Rollbacks: []Rollback{{To: 1}}}); !errors.Is(err, ErrCritical) {
		t.Fatalf("rollback without HeadAt: %v", err)
	}
}
