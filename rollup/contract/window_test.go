package contract

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// catchUp returns the deposit-only blocks advancing from the last
// accepted block through origin to, then a block with transactions at
// to+1.
func (e *env) catchUp(to block.L1Number) *protocol.Batch {
	h := e.head()
	b := &protocol.Batch{ParentHash: h.Hash}
	p := h
	add := func(o block.L1Number, txs int, extra uint64) {
		blk := protocol.Block{Number: p.Number + 1, Origin: o, Time: max(p.Time, l1Time(uint64(o))) + extra,
			StateRoot: common.Hash{byte(o)}, BlockHash: l2Hash(p.Number + 1)}
		for j := range txs {
			blk.Transactions = append(blk.Transactions, l2Tx(uint64(j)))
		}
		b.Blocks = append(b.Blocks, blk)
		p = protocol.Head{Number: blk.Number, Hash: blk.BlockHash, Time: blk.Time, Origin: o}
	}
	for o := p.Origin + 1; o <= to; o++ {
		add(o, 0, 0)
	}
	add(to+1, 2, 1)
	return b
}

// TestSequencingWindow: after S L1 blocks without a batch, an origin has
// exactly one L2 block, deposit-only; the next origin, still in its
// window, may carry transactions.
func TestSequencingWindow(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(30) // origins up to 10 have closed windows (10 + 20 <= 30)
	cases := []struct {
		name   string
		mutate func(b *protocol.Batch)
		want   error
	}{
		{"transactions at a closed origin", func(b *protocol.Batch) { b.Blocks[4].Transactions = append(b.Blocks[4].Transactions, l2Tx(0)) },
			protocol.ErrWindowNotDepositOnly},
		{"a later time at a closed origin", func(b *protocol.Batch) {
			for i := 4; i < len(b.Blocks); i++ {
				b.Blocks[i].Time++
			}
		}, protocol.ErrWindowNotDepositOnly},
		{"two blocks at a closed origin", func(b *protocol.Batch) {
			dup := b.Blocks[4]
			b.Blocks = append(b.Blocks[:5], append([]protocol.Block{dup}, b.Blocks[5:]...)...)
			for i := 5; i < len(b.Blocks); i++ {
				b.Blocks[i].Number++
			}
		}, protocol.ErrWindowStay},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := e.catchUp(10)
			tc.mutate(b)
			before := e.root()
			_, _, err := e.submit(b)
			if !errors.Is(err, tc.want) || !errors.Is(err, ErrRefused) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if e.root() != before {
				t.Fatal("a refused batch changed the state")
			}
		})
	}
	// Origin 11 is still in its window at block 30: a block there may
	// carry transactions; the deposit-only blocks for 1 to 10 are accepted.
	b := e.catchUp(10)
	e.mustSubmit(b)
	if h := e.head(); h.Number != 11 || h.Origin != 11 {
		t.Fatalf("head %+v", h)
	}
	// At block 31, 11 has closed: another block at 11 is refused.
	e.endBlock()
	stay := &protocol.Batch{ParentHash: l2Hash(11), Blocks: []protocol.Block{
		{Number: 12, Origin: 11, Time: b.Blocks[10].Time, BlockHash: l2Hash(12)},
	}}
	if _, _, err := e.submit(stay); !errors.Is(err, protocol.ErrWindowStay) {
		t.Fatalf("a block staying at origin 11 in L1 block 31: %v", err)
	}
}

