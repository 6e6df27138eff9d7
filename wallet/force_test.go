package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge"
)

// operationLog is the log the bridge emits for an operation (event is
// Deposit, ForceWithdrawal or ForceTransfer).
func operationLog(t *testing.T, event string, from, to common.Address, amount *big.Int, l1Block, index uint64) *types.Log {
	t.Helper()
	ev := bridge.ABI().Events[event]
	data, err := ev.Inputs.NonIndexed().Pack(amount, l1Block, index)
	if err != nil {
		t.Fatal(err)
	}
	return &types.Log{Address: bridge.Address, Data: data, Topics: []common.Hash{ev.ID, common.BytesToHash(from[:]), common.BytesToHash(to[:])}}
}

func TestOperationFromReceipt(t *testing.T) {
	r := &types.Receipt{Logs: []*types.Log{operationLog(t, "Deposit", alice, alice, big.NewInt(1), 12, 0),
		operationLog(t, "ForceWithdrawal", alice, alice, big.NewInt(2e18), 12, 1)}}
	op, err := OperationFromReceipt(r, KindForceWithdrawal)
	if err != nil || op.Kind != KindForceWithdrawal || op.DepositID != (DepositID{L1Block: 12, Index: 1}) || op.From != alice ||
		op.Amount.Cmp(big.NewInt(2e18)) != 0 {
		t.Fatalf("forced withdrawal %+v, %v", op, err)
	}
	if _, err := OperationFromReceipt(r, KindForceTransfer); !errors.Is(err, ErrNotAnOperation) || !strings.Contains(err.Error(), "none a force-transfer") {
		t.Fatalf("no forced transfer: %v", err)
	}
}

// fakeOperations serves rollup_depositStatus with one canned answer.
type fakeOperations struct{ answer map[string]any }

// DepositStatus answers rollup_depositStatus.
func (f *fakeOperations) DepositStatus(_, _ json.RawMessage) (map[string]any, error) {
	return f.answer, nil
}

func TestOperationStatusReadsFailures(t *testing.T) {
	f := &fakeOperations{answer: map[string]any{"status": "failed", "kind": "force-withdrawal", "reason": "operation failed: L2 balance 5",
		"l2Block": "0x28", "l2BlockHash": common.HexToHash("0x40"), "l2Origin": "0xc", "l1Head": "0xd"}}
	c := serveRollupNamespace(t, f)
	st, err := c.OperationStatus(context.Background(), DepositID{L1Block: 12, Index: 1})
	if err != nil || st.Status != OperationFailed || st.Kind != KindForceWithdrawal || *st.L2Block != 40 || st.Reason != "operation failed: L2 balance 5" {
		t.Fatalf("failed operation %+v, %v", st, err)
	}
	if got := st.Where(); got != "failed in L2 block 40: operation failed: L2 balance 5" {
		t.Errorf("where: %q", got)
	}
	delete(f.answer, "l2Block")
	if _, err := c.OperationStatus(context.Background(), DepositID{}); err == nil || !strings.Contains(err.Error(), "names no L2 block") {
		t.Errorf("failed without a block: %v", err)
	}
}

// A failure ends the wait as an answer; a timeout says where the operation
// was and how to check again.
func TestWaitOperation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		id := DepositID{L1Block: 12, Index: 1}
		n, h := uint64(40), common.HexToHash("0x40")
		pending := &OperationStatus{DepositID: id, Status: DepositPending, L2Origin: 11, L1Head: 13}
		failed := &OperationStatus{DepositID: id, Status: OperationFailed, Reason: "L2 balance 5", L2Block: &n, L2BlockHash: &h}
		s := &scripted{answers: []any{&OperationStatus{DepositID: id, Status: DepositUnknown, L1Head: 11}, pending, failed}}
		var seen []OperationProgress
		start := time.Now()
		st, err := waitOperation(context.Background(), id, OperationWaitOptions{Timeout: time.Minute, ProgressEvery: 300 * time.Millisecond,
			Progress: func(p OperationProgress) { seen = append(seen, p) }}, fetchOf[*OperationStatus](s))
		if err != nil || st != failed || time.Since(start) != 500*time.Millisecond {
			t.Fatalf("wait: %+v, %v after %s", st, err, time.Since(start))
		}
		if len(seen) != 1 || !strings.Contains(seen[0].Text(), "pending: seen on L1, applied when the L2 origin (now 11) reaches L1 block 12") {
			t.Errorf("progress %+v", seen)
		}
		s = &scripted{answers: []any{pending}}
		_, err = waitOperation(context.Background(), id, OperationWaitOptions{Timeout: 5 * time.Second}, fetchOf[*OperationStatus](s))
		if !errors.Is(err, ErrOperationNotApplied) || !strings.Contains(err.Error(), "wallet deposit-status 12 1") ||
			!strings.Contains(err.Error(), "last status pending") {
			t.Errorf("timeout: %v", err)
		}
	})
}

func TestForcedSummaryText(t *testing.T) {
	tx, s := signedTransfer(t)
	l1tx := Summarize(tx, s.Address, &types.Receipt{Status: types.ReceiptStatusSuccessful, GasUsed: 30000, BlockNumber: big.NewInt(12)}, big.NewInt(1e9))
	op := OperationLog{DepositID: DepositID{L1Block: 12, Index: 1}, Kind: KindForceWithdrawal, From: alice, To: alice, Amount: big.NewInt(15e17)}
	n, h := uint64(40), common.HexToHash("0x40")
	applied := &OperationStatus{DepositID: op.DepositID, Status: DepositApplied, L2Block: &n, L2BlockHash: &h}
	text := NewForcedSummary(l1tx, op, applied, statusAt(WithdrawalPaid), 41*time.Second).Text()
	for _, want := range []string{"forced     withdrawal of 1.5 ETH from " + alice.Hex() + " (L2) to " + alice.Hex() + " (L1)",
		"l1 tx      " + tx.Hash().Hex() + " in L1 block 12", "id         L1 block 12, index 1", "status     applied in L2 block 40",
		"withdrawal nonce 3: paid in L1 block 81", "waited     41s after sending"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	op.Kind, op.To = KindForceTransfer, bob
	failed := &OperationStatus{DepositID: op.DepositID, Status: OperationFailed, Reason: "L2 balance 5", L2Block: &n, L2BlockHash: &h}
	text = NewForcedSummary(l1tx, op, failed, nil, time.Second).Text()
	for _, want := range []string{"forced     transfer of 1.5 ETH from " + alice.Hex() + " to " + bob.Hex() + " (L2)",
		"status     failed in L2 block 40: L2 balance 5", "nothing moved on the L2"} {
		if !strings.Contains(text, want) {
			t.Errorf("failed text lacks %q:\n%s", want, text)
		}
	}
	sent := NewForcedSummary(l1tx, op, nil, nil, time.Second)
	if sent.Status != ForcedOnL1 || !strings.Contains(sent.Text(), "wallet deposit-status 12 1") || strings.Contains(sent.Text(), "waited") {
		t.Errorf("--no-wait summary:\n%s", sent.Text())
	}
}
