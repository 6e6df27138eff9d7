package l2_test

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/devnet/cluster"
)

// testChallengerAgrees: under a stream of L2 transfers (three senders, 180
// transfers) and two deposits through the L1 bridge, the challenger, which
// follows another L1 node than the sequencer and never contacts it,
// derives the same chain. Once the sequencer's safe head has passed every
// transfer's block and the deposits' blocks, the challenger's
// rollup_syncStatus reaches it (checkedL2 and its derived head at least
// the sequencer's safe head) with agreed > 0 and firstDisagreement null;
// every L2 block up to that safe head has the same hash and state root on
// both; the deposit recipients hold their amounts on the challenger's
// chain; its "safe" tag is its derived head; and it refuses transactions.
func testChallengerAgrees(t *testing.T, e *env) {
	ctx := testCtx(t, 2*time.Minute)
	client := e.l2()
	f, err := suggestFees(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	recipients := []common.Address{freshAddress(t), freshAddress(t)}
	s := &stream{}
	streamCtx, stop := context.WithTimeout(ctx, streamTimeout)
	defer stop()
	var wg sync.WaitGroup
	for i := range 3 {
		dev := devAccount(t, 4+i)
		nonce, err := client.PendingNonceAt(ctx, dev.Address)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { s.send(streamCtx, client, e, dev.Key, nonce, f, recipients) })
	}
	type dep struct {
		to     common.Address
		amount *big.Int
		tx     *types.Transaction
	}
	deps := []*dep{{to: freshAddress(t), amount: ether(1)}, {to: freshAddress(t), amount: big.NewInt(5e15)}}
	for i, d := range deps {
		if d.tx, err = e.sendDeposit(ctx, devAccount(t, i), d.to, d.amount); err != nil {
			t.Fatal(err)
		}
	}
	var target uint64
	for _, d := range deps {
		op, err := e.depositOp(ctx, d.tx)
		if err != nil {
			t.Fatal(err)
		}
		var st cluster.DepositStatus
		cluster.Await(t, 45*time.Second, func() error {
			if st, err = e.seq.DepositStatus(ctx, uint64(op.L1Block), op.Index); err != nil {
				return err
			}
			if st.Status != "applied" || st.L2Block == nil {
				return fmt.Errorf("deposit %d/%d: %s", op.L1Block, op.Index, st.Status)
			}
			return nil
		})
		target = max(target, uint64(*st.L2Block))
	}
	wg.Wait()
	if s.err != nil {
		t.Fatalf("transfer stream: %v", s.err)
	}
	if sent, got := s.counts(); got != 3*streamPerSender {
		t.Fatalf("%d receipts of %d sent transfers, want %d", got, sent, 3*streamPerSender)
	}
	for _, c := range s.confirmed {
		target = max(target, c.number)
	}
	safe := e.waitSequencerSafe(t, ctx, target, 60*time.Second)
	st := e.waitVerified(t, ctx, safe, 60*time.Second)
	if err := e.compareChains(ctx, 1, safe); err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		if got, err := e.ch.Client().BalanceAt(ctx, d.to, big64(safe)); err != nil || got.Cmp(d.amount) != 0 {
			t.Fatalf("on the challenger's chain deposit recipient %s holds %v (err %v) at block %d, want %s", d.to, got, err, safe, d.amount)
		}
	}
	var before, safeTag, after rpcBlockNumber
	if err := e.ch.Call(ctx, &before, "eth_getBlockByNumber", "latest", false); err != nil {
		t.Fatal(err)
	}
	if err := e.ch.Call(ctx, &safeTag, "eth_getBlockByNumber", "safe", false); err != nil {
		t.Fatal(err)
	}
	if err := e.ch.Call(ctx, &after, "eth_getBlockByNumber", "latest", false); err != nil {
		t.Fatal(err)
	}
	if safeTag.Number < before.Number || safeTag.Number > after.Number {
		t.Fatalf("the challenger's safe tag is block %d, its derived head went from %d to %d", safeTag.Number, before.Number, after.Number)
	}
	tx, err := transfer(ctx, client, e.l2Signer, devAccount(t, 7).Key, recipients[0], big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ch.Client().SendTransaction(ctx, tx); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a transaction sent to the challenger: err %v, want it refused as read-only", err)
	}
	t.Logf("%d transfers and 2 deposits: the sequencer's safe head %d; the challenger derived %d, checked up to %d, %d outputs agreed",
		len(s.confirmed), safe, st.SafeL2.Number, st.Verification.CheckedL2, st.Verification.Agreed)
}