// TestFinalizationAfterExactlyW: a batch accepted in block A is final at
// the end of block A+W, not before, with a BatchFinalized log.
func TestFinalizationAfterExactlyW(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(5)
	e.mustSubmit(e.nextBatch(3, 1))
	e.endBlock()
	e.mustSubmit(e.nextBatch(2, 0))
	e.advanceTo(5 + window)
	if ReadFinalizedBatchCount(e.st) != 0 {
		t.Fatal("final before A+W")
	}
	if n, _ := ReadFinalizedBlock(e.st); n != 0 {
		t.Fatalf("finalized block %d", n)
	}
	logs := len(e.st.Logs())
	e.endBlock() // block A+W
	if ReadFinalizedBatchCount(e.st) != 1 {
		t.Fatal("not final at A+W")
	}
	if n, _ := ReadFinalizedBlock(e.st); n != 3 {
		t.Fatalf("finalized block %d, want 3", n)
	}
	fin := e.st.Logs()[logs:]
	if len(fin) != 1 {
		t.Fatalf("%d logs at A+W", len(fin))
	}
	ev, err := ParseBatchFinalized(fin[0])
	if err != nil || ev.Index != 0 || ev.LastBlock != 3 || ev.L1Block != 5+window {
		t.Fatalf("BatchFinalized %+v, %v", ev, err)
	}
	ret, _ := e.view(PackBatch(0))
	if b, err := UnpackBatch(0, ret); err != nil || !b.Final {
		t.Fatalf("batch(0) = %+v, %v", b, err)
	}
	ret, _ = e.view(PackBatch(1))
	if b, err := UnpackBatch(1, ret); err != nil || b.Final {
		t.Fatalf("batch(1) = %+v, %v", b, err)
	}
	e.endBlock()
	if ReadFinalizedBatchCount(e.st) != 2 {
		t.Fatal("the second batch is not final at its A+W")
	}
	ret, _ = e.view(PackFinalizedBlock())
	if n, err := UnpackFinalizedBlock(ret); err != nil || n != 5 {
		t.Fatalf("finalizedBlock() = %d, %v", n, err)
	}
}

// TestFinalizationWorkIsBounded: 20 batches accepted in one L1 block
// finalize 16 at A+W and the other 4 a block later.
func TestFinalizationWorkIsBounded(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(3)
	for range 20 {
		e.mustSubmit(e.nextBatch(1, 0))
	}
	e.advanceTo(3 + window)
	count := func() int {
		n := 0
		for _, l := range e.st.Logs() {
			if l.Topics[0] == BatchFinalizedTopic() {
				n++
			}
		}
		return n
	}
	e.endBlock()
	if got := ReadFinalizedBatchCount(e.st); got != MaxFinalizePerBlock || count() != MaxFinalizePerBlock {
		t.Fatalf("finalized %d (%d logs) at A+W, want %d", got, count(), MaxFinalizePerBlock)
	}
	e.endBlock()
	if got := ReadFinalizedBatchCount(e.st); got != 20 || count() != 20 {
		t.Fatalf("finalized %d (%d logs) a block later, want 20", got, count())
	}
}

