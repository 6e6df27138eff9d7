package inproc_test

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/devnet/devnettest"
	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/rollup/sequencer"
	"github.com/bilayer/bilayer/rollup/verifier"
)

// TestEachWrongOutputIsRolledBack (issue 12, acceptance 1): for each way
// the sequencer's development switch posts a wrong output — a flipped
// state-root byte, a zero state root, a wrong block hash, a wrong
// withdrawals root, a right state root on a wrong parent (N−1 and N in
// one batch, and across two) — on a rollup of its own (a real L1 node,
// the sequencer, the challenger; 250 ms L1 blocks, a 6-block challenge
// window), after four L2 transfers and with the wrong output in the last
// one's block N (three blocks later across batches):
//
//   - the challenger proves the first wrong output (N; N−1 for the wrong
//     parent) in one L1 transaction: one dispute record, one Challenged
//     log, the challenger's only L1 transaction, naming it;
//   - the bond moves exactly: the contract pays out the whole bond in the
//     dispute's L1 block, the challenger's balance rises by half of it
//     minus the challenge's fee, the other half is burned (no one else
//     gains), and the sequencer's bond is 0 until it re-bonds;
//   - the outputs from the disputed block on are gone: the last accepted
//     block is its parent, its batch keeps only the blocks before it, and
//     the later batches — the challenger held its proof until one was
//     accepted — are deleted;
//   - the sequencer re-bonds and posts again from the disputed block, and
//     the chain finalizes past every deleted block with outputs equal to
//     the verifier's, which settles the disagreement and agrees again; the
//     two chains are equal block by block and hold the transfers.
func TestEachWrongOutputIsRolledBack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a rollup per variant (about 10 s each)")
	}
	for _, v := range []struct {
		name  string
		kind  sequencer.BadOutputKind
		after block.L2Number
	}{
		{"flipped state-root byte", sequencer.BadStateRootByte, 0},
		{"zero state root", sequencer.BadZeroStateRoot, 0},
		{"wrong block hash", sequencer.BadBlockHash, 0},
		{"wrong withdrawals root", sequencer.BadWithdrawals, 0},
		// N−1 and N in the first batch.
		{"right state root on a wrong parent", sequencer.BadWrongParent, 0},
		// In empty blocks past the transfers, which the sequencer posts
		// one per batch: N−1 ends a batch and N starts the next, on the
		// wrong hash the L1 accepted.
		{"right state root on a wrong parent, across batches", sequencer.BadWrongParent, 3},
	} {
		t.Run(v.name, func(t *testing.T) { testRollback(t, v.kind, v.after) })
	}
}

// startRollup starts the test's rollup, whose logs are printed if the
// test fails.
func startRollup(t *testing.T, ctx context.Context) *inproc.Rollup {
	t.Helper()
	logs := &devnettest.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("rollup logs:\n%s", logs.String())
		}
	})
	o := inproc.FastOptions()
	o.HoldChallenge = true
	o.Log = logs
	r, err := inproc.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close the rollup: %v", err)
		}
	})
	return r
}

