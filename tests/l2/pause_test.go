package l2_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
)

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
