package inproc_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/devnet/devnettest"
	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/rollup/contract"
)

// startWith starts a rollup with options o (logs printed if the test
// fails) and closes it when the test ends.
func startWith(t *testing.T, ctx context.Context, o inproc.Options) *inproc.Rollup {
	t.Helper()
	logs := &devnettest.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("rollup logs:\n%s", logs.String())
		}
	})
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

// account returns an Account of key on the L1 (l1) or the L2.
func account(t *testing.T, ctx context.Context, r *inproc.Rollup, i int, l1 bool) *inproc.Account {
	t.Helper()
	var a *inproc.Account
	var err error
	if l1 {
		a, err = r.L1Account(ctx, r.Users[i].Key)
	} else {
		a, err = r.L2Account(ctx, r.Users[i].Key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// withdrawTo sends one L2 withdrawal of amount from a to the L1 account
// to, waits for its receipt and returns the withdrawal it initiated.
func withdrawTo(t *testing.T, ctx context.Context, a *inproc.Account, to common.Address, amount *big.Int) inproc.Initiated {
	t.Helper()
	tx, err := a.Withdraw(to, amount)
	w := parseInitiated(t, sendAndWait(t, ctx, a, tx, err))
	if w.From != a.Address || w.To != to || w.Amount.Cmp(amount) != 0 || w.TxHash != tx.Hash() {
		t.Fatalf("L2 transaction %s initiated %+v; want %s wei from %s to %s", tx.Hash(), w, amount, a.Address, to)
	}
	return w
}

// sendAndWait sends tx (signed by a, unless err says it could not be),
// and waits for its successful receipt.
func sendAndWait(t *testing.T, ctx context.Context, a *inproc.Account, tx *types.Transaction, err error) *types.Receipt {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(ctx, tx); err != nil {
		t.Fatal(err)
	}
	rc, err := a.Receipt(ctx, tx.Hash(), 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("transaction %s of %s failed in block %d", tx.Hash(), a.Address, rc.BlockNumber)
	}
	return rc
}

// parseInitiated returns the withdrawal an L2 receipt initiated.
func parseInitiated(t *testing.T, rc *types.Receipt) inproc.Initiated {
	t.Helper()
	for _, l := range rc.Logs {
		if l.Address == withdrawalqueue.Address {
			w, err := withdrawalqueue.ParseInitiated(l)
			if err != nil {
				t.Fatal(err)
			}
			return inproc.Initiated{Withdrawal: w, L2Block: rc.BlockNumber.Uint64(), L2BlockHash: rc.BlockHash, TxHash: rc.TxHash}
		}
	}
	t.Fatalf("L2 transaction %s initiated no withdrawal (%d logs)", rc.TxHash, len(rc.Logs))
	return inproc.Initiated{}
}

// paidByNonce returns the WithdrawalPaid logs of every L1 block up to the
// head, by nonce.
func paidByNonce(t *testing.T, ctx context.Context, r *inproc.Rollup) (map[uint64][]bridge.WithdrawalPaid, block.L1Number) {
	t.Helper()
	head := r.L1Head()
	logs, err := r.WithdrawalPaidLogs(ctx, 0, head)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64][]bridge.WithdrawalPaid{}
	for _, p := range logs {
		out[p.Nonce] = append(out[p.Nonce], p)
	}
	return out, head
}

// waitPaid waits for the payout of withdrawal nonce and returns it.
func waitPaid(t *testing.T, ctx context.Context, r *inproc.Rollup, nonce uint64, timeout time.Duration) bridge.WithdrawalPaid {
	t.Helper()
	var p bridge.WithdrawalPaid
	waitfor.Until(t, timeout, func() error {
		if err := r.Err(); err != nil {
			return err
		}
		logs, err := r.WithdrawalPaidLogs(ctx, 0, r.L1Head())
		if err != nil {
			return err
		}
		for _, l := range logs {
			if l.Nonce == nonce {
				p = l
				return nil
			}
		}
		st, err := r.WithdrawalStatus(ctx, nonce, nil)
		return fmt.Errorf("withdrawal %d not paid yet (%s, %v; L1 head %d)", nonce, st.Status, err, r.L1Head())
	})
	return p
}

// checkPaidInWindow checks that withdrawal w, paid in L1 block p, was
// paid W to W+2 L1 blocks after its batch's acceptance and not before:
// its status is accepted up to acceptance + W − 1 and not paid before p.
// It returns the acceptance block.
func checkPaidInWindow(t *testing.T, ctx context.Context, r *inproc.Rollup, w inproc.Initiated, p block.L1Number) block.L1Number {
	t.Helper()
	before := p - 1
	idx, err := r.BatchOfBlock(ctx, block.L2Number(w.L2Block), &before)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Batch(ctx, idx, &before)
	if err != nil {
		t.Fatal(err)
	}
	a, win := b.L1Block, block.L1Number(r.Config.ChallengeWindow)
	if p < a+win || p > a+win+2 {
		t.Fatalf("withdrawal %d: batch %d accepted in L1 block %d, paid in L1 block %d; want %d to %d (W = %d)", w.Nonce, idx, a, p, a+win, a+win+2, win)
	}
	st, err := r.WithdrawalStatus(ctx, w.Nonce, &a)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != contract.WithdrawalAccepted || st.To != w.To || st.From != w.From || st.Amount.Cmp(w.Amount) != 0 || uint64(st.L2Block) != w.L2Block {
		t.Fatalf("withdrawal %d at its batch's acceptance (L1 block %d): %s %+v; want accepted, %+v in L2 block %d", w.Nonce, a, st.Status, st.Withdrawal, w.Withdrawal, w.L2Block)
	}
	lastOpen := a + win - 1
	if st, err := r.WithdrawalStatus(ctx, w.Nonce, &lastOpen); err != nil || st.Status != contract.WithdrawalAccepted {
		t.Fatalf("withdrawal %d at L1 block %d, the window's last: %s (%v); want accepted", w.Nonce, lastOpen, st.Status, err)
	}
	if st, err := r.WithdrawalStatus(ctx, w.Nonce, &before); err != nil || st.Status == contract.WithdrawalPaid {
		t.Fatalf("withdrawal %d at L1 block %d, before its payout: %s (%v)", w.Nonce, before, st.Status, err)
	}
	if st, err := r.WithdrawalStatus(ctx, w.Nonce, &p); err != nil || st.Status != contract.WithdrawalPaid {
		t.Fatalf("withdrawal %d at L1 block %d, its payout's: %s (%v); want paid", w.Nonce, p, st.Status, err)
	}
	return a
}

// milliEther is n thousandths of an ether, in wei.
func milliEther(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e15)) }