// testSafeAndFinalized: the sequencer's "safe" and "finalized" block tags
// follow the L1 rollup contract as the challenge window W says. Sampled
// over at least six L1 blocks: finalized never exceeds safe (tags and
// rollup_syncStatus alike) nor the contract's finalizedBlock; safe never
// exceeds the contract's lastAccepted read after it, has its hash when at
// the same height, comes to equal it, and advances. For the finalized
// block F: rollup_outputAtBlock says "finalized" and names its batch,
// rollup_batch says the batch is final and was accepted in L1 block A,
// the L1 head is at least A+W, and the contract (eth_call at past L1
// blocks) had accepted the batch at A but not at A-1, and finalized it at
// A+W but not at A+W-1: no earlier than W L1 blocks after its acceptance.
// The challenger's finalized tag never exceeds its safe tag.
func testSafeAndFinalized(t *testing.T, e *env) {
	ctx := testCtx(t, 90*time.Second)
	w := e.c.Genesis.Rollup.ChallengeWindow
	h0, err := e.l1.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	safes := map[uint64]bool{}
	matched := false
	var fin rpcBlockNumber
	cluster.Await(t, 60*time.Second, func() error {
		la0, err := e.lastAccepted(ctx, nil)
		if err != nil {
			return err
		}
		var safe rpcBlockNumber
		if err := e.seq.Call(ctx, &fin, "eth_getBlockByNumber", "finalized", false); err != nil {
			return err
		}
		if err := e.seq.Call(ctx, &safe, "eth_getBlockByNumber", "safe", false); err != nil {
			return err
		}
		la, err := e.lastAccepted(ctx, nil)
		if err != nil {
			return err
		}
		cfin, err := e.contractFinalized(ctx, nil)
		if err != nil {
			return err
		}
		st, err := e.seq.SyncStatus(ctx)
		if err != nil {
			return err
		}
		switch {
		case fin.Number > safe.Number:
			t.Fatalf("the sequencer's finalized tag is block %d, above its safe tag %d", fin.Number, safe.Number)
		case st.FinalizedL2.Number > st.SafeL2.Number:
			t.Fatalf("rollup_syncStatus: finalized %d above safe %d", st.FinalizedL2.Number, st.SafeL2.Number)
		case uint64(fin.Number) > cfin:
			t.Fatalf("the sequencer's finalized tag is block %d, the contract's finalizedBlock %d", fin.Number, cfin)
		case uint64(safe.Number) > uint64(la.Number):
			t.Fatalf("the sequencer's safe tag is block %d, above the contract's lastAccepted %d", safe.Number, la.Number)
		case uint64(safe.Number) == uint64(la.Number) && safe.Hash != la.Hash:
			t.Fatalf("the sequencer's safe block %d is %s, the contract accepted %s", safe.Number, safe.Hash, la.Hash)
		}
		safes[uint64(safe.Number)] = true
		if la0.Number == la.Number && uint64(safe.Number) == uint64(la.Number) {
			matched = true
		}
		head, err := e.l1.Head(ctx)
		if err != nil {
			return err
		}
		if head < h0+6 || !matched || len(safes) < 2 || fin.Number == 0 {
			return fmt.Errorf("L1 head %d (from %d), safe tags seen %d, matched the contract %v, finalized %d", head, h0, len(safes), matched, fin.Number)
		}
		return nil
	})
	n := uint64(fin.Number)
	var out cluster.Output
	if err := e.seq.Call(ctx, &out, "rollup_outputAtBlock", hexutil.Uint64(n)); err != nil {
		t.Fatal(err)
	}
	if out.Status != "finalized" || out.BatchIndex == nil || out.BlockHash != fin.Hash {
		t.Fatalf("rollup_outputAtBlock(%d) = %+v; want finalized, in a batch, block %s", n, out, fin.Hash)
	}
	var b cluster.Batch
	if err := e.seq.Call(ctx, &b, "rollup_batch", *out.BatchIndex); err != nil {
		t.Fatal(err)
	}
	first, last, a := uint64(b.FirstBlock), uint64(b.LastBlock), uint64(b.L1Block)
	if !b.Final || first > n || n > last || a == 0 {
		t.Fatalf("rollup_batch(%d) = %+v; want a final batch holding block %d", *out.BatchIndex, b, n)
	}
	head, err := e.l1.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if head < a+w {
		t.Fatalf("block %d is finalized with the L1 head at %d; its batch %d was accepted in L1 block %d (W = %d)", n, head, b.Index, a, w)
	}
	at := func(l1 uint64) (accepted, finalized uint64) {
		t.Helper()
		la, err := e.lastAccepted(ctx, &l1)
		if err != nil {
			t.Fatal(err)
		}
		f, err := e.contractFinalized(ctx, &l1)
		if err != nil {
			t.Fatal(err)
		}
		return uint64(la.Number), f
	}
	if acc, _ := at(a - 1); acc >= first {
		t.Fatalf("batch %d (blocks %d-%d) says it was accepted in L1 block %d, but at %d the contract had accepted up to %d", b.Index, first, last, a, a-1, acc)
	}
	if acc, _ := at(a); acc < last {
		t.Fatalf("batch %d (blocks %d-%d) accepted in L1 block %d: there the contract had accepted up to %d only", b.Index, first, last, a, acc)
	}
	if _, f := at(a + w - 1); f >= first {
		t.Fatalf("batch %d accepted in L1 block %d: blocks up to %d were final at L1 block %d, before the window of %d blocks passed", b.Index, a, f, a+w-1, w)
	}
	if _, f := at(a + w); f < last {
		t.Fatalf("batch %d (blocks %d-%d) accepted in L1 block %d: at L1 block %d (W = %d later) only blocks up to %d were final", b.Index, first, last, a, a+w, w, f)
	}
	var chFin, chSafe rpcBlockNumber
	if err := e.ch.Call(ctx, &chFin, "eth_getBlockByNumber", "finalized", false); err != nil {
		t.Fatal(err)
	}
	if err := e.ch.Call(ctx, &chSafe, "eth_getBlockByNumber", "safe", false); err != nil {
		t.Fatal(err)
	}
	if chFin.Number > chSafe.Number {
		t.Fatalf("the challenger's finalized tag %d is above its safe tag %d", chFin.Number, chSafe.Number)
	}
	t.Logf("safe took %d values over L1 blocks %d-%d; block %d finalized: batch %d (blocks %d-%d) accepted in L1 block %d, final at %d",
		len(safes), h0, head, n, b.Index, first, last, a, a+w)
}

