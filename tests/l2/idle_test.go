package l2_test

import (
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/devnet/cluster"
)

// idleWindow is how many new L1 blocks the idle test watches.
const idleWindow = 5

// testIdle: with no transactions and no deposits, the L2 makes blocks only
// to keep its origin within maxOriginLag of the L1 head (observeIdle says
// precisely what is asserted), over a window of idleWindow L1 blocks.
func testIdle(t *testing.T, e *env) { observeIdle(t, e, idleWindow) }

// testIdleWithStuckTx: a pooled transaction that cannot be included (its
// nonce leaves a gap) is no activity: the L2 stays as idle as observeIdle
// requires, rather than committing an empty block every block time.
func testIdleWithStuckTx(t *testing.T, e *env) {
	ctx := testCtx(t, 30*time.Second)
	dev := devAccount(t, 3)
	nonce, err := e.l2().PendingNonceAt(ctx, dev.Address)
	if err != nil {
		t.Fatal(err)
	}
	f, err := suggestFees(ctx, e.l2())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := signDynamic(e.l2Signer, dev.Key, nonce+1, f, 21_000, dev.Address, big.NewInt(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l2().SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send a transaction with a nonce gap: %v", err)
	}
	if _, pending, err := e.l2().TransactionByHash(ctx, tx.Hash()); err != nil || !pending {
		t.Fatalf("the gapped transaction is not pending in the pool (pending %v, err %v)", pending, err)
	}
	observeIdle(t, e, stuckWindow)
	if _, pending, err := e.l2().TransactionByHash(ctx, tx.Hash()); err != nil || !pending {
		t.Fatalf("the gapped transaction left the pool (pending %v, err %v)", pending, err)
	}
}

// stuckWindow is how many new L1 blocks the stuck-transaction test watches.
const stuckWindow = 3

// observeIdle watches an idle L2 over a window in which the L1 head moves
// from H0 to H1 (H1 >= H0 + window), starting with the origin within
// maxOriginLag of H0, and asserts:
//   - every L2 block made in the window has no transactions and no
//     operations and advances its origin by exactly one L1 block over its
//     parent's (origins recovered from the L1 through MixDigest): no block
//     is made without a new origin;
//   - so the count of blocks made is at most (H1 - H0) + maxOriginLag, far
//     below the 4 per second of 250 ms blocks;
//   - and the L2 keeps following: its origin comes back within
//     maxOriginLag of the L1 head.
func observeIdle(t *testing.T, e *env, window uint64) {
	t.Helper()
	ctx := testCtx(t, 60*time.Second)
	var s0 cluster.SyncStatus
	var h0L1 uint64
	cluster.Await(t, 20*time.Second, func() error {
		var err error
		if h0L1, err = e.l1.Head(ctx); err != nil {
			return err
		}
		if s0, err = e.seq.SyncStatus(ctx); err != nil {
			return err
		}
		if origin := uint64(s0.UnsafeL2.L1Origin.Number); origin+e.maxOriginLag < h0L1 {
			return fmt.Errorf("L2 origin %d trails the L1 head %d by more than %d", origin, h0L1, e.maxOriginLag)
		}
		return nil
	})
	began := time.Now()
	if err := e.l1.WaitHeight(ctx, h0L1+window); err != nil {
		t.Fatal(err)
	}
	s1, err := e.seq.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h1L1, err := e.l1.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(began)
	from, to := uint64(s0.UnsafeL2.Number), uint64(s1.UnsafeL2.Number)
	for n := from + 1; n <= to; n++ {
		o, err := e.origins.at(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		prev, err := e.origins.at(ctx, n-1)
		if err != nil {
			t.Fatal(err)
		}
		if o.Header.TxHash != types.EmptyTxsHash || len(o.Operations) != 0 {
			t.Fatalf("idle L2 block %d has transactions (tx root %s) or %d operations", n, o.Header.TxHash, len(o.Operations))
		}
		if !o.Advanced || o.Origin.Number != prev.Origin.Number+1 {
			t.Fatalf("idle L2 block %d has origin %d, its parent %d: an idle L2 makes a block only for a new origin", n, o.Origin.Number, prev.Origin.Number)
		}
	}
	made := to - from
	if limit := h1L1 - h0L1 + e.maxOriginLag; made > limit {
		t.Fatalf("idle L2 made %d blocks while the L1 made %d (limit %d)", made, h1L1-h0L1, limit)
	}
	cluster.Await(t, 10*time.Second, func() error {
		head, err := e.l1.Head(ctx)
		if err != nil {
			return err
		}
		st, err := e.seq.SyncStatus(ctx)
		if err != nil {
			return err
		}
		if origin := uint64(st.UnsafeL2.L1Origin.Number); origin+e.maxOriginLag < head {
			return fmt.Errorf("idle L2 origin %d trails the L1 head %d by more than %d", origin, head, e.maxOriginLag)
		}
		return nil
	})
	t.Logf("idle for %s: L1 %d -> %d, L2 %d -> %d (%d blocks), origin %d -> %d",
		elapsed.Round(time.Millisecond), h0L1, h1L1, from, to, made, s0.UnsafeL2.L1Origin.Number, s1.UnsafeL2.L1Origin.Number)
}
