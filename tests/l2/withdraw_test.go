package l2_test

import (
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/rollup/contract"
)

// withdrawalCase is a withdrawal one step initiates and a later one
// watches being paid.
type withdrawalCase struct {
	key     *ecdsa.PrivateKey
	user    common.Address
	nonce   uint64
	amount  *big.Int
	l2Block uint64
}

// testWithdrawalInitiated: a fresh account, funded on L2 only, sends ONE
// L2 transaction to the withdrawal queue naming itself as L1 recipient:
// the value leaves its L2 balance, the receipt carries the
// WithdrawalInitiated log with the next nonce, and the sequencer's output
// of that block commits to a non-empty withdrawals root.
func testWithdrawalInitiated(t *testing.T, e *env) {
	ctx := testCtx(t, 60*time.Second)
	l2 := e.l2()
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	user := crypto.PubkeyToAddress(key.PublicKey)
	fund, err := transfer(ctx, l2, e.l2Signer, devAccount(t, 0).Key, user, ether(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.SendTransaction(ctx, fund); err != nil {
		t.Fatal(err)
	}
	if _, err := waitReceipt(ctx, l2, fund.Hash()); err != nil {
		t.Fatal(err)
	}
	f, err := suggestFees(ctx, l2)
	if err != nil {
		t.Fatal(err)
	}
	amount := new(big.Int).Div(ether(2), big.NewInt(5)) // 0.4 ETH
	tx, err := signDynamic(e.l2Signer, key, 0, f, 100_000, withdrawalqueue.Address, amount, withdrawalqueue.PackInitiate(user))
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send the withdrawal: %v", err)
	}
	r, err := waitReceipt(ctx, l2, tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful || len(r.Logs) != 1 {
		t.Fatalf("withdrawal receipt: status %d, %d logs", r.Status, len(r.Logs))
	}
	w, err := withdrawalqueue.ParseInitiated(r.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if w.From != user || w.To != user || w.Amount.Cmp(amount) != 0 {
		t.Fatalf("initiated %+v, want %s from and to %s", w, amount, user)
	}
	n := r.BlockNumber.Uint64()
	var out struct {
		WithdrawalsRoot common.Hash `json:"withdrawalsRoot"`
	}
	if err := e.seq.Call(ctx, &out, "rollup_outputAtBlock", fmt.Sprintf("%#x", n)); err != nil {
		t.Fatal(err)
	}
	if empty := crypto.Keccak256Hash([]byte{0xc0}); out.WithdrawalsRoot == empty {
		t.Fatalf("the output of L2 block %d commits to no withdrawal", n)
	}
	e.withdrawal = &withdrawalCase{key: key, user: user, nonce: w.Nonce, amount: amount, l2Block: n}
	t.Logf("withdrawal %d of %s wei initiated in L2 block %d", w.Nonce, amount, n)
}

// testWithdrawalPaid: the withdrawal of testWithdrawalInitiated is paid
// on L1 to its recipient, who never sent an L1 transaction, by the
// end-of-block hook exactly W (+ at most 2) L1 blocks after its batch was
// accepted, and not one block earlier; it is paid once.
func testWithdrawalPaid(t *testing.T, e *env) {
	wc := e.withdrawal
	if wc == nil {
		t.Fatal("no withdrawal was initiated")
	}
	w := e.c.Genesis.Rollup.ChallengeWindow
	ctx := testCtx(t, 2*time.Minute)
	var paid []bridge.WithdrawalPaid
	cluster.Await(t, time.Duration(w+30)*l1BlockTime, func() error {
		logs, err := e.l1c().FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big64(0), Addresses: []common.Address{bridge.Address},
			Topics: [][]common.Hash{{bridge.WithdrawalPaidTopic()}, {common.BigToHash(new(big.Int).SetUint64(wc.nonce))}}})
		if err != nil {
			return err
		}
		paid = paid[:0]
		for i := range logs {
			p, err := bridge.ParseWithdrawalPaid(&logs[i])
			if err != nil {
				return err
			}
			paid = append(paid, p)
		}
		if len(paid) == 0 {
			return fmt.Errorf("withdrawal %d not paid yet", wc.nonce)
		}
		return nil
	})
	if len(paid) != 1 || paid[0].To != wc.user || paid[0].Amount.Cmp(wc.amount) != 0 {
		t.Fatalf("payouts of withdrawal %d: %+v; want one of %s to %s", wc.nonce, paid, wc.amount, wc.user)
	}
	p := uint64(paid[0].L1Block)
	before := p - 1
	ret, err := e.rollupView(ctx, contract.PackBatchOfBlock(block.L2Number(wc.l2Block)), &before)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := contract.UnpackBatchOfBlock(ret)
	if err != nil {
		t.Fatal(err)
	}
	if ret, err = e.rollupView(ctx, contract.PackBatch(idx), &before); err != nil {
		t.Fatal(err)
	}
	b, err := contract.UnpackBatch(idx, ret)
	if err != nil {
		t.Fatal(err)
	}
	a := uint64(b.L1Block)
	if p < a+w || p > a+w+2 {
		t.Fatalf("batch %d accepted in L1 block %d, withdrawal paid in L1 block %d: want %d to %d (W = %d)", idx, a, p, a+w, a+w+2, w)
	}
	ret, err = e.rollupView(ctx, contract.PackWithdrawalStatus(wc.nonce), &before)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := contract.UnpackWithdrawalStatus(wc.nonce, ret); err != nil || st.Status == contract.WithdrawalPaid {
		t.Fatalf("withdrawal %d at L1 block %d, before its payout: %v (%v)", wc.nonce, before, st.Status, err)
	}
	l1 := e.l1c()
	got, err := l1.BalanceAt(ctx, wc.user, big64(p))
	if err != nil {
		t.Fatal(err)
	}
	prior, err := l1.BalanceAt(ctx, wc.user, big64(before))
	if err != nil {
		t.Fatal(err)
	}
	if got.Cmp(wc.amount) != 0 || prior.Sign() != 0 {
		t.Fatalf("recipient's L1 balance %s before L1 block %d and %s after; want 0 and %s", prior, p, got, wc.amount)
	}
	if nonce, err := l1.NonceAt(ctx, wc.user, nil); err != nil || nonce != 0 {
		t.Fatalf("the user's L1 nonce is %d (%v): it sent no L1 transaction", nonce, err)
	}
	t.Logf("withdrawal %d: batch %d accepted in L1 block %d, paid in L1 block %d (W = %d)", wc.nonce, idx, a, p, w)
}

// testHonestRunHasNoChallenge: over the whole honest run (transfers,
// deposits, withdrawals, a killed sequencer, a rebuilt one, a batcher
// paused past the window), the challenger, which holds a funded L1 key and
// checks every posted output, sent no L1 transaction at all, and the
// rollup contract recorded no dispute.
func testHonestRunHasNoChallenge(t *testing.T, e *env) {
	ctx := testCtx(t, 30*time.Second)
	ret, err := e.rollupView(ctx, contract.PackDisputeCount(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := contract.UnpackDisputeCount(ret); err != nil || n != 0 {
		t.Fatalf("%d disputes recorded (%v) in an honest run", n, err)
	}
	ch := devAccount(t, devnet.ChallengerAccount).Address
	if nonce, err := e.l1c().NonceAt(ctx, ch, nil); err != nil || nonce != 0 {
		t.Fatalf("the challenger %s sent %d L1 transactions (%v) in an honest run", ch, nonce, err)
	}
	st, err := e.ch.SyncStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Verification == nil || st.Verification.CheckedL2 == 0 || st.Verification.FirstDisagreement != nil {
		t.Fatalf("the challenger's verification: %+v; want outputs checked and none wrong", st.Verification)
	}
	t.Logf("the challenger checked outputs up to L2 block %d and sent nothing", st.Verification.CheckedL2)
}