// testWipedSequencerRebuilds: the sequencer is stopped (SIGINT) right
// after a transfer, at a moment when one of its batches is in the L1 pool
// and not yet in a block, its L2 database (<datadir>/l2chaindata) deleted,
// and started again: it rebuilds its chain from the L1 alone (its log says
// so). The block at the safe head it had before the stop has the same
// hash, as has the block at the contract's lastAccepted after the restart
// (a batch still in flight at the stop included). It keeps producing: a
// new transfer commits, becomes safe (posted on top of the rebuilt chain
// and accepted), and the challenger still agrees with every block.
func testWipedSequencerRebuilds(t *testing.T, e *env) {
	ctx := testCtx(t, 2*time.Minute)
	dev := devAccount(t, 2)
	tx, err := transfer(ctx, e.l2(), e.l2Signer, dev.Key, freshAddress(t), big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l2().SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := waitReceipt(ctx, e.l2(), tx.Hash()); err != nil {
		t.Fatal(err)
	}
	// Stop it while a batch of its is in the L1 pool, not yet in a block:
	// the restarted sequencer must not rebuild without it.
	inFlight := cluster.Eventually(20*time.Second, func() error {
		addr := e.c.Genesis.Rollup.Sequencer
		pending, err := e.l1c().PendingNonceAt(ctx, addr)
		if err != nil {
			return err
		}
		nonce, err := e.l1c().NonceAt(ctx, addr, nil)
		if err != nil {
			return err
		}
		if pending <= nonce {
			return fmt.Errorf("no transaction of the sequencer in the L1 pool (nonce %d)", nonce)
		}
		return nil
	}) == nil
	st0, err := e.seq.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.seq.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(e.seq.Dir, "l2chaindata")); err != nil {
		t.Fatal(err)
	}
	if err := e.seq.Start(); err != nil {
		t.Fatalf("start the wiped sequencer: %v", err)
	}
	e.origins = newOriginTracker(e) // its unsafe chain is another one now
	la, err := e.lastAccepted(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		n    uint64
		hash common.Hash
	}{{uint64(st0.SafeL2.Number), st0.SafeL2.Hash}, {uint64(la.Number), la.Hash}} {
		h, err := e.l2().HeaderByNumber(ctx, big64(want.n))
		if err != nil {
			t.Fatalf("the rebuilt sequencer lacks block %d: %v", want.n, err)
		}
		if h.Hash() != want.hash {
			t.Fatalf("the rebuilt sequencer's block %d is %s, the L1 accepted %s", want.n, h.Hash(), want.hash)
		}
	}
	if logs, err := e.seq.Logs(); err != nil || !strings.Contains(logs, "Rebuilt the L2 chain from the L1") {
		t.Fatalf("the sequencer's log (err %v) does not say it rebuilt the chain from the L1", err)
	}
	tx, err = transfer(ctx, e.l2(), e.l2Signer, dev.Key, freshAddress(t), big.NewInt(2))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l2().SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send to the rebuilt sequencer: %v", err)
	}
	r, err := waitReceipt(ctx, e.l2(), tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	safe := e.waitSequencerSafe(t, ctx, r.BlockNumber.Uint64(), 45*time.Second)
	e.waitVerified(t, ctx, safe, 45*time.Second)
	if err := e.compareChains(ctx, 1, safe); err != nil {
		t.Fatal(err)
	}
	t.Logf("safe head %d (%s) before the wipe (stopped with a batch in the L1 pool: %v); rebuilt up to the L1's %d; a new transfer in block %d, safe at %d",
		st0.SafeL2.Number, st0.SafeL2.Hash, inFlight, la.Number, r.BlockNumber, safe)
}