// TestViews checks every view against the state readers, and the binary
// search of batchOfBlock against a scan.
func TestViews(t *testing.T) {
	e := newEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	sizes := []int{1, 3, 2, 7, 1, 1, 4, 5}
	for _, n := range sizes {
		e.mustSubmit(e.nextBatch(n, 0))
		e.endBlock()
	}
	last := block.L2Number(0)
	for _, n := range sizes {
		last += block.L2Number(n)
	}
	first := block.L2Number(1)
	for i, n := range sizes {
		for l2 := first; l2 < first+block.L2Number(n); l2++ {
			got, err := ReadBatchOfBlock(e.st, l2)
			ret, verr := e.view(PackBatchOfBlock(l2))
			viewed, uerr := UnpackBatchOfBlock(ret)
			if err != nil || verr != nil || uerr != nil || got != uint64(i) || viewed != uint64(i) {
				t.Fatalf("batchOfBlock(%d) = %d / %d (%v %v %v), want %d", l2, got, viewed, err, verr, uerr, i)
			}
		}
		ret, err := e.view(PackBatch(uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		viewed, err := UnpackBatch(uint64(i), ret)
		stored, _ := ReadBatch(e.st, uint64(i))
		stored.WithdrawalCount, stored.WithdrawalsRoot, stored.FirstWithdrawal, stored.PostedWithdrawals = 0, common.Hash{}, 0, 0
		if err != nil || viewed != stored || viewed.FirstBlock != first {
			t.Fatalf("batch(%d) = %+v, stored %+v, %v", i, viewed, stored, err)
		}
		first += block.L2Number(n)
	}
	for _, l2 := range []block.L2Number{0, last + 1, 1 << 60} {
		if _, err := e.view(PackBatchOfBlock(l2)); !errors.Is(err, ErrNoBatch) {
			t.Fatalf("batchOfBlock(%d): %v", l2, err)
		}
	}
	if _, err := e.view(PackBatch(uint64(len(sizes)))); !errors.Is(err, ErrNoBatch) {
		t.Fatalf("batch past the end: %v", err)
	}
	checks := []struct {
		input []byte
		check func(ret []byte) (bool, error)
	}{
		{PackLatestBlock(), func(r []byte) (bool, error) { n, err := UnpackLatestBlock(r); return n == last, err }},
		{PackBatchCount(), func(r []byte) (bool, error) { n, err := UnpackBatchCount(r); return n == uint64(len(sizes)), err }},
		{PackFinalizedBatchCount(), func(r []byte) (bool, error) { n, err := UnpackFinalizedBatchCount(r); return n == 0, err }},
		{PackFinalizedBlock(), func(r []byte) (bool, error) { n, err := UnpackFinalizedBlock(r); return n == 0, err }},
		{PackLastAccepted(), func(r []byte) (bool, error) { h, err := UnpackLastAccepted(r); return h == e.head(), err }},
		{PackBatchWithdrawals(0), func(r []byte) (bool, error) {
			w, err := UnpackBatchWithdrawals(r)
			return w == BatchWithdrawals{}, err
		}},
	}
	for i, c := range checks {
		ret, err := e.view(c.input)
		if err != nil {
			t.Fatalf("view %d: %v", i, err)
		}
		if ok, err := c.check(ret); !ok || err != nil {
			t.Fatalf("view %d returned %x (%v)", i, ret, err)
		}
	}
	if _, err := UnpackLatestBlock([]byte{1, 2}); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("a short result: %v", err)
	}
	if _, err := ParseBatchAccepted(&types.Log{Address: Address}); !errors.Is(err, ErrBadResponse) {
		t.Fatalf("a foreign log: %v", err)
	}
}

// TestCalldataLimitRaisesTheTransactionSizeLimit: the state transition
// admits a submitBatch transaction carrying a 4 MiB batch and a challenge
// carrying a 4 MiB proof, and refuses a proof one byte more, by the
// contract's declared calldata limit.
func TestCalldataLimitRaisesTheTransactionSizeLimit(t *testing.T) {
	e := newEnv(t)
	cfg := e.gen.ExecutionConfig()
	signer := execution.Signer(cfg.ChainID)
	key, _ := crypto.ToECDSA(common.LeftPadBytes([]byte{9}, 32))
	for _, c := range []struct {
		name string
		data []byte
		ok   bool
	}{
		{"a 4 MiB batch", PackSubmitBatch(make([]byte, MaxBatchSize)), true},
		{"a 4 MiB proof", PackChallenge(1, make([]byte, protocol.MaxFraudProofSize)), true},
		{"a proof one byte over", PackChallenge(1, make([]byte, protocol.MaxFraudProofSize+1)), false},
		{"calldata one byte over", make([]byte, MaxCallDataSize+1), false},
	} {
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{ChainID: cfg.ChainID, Gas: 100_000_000, To: &Address,
			GasFeeCap: big.NewInt(1e9), Data: c.data})
		if err != nil {
			t.Fatal(err)
		}
		_, err = execution.CheckTx(cfg, signer, e.reg, tx, nil, 200_000_000)
		if c.ok && err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !c.ok && !errors.Is(err, execution.ErrTxTooLarge) {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}