func testRollback(t *testing.T, kind sequencer.BadOutputKind, after block.L2Number) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r := startRollup(t, ctx)
	bond := r.Config.SequencerBond

	bad, rcs, err := r.PostWrongOutput(ctx, 4, kind, after)
	if err != nil {
		t.Fatal(err)
	}
	want := inproc.Disputed(bad)
	d, err := r.WaitDispute(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := r.RollbackOf(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	at, pre := d.L1Block, d.L1Block-1
	t.Logf("wrong %s output at L2 block %d: dispute of block %d, batch %d, in L1 block %d, %d L1 blocks (%s) after the batch was accepted",
		kind, bad.At, d.L2Block, d.BatchIndex, at, rb.Blocks, rb.Took.Round(time.Millisecond))

	// One L1 transaction proves the first wrong output.
	if d.L2Block != want || d.Challenger != r.ChallengerAddress || d.Index != 0 {
		t.Fatalf("dispute(0) names L2 block %d and challenger %s, want %d and %s", d.L2Block, d.Challenger, want, r.ChallengerAddress)
	}
	logs, err := r.ChallengedLogs(ctx, 0, r.L1Head())
	if err != nil {
		t.Fatal(err)
	}
	if len(logs) != 1 {
		t.Fatalf("%d Challenged logs, want 1: %+v", len(logs), logs)
	}
	c := logs[0]
	if c.L2Block != d.L2Block || c.BatchIndex != d.BatchIndex || c.Dispute != 0 || c.L1Block != at || c.Challenger != d.Challenger ||
		c.PostedOutput != d.Posted.Root || c.ComputedOutput != d.Computed.Root || c.Reward.Cmp(d.Reward) != 0 || c.Burned.Cmp(d.Burned) != 0 {
		t.Fatalf("Challenged log %+v does not match dispute(0) %+v", c, d)
	}
	if n, err := r.L1.NonceAt(ctx, r.ChallengerAddress, &at); err != nil || n != 1 {
		t.Fatalf("the challenger sent %d L1 transactions up to the dispute, want 1 (%v)", n, err)
	}
	rc, err := r.L1.TransactionReceipt(ctx, c.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != types.ReceiptStatusSuccessful || block.L1Number(rc.BlockNumber.Uint64()) != at {
		t.Fatalf("the challenge's receipt: status %d in L1 block %d, want success in %d", rc.Status, rc.BlockNumber, at)
	}
	checkPostedOutput(t, r, kind, d)

	// The bond: the contract pays it all out, half to the challenger (net
	// of the challenge's fee), the rest is burned; the sequencer has none.
	half := new(big.Int).Div(bond, big.NewInt(2))
	if d.Reward.Cmp(half) != 0 || new(big.Int).Add(d.Reward, d.Burned).Cmp(bond) != 0 {
		t.Fatalf("reward %s and burned %s, want %s and the rest of the bond %s", d.Reward, d.Burned, half, bond)
	}
	fee := new(big.Int).Mul(new(big.Int).SetUint64(rc.GasUsed), rc.EffectiveGasPrice)
	if got, want := balanceDelta(t, ctx, r, r.ChallengerAddress, at), new(big.Int).Sub(half, fee); got.Cmp(want) != 0 {
		t.Fatalf("the challenger's L1 balance changed by %s in L1 block %d, want half the bond minus the fee %s: %s", got, at, fee, want)
	}
	if got := balanceDelta(t, ctx, r, contract.Address, at); got.Cmp(new(big.Int).Neg(bond)) != 0 {
		t.Fatalf("the rollup contract's L1 balance changed by %s in L1 block %d, want −%s", got, at, bond)
	}
	if got := balanceDelta(t, ctx, r, r.SequencerAddress, at); got.Sign() > 0 {
		t.Fatalf("the sequencer's L1 balance rose by %s in the dispute's block", got)
	}
	if b, err := r.BondOf(ctx, r.SequencerAddress, &pre); err != nil || b.Cmp(bond) != 0 {
		t.Fatalf("bondOf(sequencer) before the dispute: %v, %v; want %s", b, err, bond)
	}
	if b, err := r.BondOf(ctx, r.SequencerAddress, &at); err != nil || b.Sign() != 0 {
		t.Fatalf("bondOf(sequencer) after the dispute: %v, %v; want 0", b, err)
	}

	if kind == sequencer.BadWrongParent {
		// Where the lie went (the batcher decides the batches' bounds).
		i, err1 := r.BatchOfBlock(ctx, bad.At-1, &pre)
		j, err2 := r.BatchOfBlock(ctx, bad.At, &pre)
		if err1 != nil || err2 != nil {
			t.Fatalf("before the dispute, L2 blocks %d and %d are not both posted: %v, %v", bad.At-1, bad.At, err1, err2)
		}
		t.Logf("the wrong parent %d was posted in batch %d, the block on it in batch %d", bad.At-1, i, j)
	}

	// The outputs from the disputed block on are gone, later batches too.
	laPre, countPre, disputedBatch := contractHeads(t, ctx, r, pre, d.BatchIndex)
	la, count, _ := contractHeads(t, ctx, r, at, d.BatchIndex)
	if countPre <= d.BatchIndex+1 || laPre.Number <= d.L2Block {
		t.Fatalf("before the dispute the contract held %d batches up to L2 block %d: no batch after the disputed batch %d",
			countPre, laPre.Number, d.BatchIndex)
	}
	own, err := r.SequencerChain.BlockByNumber(d.L2Block - 1)
	if err != nil {
		t.Fatal(err)
	}
	if la.Number != d.L2Block-1 || la.Hash != own.Hash() {
		t.Fatalf("after the dispute the last accepted block is %d (%s), want the disputed block's parent %d (%s)", la.Number, la.Hash, d.L2Block-1, own.Hash())
	}
	wantCount := d.BatchIndex
	if d.L2Block > disputedBatch.FirstBlock {
		wantCount++
		b, err := r.Batch(ctx, d.BatchIndex, &at)
		if err != nil || b.FirstBlock != disputedBatch.FirstBlock || b.FirstBlock+block.L2Number(b.BlockCount) != d.L2Block {
			t.Fatalf("the disputed batch after the dispute: %+v, %v; want blocks %d to %d", b, err, disputedBatch.FirstBlock, d.L2Block-1)
		}
	}
	if count != wantCount {
		t.Fatalf("%d batches after the dispute (%d before), want %d", count, countPre, wantCount)
	}
	for m := d.L2Block; m <= laPre.Number; m++ {
		if i, err := r.BatchOfBlock(ctx, m, &at); err == nil {
			t.Fatalf("L2 block %d is still in batch %d after the dispute", m, i)
		}
	}

	// The sequencer re-bonds and posts again from the disputed block.
	waitfor.Until(t, 20*time.Second, func() error {
		b, err := r.BondOf(ctx, r.SequencerAddress, nil)
		if err != nil {
			return err
		}
		if b.Cmp(bond) != 0 {
			return fmt.Errorf("bondOf(sequencer) = %s, want %s again (%v)", b, bond, r.Err())
		}
		return nil
	})
	var repost contract.BatchAccepted
	waitfor.Until(t, 20*time.Second, func() error {
		// A batch accepted in the dispute's block went before the
		// challenge, which deleted it; the re-bonded sequencer posts later.
		acc, err := r.BatchAcceptedLogs(ctx, at+1, max(r.L1Head(), at+1))
		if err != nil {
			return err
		}
		if len(acc) == 0 {
			return fmt.Errorf("no batch accepted after the dispute (L1 block %d)", at)
		}
		repost = acc[0]
		return nil
	})
	if repost.Index != wantCount || repost.FirstBlock != d.L2Block {
		t.Fatalf("the first batch after the dispute is %d with blocks %d-%d, want %d from L2 block %d", repost.Index, repost.FirstBlock, repost.LastBlock, wantCount, d.L2Block)
	}
	if b, err := r.BondOf(ctx, r.SequencerAddress, &repost.L1Block); err != nil || b.Cmp(bond) != 0 {
		t.Fatalf("bondOf(sequencer) when it posted again: %v, %v", b, err)
	}

	// The chain finalizes past every deleted block and every transfer, with
	// the verifier's outputs; the disagreement is settled.
	target := max(laPre.Number, block.L2Number(rcs[len(rcs)-1].BlockNumber.Uint64())) + 1
	var st verifier.Status
	waitfor.Until(t, 30*time.Second, func() error {
		if err := r.Err(); err != nil {
			return err
		}
		fin, err := r.FinalizedBlock(ctx, nil)
		if err != nil {
			return err
		}
		st = r.Verifier.Status()
		switch {
		case fin < target:
			return fmt.Errorf("the contract finalized up to L2 block %d, want %d", fin, target)
		case st.FirstDisagreement != nil || len(st.Open) > 0:
			return fmt.Errorf("the verifier still disagrees: %+v", st.Open)
		case st.Checked < target:
			return fmt.Errorf("the verifier checked up to L2 block %d, want %d", st.Checked, target)
		case r.Sequencer.Finalized() < uint64(target):
			return fmt.Errorf("the sequencer's finalized head is %d, want %d", r.Sequencer.Finalized(), target)
		}
		return nil
	})
	checkSettled(t, kind, bad, st.Settled)
	for n := block.L2Number(1); n <= target; n++ {
		s, err := r.SequencerChain.BlockByNumber(n)
		if err != nil {
			t.Fatal(err)
		}
		v, err := r.VerifierChain.BlockByNumber(n)
		if err != nil {
			t.Fatal(err)
		}
		if s.Hash() != v.Hash() || s.Header.Root != v.Header.Root {
			t.Fatalf("L2 block %d: the sequencer's is %s (state %s), the verifier's %s (state %s)", n, s.Hash(), s.Header.Root, v.Hash(), v.Header.Root)
		}
	}
	for _, rc := range rcs {
		loc, err := r.VerifierChain.TxLocation(rc.TxHash)
		if err != nil || loc.Height != rc.BlockNumber.Uint64() {
			t.Fatalf("transfer %s (sequencer's block %d) in the verifier's chain: %+v, %v", rc.TxHash, rc.BlockNumber, loc, err)
		}
		again, err := r.L2.TransactionReceipt(ctx, rc.TxHash)
		if err != nil || again.Status != types.ReceiptStatusSuccessful || again.BlockHash != rc.BlockHash {
			t.Fatalf("transfer %s after the dispute: %+v, %v", rc.TxHash, again, err)
		}
	}

	// Still one dispute and one challenge transaction.
	if n, err := r.DisputeCount(ctx, nil); err != nil || n != 1 {
		t.Fatalf("disputeCount = %d (%v), want 1", n, err)
	}
	if n, err := r.L1.NonceAt(ctx, r.ChallengerAddress, nil); err != nil || n != 1 {
		t.Fatalf("the challenger sent %d L1 transactions in all, want 1 (%v)", n, err)
	}
	if won := r.Agent.Won(); !slices.Equal(won, []block.L2Number{want}) {
		t.Fatalf("the agent won %v, want [%d]", won, want)
	}
	t.Logf("finalized past L2 block %d (%d outputs agreed); %s in all", target, st.Agreed, time.Since(start).Round(time.Millisecond))
}

// balanceDelta is how account's L1 balance changed in L1 block at.
func balanceDelta(t *testing.T, ctx context.Context, r *inproc.Rollup, account common.Address, at block.L1Number) *big.Int {
	t.Helper()
	before := at - 1
	b0, err := r.L1Balance(ctx, account, &before)
	if err != nil {
		t.Fatal(err)
	}
	b1, err := r.L1Balance(ctx, account, &at)
	if err != nil {
		t.Fatal(err)
	}
	return new(big.Int).Sub(b1, b0)
}

// contractHeads reads the last accepted block, the batch count and
// batch i (if it exists) after L1 block at.
func contractHeads(t *testing.T, ctx context.Context, r *inproc.Rollup, at block.L1Number, i uint64) (la protocol.Head, count uint64, b contract.BatchInfo) {
	t.Helper()
	la, err := r.LastAccepted(ctx, &at)
	if err != nil {
		t.Fatal(err)
	}
	if count, err = r.BatchCount(ctx, &at); err != nil {
		t.Fatal(err)
	}
	if i < count {
		if b, err = r.Batch(ctx, i, &at); err != nil {
			t.Fatal(err)
		}
	}
	return la, count, b
}

// checkPostedOutput checks what the dispute says was wrong against the
// kind, and its computed output against the sequencer's own block.
func checkPostedOutput(t *testing.T, r *inproc.Rollup, kind sequencer.BadOutputKind, d contract.Dispute) {
	t.Helper()
	own, err := r.SequencerChain.BlockByNumber(d.L2Block)
	if err != nil {
		t.Fatal(err)
	}
	p, c := d.Posted, d.Computed
	if c.StateRoot != own.Header.Root || c.BlockHash != own.Hash() || p.Root == c.Root {
		t.Fatalf("dispute of L2 block %d: computed state %s, block %s; the sequencer's block has %s, %s; posted root %s, computed %s",
			d.L2Block, c.StateRoot, c.BlockHash, own.Header.Root, own.Hash(), p.Root, c.Root)
	}
	sameState, sameHash, sameWithdrawals := p.StateRoot == c.StateRoot, p.BlockHash == c.BlockHash, p.WithdrawalsRoot == c.WithdrawalsRoot
	var ok bool
	switch kind {
	case sequencer.BadStateRootByte:
		ok = !sameState && p.StateRoot != (common.Hash{}) && sameHash && sameWithdrawals
	case sequencer.BadZeroStateRoot:
		ok = p.StateRoot == (common.Hash{}) && sameHash && sameWithdrawals
	case sequencer.BadBlockHash:
		ok = sameState && !sameHash && sameWithdrawals
	case sequencer.BadWithdrawals:
		ok = sameState && sameHash && !sameWithdrawals
	case sequencer.BadWrongParent:
		// The parent of the block with the right state root: its state
		// root and (so) its hash are wrong.
		ok = !sameState && !sameHash && sameWithdrawals
	}
	if !ok {
		t.Fatalf("dispute of L2 block %d (%s): posted %+v, computed %+v", d.L2Block, kind, p, c)
	}
}

// checkSettled checks the verifier's settled disagreements: the disputed
// block, and for the wrong parent also block N, with its right state root
// and the hash of a header on the wrong parent.
func checkSettled(t *testing.T, kind sequencer.BadOutputKind, bad inproc.BadOutput, settled []verifier.Disagreement) {
	t.Helper()
	find := func(n block.L2Number) *verifier.Disagreement {
		for i := range settled {
			if settled[i].Number == n {
				return &settled[i]
			}
		}
		t.Fatalf("the verifier settled %+v, not L2 block %d", settled, n)
		return nil
	}
	d := find(inproc.Disputed(bad))
	if len(d.Fields) == 0 {
		t.Fatalf("settled disagreement %+v names no field", d)
	}
	if kind != sequencer.BadWrongParent {
		return
	}
	n := find(bad.At)
	if !slices.Equal(n.Fields, []string{"blockHash"}) || n.PostedStateRoot != n.OwnStateRoot || n.PostedBlockHash == n.OwnBlockHash {
		t.Fatalf("L2 block %d on the wrong parent: %+v, want only its block hash wrong", bad.At, n)
	}
	if !slices.Contains(d.Fields, "stateRoot") || !slices.Contains(d.Fields, "blockHash") {
		t.Fatalf("the wrong parent %d: %+v, want its state root and block hash wrong", d.Number, d)
	}
}
