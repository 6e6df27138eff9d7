package l2_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
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

// testBatcherPauseResequences: the sequencer restarts with
// --dev.batcher-pause P, P = RollupWindow + 6 L1 blocks, while one account
// keeps sending transfers and getting receipts. Before the sequencer posts
// again (the contract's lastAccepted stays where it was), the challenger's
// derived head passes the sequencer's last posted block and the first
// unposted block where the sequencer has transactions: the blocks it
// derived there have no transactions and each advances its origin by one
// L1 block (origins recovered from the L1 through MixDigest). When
// the pause ends the sequencer logs "Re-sequencing" and posts again; then
// every transfer that got a receipt during the pause has one again, with
// success (its block may have moved), in a block the L1 accepted and the
// challenger derived identically, and the two agree on every block up to
// the safe head with no disagreement.
func testBatcherPauseResequences(t *testing.T, e *env) {
	ctx := testCtx(t, 3*time.Minute)
	pause := uint64(cluster.RollupWindow + 6)
	orig := e.seq.ExtraArgs
	e.seq.ExtraArgs = append(append([]string(nil), orig...), "--dev.batcher-pause", fmt.Sprint(pause))
	defer func() { e.seq.ExtraArgs = orig }()
	logs, err := e.seq.Logs()
	if err != nil {
		t.Fatal(err)
	}
	logStart := len(logs)
	if err := e.seq.Restart(); err != nil {
		t.Fatal(err)
	}
	e.origins = newOriginTracker(e) // re-sequencing replaces its unsafe chain
	p := &pauseStream{}
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	done := make(chan struct{})
	go func() { defer close(done); p.run(streamCtx, e, devAccount(t, 3)) }()
	resequenced := func() (bool, error) {
		logs, err := e.seq.Logs()
		if err != nil {
			return false, err
		}
		return len(logs) > logStart && strings.Contains(logs[logStart:], "Re-sequencing"), nil
	}
	h0, err := e.l1.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A batch in flight at the restart lands in the next L1 blocks; then
	// nothing is posted until the pause ends.
	if err := e.l1.WaitHeight(ctx, h0+2); err != nil {
		t.Fatal(err)
	}
	la0, err := e.lastAccepted(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Before the batcher resumes, derivation passes the last posted block
	// and the first unposted one where the sequencer has transactions.
	var derived, txBlock uint64
	scanned := uint64(la0.Number)
	cluster.Await(t, time.Duration(pause+15)*2*time.Second, func() error {
		la, err := e.lastAccepted(ctx, nil)
		if err != nil {
			return err
		}
		if la.Number != la0.Number {
			t.Fatalf("the contract accepted up to L2 block %d during the batcher's pause (from %d), before derivation passed it", la.Number, la0.Number)
		}
		for txBlock == 0 {
			h, err := e.l2().HeaderByNumber(ctx, big64(scanned+1))
			if isNotFound(err) {
				break
			}
			if err != nil {
				return err
			}
			scanned++
			if h.TxHash != types.EmptyTxsHash {
				txBlock = scanned
			}
		}
		if txBlock == 0 {
			return fmt.Errorf("the sequencer has no transactions in its blocks %d-%d", la0.Number+1, scanned)
		}
		st, err := e.ch.SyncStatus(ctx)
		if err != nil {
			return err
		}
		if derived = uint64(st.SafeL2.Number); derived < txBlock {
			return fmt.Errorf("the challenger's derived head %d has not reached block %d (the last posted is %d)", derived, txBlock, la0.Number)
		}
		return nil
	})
	if again, err := resequenced(); err != nil || again {
		t.Fatalf("the sequencer re-sequenced (err %v) before the challenger's derived head was seen past its last posted block", err)
	}
	chOrigins, err := e.origins.fork(ctx, uint64(la0.Number), e.ch.Client)
	if err != nil {
		t.Fatal(err)
	}
	for n := uint64(la0.Number) + 1; n <= derived; n++ {
		o, err := chOrigins.at(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		prev, err := chOrigins.at(ctx, n-1)
		if err != nil {
			t.Fatal(err)
		}
		if o.Header.TxHash != types.EmptyTxsHash || !o.Advanced || o.Origin.Number != prev.Origin.Number+1 {
			t.Fatalf("derived L2 block %d (past the last posted %d): tx root %s, origin %d after %d; want a deposit-only block advancing its origin by one",
				n, la0.Number, o.Header.TxHash, o.Origin.Number, prev.Origin.Number)
		}
	}

	cluster.Await(t, time.Duration(pause+15)*2*time.Second, func() error {
		if again, err := resequenced(); err != nil || !again {
			return fmt.Errorf("the sequencer's log does not say it is re-sequencing (err %v)", err)
		}
		return nil
	})
	paused := p.stopAfter(2)
	cluster.Await(t, 30*time.Second, func() error {
		select {
		case <-done:
			return nil
		default:
			return errors.New("the transfer stream goes on")
		}
	})
	if p.err != nil {
		t.Fatalf("transfer stream: %v", p.err)
	}
	if len(paused) == 0 {
		t.Fatal("no transfer got a receipt during the pause")
	}
	var target uint64
	moved := 0
	for _, c := range paused {
		var r *types.Receipt
		cluster.Await(t, 45*time.Second, func() error {
			var err error
			if r, err = e.l2().TransactionReceipt(ctx, c.tx); err != nil {
				return fmt.Errorf("receipt of %s (block %d during the pause): %w", c.tx, c.number, err)
			}
			return nil
		})
		if r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("transfer %s failed after re-sequencing", c.tx)
		}
		if r.BlockHash != c.block {
			moved++
		}
		target = max(target, r.BlockNumber.Uint64())
	}
	safe := e.waitSequencerSafe(t, ctx, target, 60*time.Second)
	st := e.waitVerified(t, ctx, safe, 60*time.Second)
	if err := e.compareChains(ctx, 1, safe); err != nil {
		t.Fatal(err)
	}
	for _, c := range paused {
		r, err := e.l2().TransactionReceipt(ctx, c.tx)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, err := e.ch.Client().TransactionByHash(ctx, c.tx); err != nil || got.Hash() != c.tx {
			t.Fatalf("transfer %s (L2 block %d) is not in the challenger's chain: %v", c.tx, r.BlockNumber, err)
		}
	}
	t.Logf("pause from L1 block %d: last posted L2 block %d, the sequencer's first with transactions %d, derived deposit-only blocks to %d before the batcher resumed; %d transfers had receipts during the pause, %d moved; safe %d, %d outputs agreed",
		h0, la0.Number, txBlock, derived, len(paused), moved, safe, st.Verification.Agreed)
}

// pauseStream sends transfers from one account, one at a time, and
// records every receipt.
type pauseStream struct {
	mu        sync.Mutex
	confirmed []confirmed
	limit     int // stop once this many are confirmed (0: no limit yet)
	err       error
}

// stopAfter returns the receipts so far and lets the stream stop once it
// has more further ones.
func (p *pauseStream) stopAfter(more int) []confirmed {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.limit = len(p.confirmed) + more
	return append([]confirmed(nil), p.confirmed...)
}

// run sends until ctx ends or the limit is reached; the first error stops
// it (kept in p.err).
func (p *pauseStream) run(ctx context.Context, e *env, dev devkeys.Account) {
	for range 1000 {
		p.mu.Lock()
		enough := p.limit > 0 && len(p.confirmed) >= p.limit
		p.mu.Unlock()
		if enough || ctx.Err() != nil {
			return
		}
		tx, err := transfer(ctx, e.l2(), e.l2Signer, dev.Key, dev.Address, big.NewInt(1))
		if err == nil {
			err = e.l2().SendTransaction(ctx, tx)
		}
		var r *types.Receipt
		if err == nil {
			r, err = waitReceipt(ctx, e.l2(), tx.Hash())
		}
		if err != nil {
			if ctx.Err() == nil {
				p.mu.Lock()
				p.err = err
				p.mu.Unlock()
			}
			return
		}
		p.mu.Lock()
		p.confirmed = append(p.confirmed, confirmed{tx: tx.Hash(), number: r.BlockNumber.Uint64(), block: r.BlockHash})
		p.mu.Unlock()
	}
}

// rpcBlockNumber is the part of eth_getBlockByNumber the tag tests read.
type rpcBlockNumber struct {
	Number    hexutil.Uint64 `json:"number"`
	Hash      common.Hash    `json:"hash"`
	StateRoot common.Hash    `json:"stateRoot"`
}

// rollupView calls a view of the L1 rollup contract on validator 0 at L1
// block at (nil: the head).
func (e *env) rollupView(ctx context.Context, data []byte, at *uint64) ([]byte, error) {
	var n *big.Int
	if at != nil {
		n = big64(*at)
	}
	ret, err := e.l1c().CallContract(ctx, ethereum.CallMsg{To: &contract.Address, Data: data}, n)
	if err != nil {
		return nil, fmt.Errorf("rollup contract view at L1 block %v: %w", n, err)
	}
	return ret, nil
}

// lastAccepted is the contract's last accepted L2 block at L1 block at.
func (e *env) lastAccepted(ctx context.Context, at *uint64) (protocol.Head, error) {
	ret, err := e.rollupView(ctx, contract.PackLastAccepted(), at)
	if err != nil {
		return protocol.Head{}, err
	}
	return contract.UnpackLastAccepted(ret)
}

// contractFinalized is the contract's finalized L2 block at L1 block at.
func (e *env) contractFinalized(ctx context.Context, at *uint64) (uint64, error) {
	ret, err := e.rollupView(ctx, contract.PackFinalizedBlock(), at)
	if err != nil {
		return 0, err
	}
	n, err := contract.UnpackFinalizedBlock(ret)
	return uint64(n), err
}

// waitSequencerSafe waits until the sequencer's safe head reaches n and
// returns it.
func (e *env) waitSequencerSafe(t *testing.T, ctx context.Context, n uint64, timeout time.Duration) uint64 {
	t.Helper()
	var safe uint64
	cluster.Await(t, timeout, func() error {
		st, err := e.seq.SyncStatus(ctx)
		if err != nil {
			return err
		}
		if safe = uint64(st.SafeL2.Number); safe < n {
			return fmt.Errorf("the sequencer's safe head is %d (unsafe %d), want %d", safe, st.UnsafeL2.Number, n)
		}
		return nil
	})
	return safe
}

// waitVerified waits until the challenger has derived and checked up to
// L2 block n with agreed outputs, failing at once on a disagreement.
func (e *env) waitVerified(t *testing.T, ctx context.Context, n uint64, timeout time.Duration) cluster.SyncStatus {
	t.Helper()
	var st cluster.SyncStatus
	cluster.Await(t, timeout, func() error {
		var err error
		if st, err = e.ch.SyncStatus(ctx); err != nil {
			return err
		}
		v := st.Verification
		if v == nil {
			return errors.New("the challenger's rollup_syncStatus has no verification")
		}
		if d := v.FirstDisagreement; d != nil {
			t.Fatalf("the challenger disagrees with the posted output of L2 block %d (batch %d, L1 block %d): %v differ",
				d.Number, d.BatchIndex, d.L1Block, d.Fields)
		}
		if uint64(v.CheckedL2) < n || uint64(st.SafeL2.Number) < n || v.Agreed == 0 {
			return fmt.Errorf("the challenger derived to %d, checked to %d (%d agreed), want %d", st.SafeL2.Number, v.CheckedL2, v.Agreed, n)
		}
		return nil
	})
	return st
}

// compareChains checks that L2 blocks from through to have the same hash
// and state root on the sequencer and the challenger (batched requests).
func (e *env) compareChains(ctx context.Context, from, to uint64) error {
	const batch = 200
	for lo := from; lo <= to; lo += batch {
		hi := min(lo+batch-1, to)
		seq, err := blockRange(ctx, e.seq.RPC(), lo, hi)
		if err != nil {
			return fmt.Errorf("sequencer: %w", err)
		}
		ch, err := blockRange(ctx, e.ch.RPC(), lo, hi)
		if err != nil {
			return fmt.Errorf("challenger: %w", err)
		}
		for i := range seq {
			if seq[i].Hash != ch[i].Hash || seq[i].StateRoot != ch[i].StateRoot {
				return fmt.Errorf("L2 block %d: the sequencer has %s (state %s), the challenger %s (state %s)",
					lo+uint64(i), seq[i].Hash, seq[i].StateRoot, ch[i].Hash, ch[i].StateRoot)
			}
		}
	}
	return nil
}

// blockRange reads blocks lo through hi in one batch request.
func blockRange(ctx context.Context, c *rpc.Client, lo, hi uint64) ([]rpcBlockNumber, error) {
	out := make([]*rpcBlockNumber, hi-lo+1)
	reqs := make([]rpc.BatchElem, len(out))
	for i := range reqs {
		reqs[i] = rpc.BatchElem{Method: "eth_getBlockByNumber", Args: []any{hexutil.EncodeUint64(lo + uint64(i)), false}, Result: &out[i]}
	}
	if err := c.BatchCallContext(ctx, reqs); err != nil {
		return nil, fmt.Errorf("blocks %d-%d: %w", lo, hi, err)
	}
	blocks := make([]rpcBlockNumber, len(out))
	for i, r := range reqs {
		if r.Error != nil {
			return nil, fmt.Errorf("block %d: %w", lo+uint64(i), r.Error)
		}
		if out[i] == nil || uint64(out[i].Number) != lo+uint64(i) {
			return nil, fmt.Errorf("block %d: not found", lo+uint64(i))
		}
		blocks[i] = *out[i]
	}
	return blocks, nil
}
