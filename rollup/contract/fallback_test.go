package contract

import (
	"errors"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/tracing"
)

// proposer is a fallback proposer of the tests: neither the sequencer nor
// the challenger (stranger).
var proposer = common.HexToAddress("0x00000000000000000000000000000000fa11bac0")

// timeout is the test genesis's sequencer timeout: the default, 2 × S.
const timeout = 2 * seqWindow

// fundProposer gives the fallback proposer L1 ether and bonds amount of it.
func (e *env) fundProposer(bond int64) {
	e.t.Helper()
	e.st.AddBalance(proposer, eth(100), tracing.BalanceChangeUnspecified)
	if bond > 0 {
		if _, _, err := e.run(proposer, eth(bond), PackBond()); err != nil {
			e.t.Fatalf("the proposer's bond: %v", err)
		}
	}
}

// submitFrom posts b from who in the current block.
func (e *env) submitFrom(who common.Address, b *protocol.Batch) ([]byte, uint64, error) {
	e.t.Helper()
	return e.run(who, nil, PackSubmitBatch(encode(e.t, b)))
}

// fallbackWindow reads fallbackFrom() in the current block.
func (e *env) fallbackWindow() FallbackWindow {
	e.t.Helper()
	ret, err := e.view(PackFallbackFrom())
	if err != nil {
		e.t.Fatal(err)
	}
	w, err := UnpackFallbackFrom(ret)
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

// TestFallbackPosterRules: before any batch the timeout counts from L1
// block 1. After the sequencer's batch in L1 block 5, a bonded stranger is
// refused until block 5+timeout (the revert names that block), an unbonded
// one after it too; the bonded one then posts (the deposit-only blocks of
// the expired origins, and more), the batch records it as the poster, its
// bond is locked for the challenge window, and the timeout counts from its
// batch. The sequencer posts at once after it, continuing from the
// fallback batch's last block.
func TestFallbackPosterRules(t *testing.T) {
	e := newEnv(t)
	e.fundProposer(10)
	if w := e.fallbackWindow(); w != (FallbackWindow{From: 1 + timeout, Since: 1}) {
		t.Fatalf("fallbackFrom before any batch = %+v, want from %d since 1", w, 1+timeout)
	}
	e.bond(eth(10))
	e.advanceTo(5)
	first := e.nextBatch(2, 1)
	if _, _, err := e.submitFrom(proposer, first); !errors.Is(err, ErrNotSequencer) {
		t.Fatalf("a stranger's batch in L1 block 5: %v", err)
	}
	e.mustSubmit(first)
	if w := e.fallbackWindow(); w != (FallbackWindow{From: 5 + timeout, Since: 5}) {
		t.Fatalf("fallbackFrom = %+v, want from %d since 5", w, 5+timeout)
	}

	// Before the timeout: refused, naming the first block it may post in.
	e.advanceTo(5 + timeout - 1)
	b := e.nextBatchEvery(30, 0, 1) // deposit-only blocks: origins 2 to 31
	before := e.root()
	_, _, err := e.submitFrom(proposer, b)
	revertsWith(t, err, ErrNotSequencer, "any bonded account may post from L1 block 45")
	if e.root() != before {
		t.Fatal("a refused fallback batch changed the state")
	}
	e.endBlock()

	// After it: an unbonded account is refused, a bonded one accepted.
	_, _, err = e.submitFrom(stranger, b)
	revertsWith(t, err, ErrBondTooLow, "bonded 0 wei")
	ret, _, err := e.submitFrom(proposer, b)
	if err != nil {
		t.Fatalf("the bonded proposer's batch in L1 block %d: %v", e.block, err)
	}
	if i, err := UnpackSubmitBatch(ret); err != nil || i != 1 {
		t.Fatalf("batch index %d, %v", i, err)
	}
	rec, err := ReadBatch(e.st, 1)
	if err != nil || rec.Poster != proposer || rec.FirstBlock != 3 || rec.BlockCount != 30 {
		t.Fatalf("fallback batch record %+v, %v", rec, err)
	}
	ret, err = e.view(PackBatch(1))
	if viewed, uerr := UnpackBatch(1, ret); err != nil || uerr != nil || viewed.Poster != proposer {
		t.Fatalf("batch(1) view %+v, %v %v", viewed, err, uerr)
	}
	if rec, _ := ReadBatch(e.st, 0); rec.Poster != sequencer {
		t.Fatalf("the sequencer's batch names poster %s", rec.Poster)
	}
	fellBack := block.L1Number(e.block)
	if w := e.fallbackWindow(); w != (FallbackWindow{From: fellBack + timeout, Since: fellBack}) {
		t.Fatalf("fallbackFrom after the fallback batch = %+v", w)
	}
	_, _, err = e.run(proposer, nil, PackUnbond())
	revertsWith(t, err, ErrBondLocked, "may be challenged until L1 block 75")

	// The sequencer goes on from the fallback batch, in the same block.
	next := e.nextBatch(3, 2)
	if next.ParentHash != b.Blocks[len(b.Blocks)-1].BlockHash {
		t.Fatal("the test's next batch does not continue the fallback batch")
	}
	if i := e.mustSubmit(next); i != 2 {
		t.Fatalf("the sequencer's batch after the fallback got index %d", i)
	}
	if h := e.head(); h.Number != 35 {
		t.Fatalf("last accepted %d, want 35", h.Number)
	}
	// And the proposer must wait the whole timeout again.
	e.endBlock()
	_, _, err = e.submitFrom(proposer, e.nextBatchEvery(1, 0, 1))
	revertsWith(t, err, ErrNotSequencer, "from L1 block 85")
}

// TestFallbackPosterIsSlashed: the sequencer posts blocks 1–3 and goes
// silent; after the timeout a bonded fallback proposer posts the
// deposit-only blocks 4–10 with a wrong state root for block 6. The
// challenge deletes blocks 6 on and slashes the proposer's bond (the
// dispute and the Challenged log name it), not the sequencer's; the
// timeout then counts from the challenge, and the sequencer posts the
// right blocks 6–10 at once.
func TestFallbackPosterIsSlashed(t *testing.T) {
	f := newL2Env(t, 4, 2, 4)
	f.fundProposer(10)
	f.bond(eth(10))
	f.advanceTo(5)
	for o := range block.L1Number(3) {
		f.l2Block(o+1, f.transfers(2))
	}
	f.mustSubmit(f.claims(1, 3))
	f.advanceTo(5 + timeout)
	for o := block.L1Number(4); o <= 10; o++ {
		f.l2Block(o, nil) // deposit-only: origins 4–10 expired long ago
	}
	posted := f.claims(4, 10)
	posted.Blocks[2].StateRoot[31] ^= 1 // block 6
	if _, _, err := f.submitFrom(proposer, posted); err != nil {
		t.Fatalf("the fallback batch: %v", err)
	}
	f.endBlock()

	bal := f.st.GetBalance(stranger).Clone()
	logsBefore := len(f.st.Logs())
	if _, _, err := f.challenge(6, encodeProof(t, f.mustProof(6, posted, posted))); err != nil {
		t.Fatalf("challenge of the fallback's block 6: %v", err)
	}
	if got := ReadBond(f.st, proposer); got.Sign() != 0 {
		t.Fatalf("the proposer kept a bond of %s", got)
	}
	if got := ReadBond(f.st, sequencer); got.Cmp(eth(10).ToBig()) != 0 {
		t.Fatalf("the sequencer's bond is %s, want it untouched", got)
	}
	if got := f.st.GetBalance(stranger).Clone(); !got.Eq(bal.Add(bal, eth(5))) {
		t.Fatal("the challenger did not get half the proposer's bond")
	}
	d, err := ReadDispute(f.st, 0)
	if err != nil || d.Poster != proposer || d.L2Block != 6 || d.BatchIndex != 1 {
		t.Fatalf("dispute %+v, %v", d, err)
	}
	ret, err := f.view(PackDispute(0))
	if viewed, uerr := UnpackDispute(0, ret); err != nil || uerr != nil || viewed.Poster != proposer {
		t.Fatalf("dispute(0) view %+v, %v %v", viewed, err, uerr)
	}
	logs := f.st.Logs()[logsBefore:]
	if len(logs) != 1 {
		t.Fatalf("%d logs", len(logs))
	}
	if ev, err := ParseChallenged(logs[0]); err != nil || ev.Poster != proposer || ev.L2Block != 6 {
		t.Fatalf("Challenged %+v, %v", ev, err)
	}
	challenged := block.L1Number(f.block)
	if w := f.fallbackWindow(); w != (FallbackWindow{From: challenged + timeout, Since: challenged}) {
		t.Fatalf("fallbackFrom after the challenge = %+v", w)
	}

	// The slashed proposer cannot post again before re-bonding (nor
	// before the timeout); the sequencer posts the right blocks at once.
	f.endBlock()
	_, _, err = f.submitFrom(proposer, f.claims(6, 10))
	revertsWith(t, err, ErrNotSequencer, "sequencer timeout")
	f.mustSubmit(f.claims(6, 10))
	if h := f.head(); h.Number != 10 || h.Hash != f.l2(10).Hash() {
		t.Fatalf("last accepted %+v, want the own block 10", h)
	}
	if rec, err := ReadBatch(f.st, 2); err != nil || rec.Poster != sequencer || rec.FirstBlock != 6 {
		t.Fatalf("the sequencer's batch after the challenge: %+v, %v", rec, err)
	}
}
