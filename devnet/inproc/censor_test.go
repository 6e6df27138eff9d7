package inproc_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// TestCensoredUserForceWithdraws (issue 13): the sequencer censors a
// user (Options.Censor, the --dev.censor switch): its L2 transfer stays
// out of every block while others' go in. The user calls the L1 bridge's
// forceWithdrawal(amount); the L2 applies it (rollup_depositStatus
// "applied", in the first L2 block of its L1 block's origin) as a
// withdrawal from and to the user (a system log, no transaction), and the
// L1 pays the user the amount W to W+2 blocks after that L2 block's batch
// is accepted. The user's L2 balance falls by exactly the amount (it paid
// no L2 fee: no L2 transaction of its was included) and its only L1
// transaction is the forced withdrawal.
func TestCensoredUserForceWithdraws(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a rollup and waits out the challenge window")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const victim = 2
	r := startCensoring(t, ctx, victim)
	if err := r.StartBatcher(inproc.BadOutput{}); err != nil {
		t.Fatal(err)
	}
	l2 := account(t, ctx, r, victim, false)
	l2Before, err := r.L2.BalanceAt(ctx, l2.Address, nil)
	if err != nil {
		t.Fatal(err)
	}
	censored, err := l2.Transfer(inproc.Recipient(700), milliEther(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Send(ctx, censored); err != nil {
		t.Fatalf("the sequencer's pool refused the censored user's transfer: %v", err)
	}
	// Others' transactions go in meanwhile.
	if _, err := r.Transfer(ctx, 0, inproc.Recipient(701), milliEther(1)); err != nil {
		t.Fatal(err)
	}

	l1 := account(t, ctx, r, victim, true)
	amount := new(big.Int).Add(milliEther(300), big.NewInt(777))
	ftx, err := l1.ForceWithdrawal(amount)
	frc := sendAndWait(t, ctx, l1, ftx, err)
	var op block.Operation
	for _, l := range frc.Logs {
		if l.Address == bridge.Address {
			if op, err = bridge.ParseOperation(l); err != nil {
				t.Fatal(err)
			}
		}
	}
	if op.Kind != block.OpForceWithdrawal || op.From != l1.Address || op.To != l1.Address || op.Amount.Cmp(amount) != 0 {
		t.Fatalf("the forced withdrawal's L1 operation: %+v", op)
	}

	var st *sequencer.DepositStatus
	waitfor.Until(t, 20*time.Second, func() error {
		var err error
		if st, err = r.DepositStatus(ctx, op.L1Block, op.Index); err != nil {
			return err
		}
		if st.Status != sequencer.StatusApplied {
			return fmt.Errorf("forced withdrawal %d/%d: %s %s (L2 origin %d)", op.L1Block, op.Index, st.Status, st.Reason, st.L2Origin)
		}
		return nil
	})
	if st.L2Block == nil || st.Kind != block.OpForceWithdrawal.String() || st.Amount.ToInt().Cmp(amount) != 0 {
		t.Fatalf("rollup_depositStatus of the forced withdrawal: %+v", st)
	}
	n := uint64(*st.L2Block)
	ws, err := r.InitiatedWithdrawals(ctx, n, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 1 || ws[0].From != l1.Address || ws[0].To != l1.Address || ws[0].Amount.Cmp(amount) != 0 || ws[0].TxHash != (common.Hash{}) {
		t.Fatalf("L2 block %d initiated %+v; want the forced withdrawal of %s wei, from no transaction", n, ws, amount)
	}
	w := ws[0]

	p := waitPaid(t, ctx, r, w.Nonce, 30*time.Second)
	if p.To != l1.Address || p.Amount.Cmp(amount) != 0 {
		t.Fatalf("withdrawal %d paid %s wei to %s; want %s to %s", w.Nonce, p.Amount, p.To, amount, l1.Address)
	}
	if p.L1Block <= block.L1Number(frc.BlockNumber.Uint64()) {
		t.Fatalf("paid in L1 block %d, the forced withdrawal was sent in %d", p.L1Block, frc.BlockNumber)
	}
	a := checkPaidInWindow(t, ctx, r, w, p.L1Block)
	if got := balanceDelta(t, ctx, r, l1.Address, p.L1Block); got.Cmp(amount) != 0 {
		t.Fatalf("the user's L1 balance changed by %s in the payout block %d, want %s", got, p.L1Block, amount)
	}

	// The censored transfer is still out, and nothing of the user's is in.
	head := r.SequencerChain.Head()
	if _, err := r.L2.TransactionReceipt(ctx, censored.Hash()); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("the censored transfer %s: receipt error %v, want not found", censored.Hash(), err)
	}
	for m := block.L2Number(1); m <= block.L2Number(head.Number()); m++ {
		b, err := r.SequencerChain.BlockByNumber(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Transactions {
			if from, err := types.Sender(r.SequencerChain.Signer(), tx); err != nil || from == l2.Address {
				t.Fatalf("L2 block %d holds transaction %s of the censored user (%v)", m, tx.Hash(), err)
			}
		}
	}
	at := head.Number()
	if nonce, err := r.L2.NonceAt(ctx, l2.Address, new(big.Int).SetUint64(at)); err != nil || nonce != 0 {
		t.Fatalf("the censored user's L2 nonce is %d (%v), want 0", nonce, err)
	}
	l2After, err := r.L2.BalanceAt(ctx, l2.Address, new(big.Int).SetUint64(at))
	if err != nil {
		t.Fatal(err)
	}
	if got := new(big.Int).Sub(l2Before, l2After); got.Cmp(amount) != 0 {
		t.Fatalf("the censored user's L2 balance fell by %s, want exactly the forced withdrawal's %s", got, amount)
	}
	if nonce, err := r.L1.NonceAt(ctx, l1.Address, nil); err != nil || nonce != 1 {
		t.Fatalf("the user's L1 nonce is %d (%v), want 1: the forced withdrawal only", nonce, err)
	}
	if _, err := r.CheckConservation(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("forced withdrawal %d/%d applied in L2 block %d as withdrawal %d; batch accepted in L1 block %d, paid in %d; %s in all",
		op.L1Block, op.Index, n, w.Nonce, a, p.L1Block, time.Since(start).Round(time.Millisecond))
}

// startCensoring starts a rollup whose sequencer censors Users[victim]
// (the development accounts, known before Start).
func startCensoring(t *testing.T, ctx context.Context, victim int) *inproc.Rollup {
	t.Helper()
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		t.Fatal(err)
	}
	o := inproc.FastOptions()
	o.Censor = []common.Address{accounts[victim].Address}
	r := startWith(t, ctx, o)
	if r.Users[victim].Address != accounts[victim].Address {
		t.Fatalf("Users[%d] is %s, not the development account %s", victim, r.Users[victim].Address, accounts[victim].Address)
	}
	return r
}
