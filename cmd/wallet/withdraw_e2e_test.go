package main

import (
	"context"
	"encoding/json"
	"math/big"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/wallet"
)

// startRollup runs the in-process rollup (an L1 node of 250 ms blocks, a
// challenge window of 6 L1 blocks, the sequencer with its batcher posting,
// the challenger) for one test.
func startRollup(t *testing.T) *inproc.Rollup {
	t.Helper()
	if testing.Short() {
		t.Skip("runs an L1, a sequencer and a challenger in-process")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := inproc.Start(ctx, inproc.FastOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close the rollup: %v", err)
		}
	})
	if err := r.StartBatcher(inproc.BadOutput{}); err != nil {
		t.Fatal(err)
	}
	return r
}

// The whole exit: withdraw waits until the L1 pays the withdrawal, which
// then reads as paid by nonce and by transaction; force-withdraw goes
// through the L1 bridge to the same payout; force-transfer is applied; a
// forced withdrawal the L2 balance cannot cover is refused before it is
// sent.
func TestWithdrawAndForcedExitsEndToEnd(t *testing.T) {
	r := startRollup(t)
	urls := []string{"--rpc", r.L1URL, "--l2-rpc", r.L2URL}
	dev := func(i int) []string { return append(urls, "--dev-account", strconv.Itoa(i), "--json") }
	recipient := "0x" + strings.Repeat("7e", 20)
	to := common.HexToAddress(recipient)
	before, err := r.L1Balance(context.Background(), to, nil)
	if err != nil {
		t.Fatal(err)
	}

	res := runWallet(t, nil, append(dev(1), "withdraw", "--amount", "1.5", "--to", recipient, "--timeout", "60s")...)
	if res.code != 0 {
		t.Fatalf("withdraw: exit %d: %s", res.code, res.stderr)
	}
	var sum wallet.WithdrawalSummary
	if err := json.Unmarshal([]byte(res.stdout), &sum); err != nil {
		t.Fatal(err)
	}
	w := sum.Withdrawal
	if w == nil || w.Status != wallet.WithdrawalPaid || w.PaidL1Block == nil || w.AcceptedL1Block == nil || w.To != to ||
		w.Amount != "1500000000000000000" || sum.L2Tx == nil || w.L2TxHash == nil || *w.L2TxHash != sum.L2Tx.Hash {
		t.Fatalf("withdraw summary %s", res.stdout)
	}
	if w.ChallengeWindow != nil && *w.ChallengeWindow != r.Config.ChallengeWindow {
		t.Errorf("challenge window %d, the genesis says %d", *w.ChallengeWindow, r.Config.ChallengeWindow)
	}
	if *w.PaidL1Block < *w.AcceptedL1Block+r.Config.ChallengeWindow || *w.PaidL1Block > *w.AcceptedL1Block+r.Config.ChallengeWindow+2 {
		t.Errorf("paid in L1 block %d, accepted in %d with W %d", *w.PaidL1Block, *w.AcceptedL1Block, r.Config.ChallengeWindow)
	}
	after, err := r.L1Balance(context.Background(), to, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := new(big.Int).Sub(after, before); got.Cmp(big.NewInt(15e17)) != 0 {
		t.Fatalf("the recipient got %s wei on L1", got)
	}
	for _, ref := range []string{strconv.FormatUint(w.Nonce, 10), w.L2TxHash.Hex()} {
		st := runWallet(t, nil, append(urls, "withdrawal", "status", ref)...)
		if st.code != 0 || !strings.Contains(st.stdout, "paid in L1 block "+strconv.FormatUint(*w.PaidL1Block, 10)) {
			t.Errorf("withdrawal status %s: %+v", ref, st)
		}
	}

	res = runWallet(t, nil, append(dev(2), "force-withdraw", "--amount", "2", "--timeout", "60s")...)
	if res.code != 0 {
		t.Fatalf("force-withdraw: exit %d: %s", res.code, res.stderr)
	}
	var forced wallet.ForcedSummary
	if err := json.Unmarshal([]byte(res.stdout), &forced); err != nil {
		t.Fatal(err)
	}
	if forced.Status != wallet.DepositApplied || forced.Kind != wallet.KindForceWithdrawal || forced.Withdrawal == nil ||
		forced.Withdrawal.Status != wallet.WithdrawalPaid || forced.Withdrawal.L1Operation == nil ||
		*forced.Withdrawal.L1Operation != forced.DepositID || forced.Withdrawal.Nonce != w.Nonce+1 {
		t.Fatalf("force-withdraw summary %s", res.stdout)
	}
	op := strconv.FormatUint(forced.L1Block, 10) + ":" + strconv.FormatUint(forced.Index, 10)
	if st := runWallet(t, nil, append(urls, "withdrawal", "status", op)...); st.code != 0 || !strings.Contains(st.stdout, "by the forced withdrawal at") {
		t.Errorf("withdrawal status %s: %+v", op, st)
	}

	res = runWallet(t, nil, append(dev(3), "force-transfer", "--to", recipient, "--amount", "0.25")...)
	if res.code != 0 || !strings.Contains(res.stdout, `"status": "applied"`) {
		t.Fatalf("force-transfer: %+v", res)
	}
	if bal := runWallet(t, nil, "--l2-rpc", r.L2URL, "--layer", "l2", "balance", recipient); !strings.Contains(bal.stdout, ": 0.25 ETH") {
		t.Errorf("L2 balance after the forced transfer: %+v", bal)
	}
	res = runWallet(t, nil, append(dev(4), "force-withdraw", "--amount", "1000000")...)
	if res.code == 0 || !strings.Contains(res.stderr, "refused before sending") {
		t.Errorf("force-withdraw beyond the L2 balance: %+v", res)
	}

	// --no-wait: back once the transaction is in, with how to follow it.
	res = runWallet(t, nil, append(urls, "--dev-account", "5", "withdraw", "--amount", "0.1", "--no-wait")...)
	next := strconv.FormatUint(forced.Withdrawal.Nonce+1, 10)
	if res.code != 0 || !strings.Contains(res.stdout, "withdrawal "+next+": 0.1 ETH") ||
		!strings.Contains(res.stdout, "initiated; the L1 pays it by itself") || !strings.Contains(res.stdout, "`wallet withdrawal status "+next+"`") {
		t.Fatalf("withdraw --no-wait: %+v", res)
	}
	if st := runWallet(t, nil, append(urls, "withdrawal", "status", next)...); st.code != 0 || !strings.Contains(st.stdout, "status     ") {
		t.Errorf("withdrawal status %s: %+v", next, st)
	}
	res = runWallet(t, nil, append(urls, "--dev-account", "6", "force-withdraw", "--amount", "0.1", "--no-wait")...)
	if res.code != 0 || !strings.Contains(res.stdout, "included on L1; the L2 must apply it") {
		t.Errorf("force-withdraw --no-wait: %+v", res)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
}
