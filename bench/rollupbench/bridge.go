package rollupbench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// BridgeSamples is how many deposits and withdrawals measureBridge makes;
// the report keeps the medians.
const BridgeSamples = 3

// TargetBeyondWindowBlocks bounds how many L1 blocks after its batch's
// window closes a withdrawal is paid (the end-of-block hook pays at most
// this late; devnet/inproc's TestWithdrawalPaidExactlyAfterTheWindow).
const TargetBeyondWindowBlocks = 2

// Bounds of the bridge measurement's waits.
const (
	receiptTimeout = 30 * time.Second
	creditTimeout  = 60 * time.Second
	seenTimeout    = 5 * time.Second
	// creditPoll is how often rollup_depositStatus is asked: the
	// resolution of the deposit latency.
	creditPoll = 5 * time.Millisecond
)

// DepositSample is one deposit: from the L1 block that included it to
// the L2 block that credited it.
type DepositSample struct {
	L1Block uint64 `json:"l1_block"`
	L2Block uint64 `json:"l2_block"`
	// InclusionToCreditMs is from the harness seeing the deposit's L1
	// block committed to rollup_depositStatus saying applied.
	InclusionToCreditMs float64 `json:"inclusion_to_credit_ms"`
	// SendToCreditMs is from sending the L1 transaction.
	SendToCreditMs float64 `json:"send_to_credit_ms"`
}

// WithdrawalSample is one L2 withdrawal, from its L2 transaction to its
// payout on the L1.
type WithdrawalSample struct {
	Nonce   uint64 `json:"nonce"`
	L2Block uint64 `json:"l2_block"`
	// AcceptedL1Block accepted the batch holding L2Block; PaidL1Block's
	// end-of-block hook paid the withdrawal.
	AcceptedL1Block uint64 `json:"accepted_l1_block"`
	PaidL1Block     uint64 `json:"paid_l1_block"`
	// BeyondWindow is PaidL1Block − (AcceptedL1Block + W).
	BeyondWindow uint64 `json:"beyond_window_l1_blocks"`
	// L2TxToAcceptanceS and L2TxToPayoutS are from sending the L2
	// transaction to the harness seeing those L1 blocks committed.
	L2TxToAcceptanceS float64 `json:"l2_tx_to_acceptance_s"`
	L2TxToPayoutS     float64 `json:"l2_tx_to_payout_s"`
}

// beyondWindow returns how many L1 blocks after the challenge window of a
// batch accepted in L1 block accepted a payout in L1 block paid came; a
// payout inside the window is an error (it would be a bug).
func beyondWindow(accepted, paid, window uint64) (uint64, error) {
	if paid < accepted+window {
		return 0, fmt.Errorf("paid in L1 block %d, inside the window of a batch accepted in L1 block %d (W = %d)", paid, accepted, window)
	}
	return paid - accepted - window, nil
}

// median returns the middle value of xs (the upper middle of an even
// count); zero for none.
func median[T cmp.Ordered](xs []T) T {
	var zero T
	if len(xs) == 0 {
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

// medianOf returns the median of f over xs.
func medianOf[S any, T cmp.Ordered](xs []S, f func(S) T) T {
	vals := make([]T, len(xs))
	for i, x := range xs {
		vals[i] = f(x)
	}
	return median(vals)
}

// summarizeBridge sets the report's medians from its samples.
func (r *Report) summarizeBridge() {
	r.DepositMs = medianOf(r.Deposits, func(d DepositSample) float64 { return d.InclusionToCreditMs })
	r.DepositSendMs = medianOf(r.Deposits, func(d DepositSample) float64 { return d.SendToCreditMs })
	r.WithdrawalBeyondWindow = float64(medianOf(r.Withdrawals, func(w WithdrawalSample) uint64 { return w.BeyondWindow }))
	r.WithdrawalAcceptanceToPayout = float64(medianOf(r.Withdrawals, func(w WithdrawalSample) uint64 { return w.PaidL1Block - w.AcceptedL1Block }))
	r.WithdrawalToAcceptanceS = medianOf(r.Withdrawals, func(w WithdrawalSample) float64 { return w.L2TxToAcceptanceS })
	r.WithdrawalToPayoutS = medianOf(r.Withdrawals, func(w WithdrawalSample) float64 { return w.L2TxToPayoutS })
}

// measureBridge measures, on an in-process rollup with options o (`make
// bench`: the devnet's timing, inproc.DevnetOptions: 1 s L1 blocks,
// W = 30, the binaries' polling),
// BridgeSamples deposits from their L1 block to their L2 credit and
// BridgeSamples withdrawals from their L2 transaction to their payout:
// each withdrawal is sent, then a deposit is measured while it waits, and
// then every payout is awaited.
func (r *Report) measureBridge(ctx context.Context, o inproc.Options, log io.Writer) error {
	logs := &lockedBuffer{}
	o.Log = logs
	fmt.Fprintf(log, "rollup: %d deposits (L1 block → L2 credit) and %d withdrawals (L2 transaction → L1 payout) on an in-process rollup (%s L1 blocks, W = %d)\n",
		BridgeSamples, BridgeSamples, o.L1BlockTime, o.ChallengeWindow)
	if err := r.runBridge(ctx, o, log); err != nil {
		fmt.Fprintf(log, "the bridge measurement failed; the rollup's last log lines:\n%s\n", logs.tail(logTail))
		return fmt.Errorf("deposit and withdrawal latency: %w", err)
	}
	r.summarizeBridge()
	return nil
}

// sentWithdrawal is a withdrawal waiting for its payout.
type sentWithdrawal struct {
	nonce, l2Block uint64
	sent           time.Time
}

func (r *Report) runBridge(ctx context.Context, o inproc.Options, log io.Writer) (err error) {
	rl, err := inproc.Start(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := rl.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if err := rl.StartBatcher(inproc.BadOutput{}); err != nil {
		return err
	}
	r.BridgeChallengeWindow = rl.Config.ChallengeWindow
	r.BridgeL1BlockTimeS = rl.Config.L1BlockTime.Seconds()
	l1, err := rl.L1Account(ctx, rl.Users[0].Key)
	if err != nil {
		return err
	}
	l2, err := rl.L2Account(ctx, rl.Users[1].Key)
	if err != nil {
		return err
	}
	var sent []sentWithdrawal
	for i := range BridgeSamples {
		w, err := withdraw(ctx, l2, new(big.Int).Add(big.NewInt(1e16), big.NewInt(int64(i))))
		if err != nil {
			return fmt.Errorf("withdrawal %d: %w", i+1, err)
		}
		sent = append(sent, w)
		d, err := deposit(ctx, rl, l1, inproc.Recipient(7000+i), new(big.Int).Add(big.NewInt(1e17), big.NewInt(int64(i))))
		if err != nil {
			return fmt.Errorf("deposit %d: %w", i+1, err)
		}
		fmt.Fprintf(log, "  deposit %d: L1 block %d → L2 block %d: %.0f ms from the L1 block (%.0f ms from sending)\n",
			i+1, d.L1Block, d.L2Block, d.InclusionToCreditMs, d.SendToCreditMs)
		r.Deposits = append(r.Deposits, d)
	}
	timeout := 2*time.Duration(rl.Config.ChallengeWindow)*rl.Config.L1BlockTime + 30*time.Second
	if _, err := rl.WaitWithdrawalsPaid(ctx, sent[len(sent)-1].nonce+1, timeout); err != nil {
		return err
	}
	paid, err := rl.WithdrawalPaidLogs(ctx, 0, rl.L1Head())
	if err != nil {
		return err
	}
	for i, w := range sent {
		s, err := payout(ctx, rl, w, paid)
		if err != nil {
			return fmt.Errorf("withdrawal %d: %w", i+1, err)
		}
		fmt.Fprintf(log, "  withdrawal %d (L2 block %d): batch accepted in L1 block %d, paid in L1 block %d (%d beyond the window): %.1f s from the L2 transaction\n",
			i+1, s.L2Block, s.AcceptedL1Block, s.PaidL1Block, s.BeyondWindow, s.L2TxToPayoutS)
		r.Withdrawals = append(r.Withdrawals, s)
	}
	return nil
}

// withdraw sends an L2 withdrawal of amount to the account's own L1
// address and waits for its receipt.
func withdraw(ctx context.Context, a *inproc.Account, amount *big.Int) (sentWithdrawal, error) {
	tx, err := a.Withdraw(a.Address, amount)
	if err != nil {
		return sentWithdrawal{}, err
	}
	w := sentWithdrawal{sent: time.Now()}
	rc, err := sendAndWait(ctx, a, tx)
	if err != nil {
		return sentWithdrawal{}, err
	}
	for _, l := range rc.Logs {
		if l.Address == withdrawalqueue.Address {
			init, err := withdrawalqueue.ParseInitiated(l)
			if err != nil {
				return sentWithdrawal{}, err
			}
			w.nonce, w.l2Block = init.Nonce, rc.BlockNumber.Uint64()
			return w, nil
		}
	}
	return sentWithdrawal{}, fmt.Errorf("L2 transaction %s initiated no withdrawal", tx.Hash())
}

// deposit sends an L1 deposit of amount to the L2 account to and measures
// it until the sequencer says it is applied.
func deposit(ctx context.Context, rl *inproc.Rollup, a *inproc.Account, to common.Address, amount *big.Int) (DepositSample, error) {
	tx, err := a.Deposit(to, amount)
	if err != nil {
		return DepositSample{}, err
	}
	sent := time.Now()
	rc, err := sendAndWait(ctx, a, tx)
	if err != nil {
		return DepositSample{}, err
	}
	var op block.Operation
	found := false
	for _, l := range rc.Logs {
		if l.Address == bridge.Address {
			if op, err = bridge.ParseOperation(l); err != nil {
				return DepositSample{}, err
			}
			found = true
			break
		}
	}
	if !found {
		return DepositSample{}, fmt.Errorf("L1 transaction %s recorded no deposit", tx.Hash())
	}
	var credited time.Time
	var st *sequencer.DepositStatus
	if err := pollUntil(ctx, creditTimeout, creditPoll, func() (bool, error) {
		if st, err = rl.DepositStatus(ctx, op.L1Block, op.Index); err != nil {
			return false, err
		}
		credited = time.Now()
		switch st.Status {
		case sequencer.StatusApplied:
			return true, nil
		case sequencer.StatusFailed:
			return false, fmt.Errorf("deposit %d/%d failed on the L2: %s", op.L1Block, op.Index, st.Reason)
		}
		return false, nil
	}); err != nil {
		return DepositSample{}, fmt.Errorf("wait for the L2 credit of deposit %d/%d: %w", op.L1Block, op.Index, err)
	}
	included, err := seen(ctx, rl, op.L1Block)
	if err != nil {
		return DepositSample{}, err
	}
	d := DepositSample{L1Block: uint64(op.L1Block), InclusionToCreditMs: ms(credited.Sub(included)), SendToCreditMs: ms(credited.Sub(sent))}
	if st.L2Block != nil {
		d.L2Block = uint64(*st.L2Block)
	}
	return d, nil
}

// payout finds withdrawal w's payout among paid and its batch's
// acceptance (the batch that held it the block before the payout).
func payout(ctx context.Context, rl *inproc.Rollup, w sentWithdrawal, paid []bridge.WithdrawalPaid) (WithdrawalSample, error) {
	i := slices.IndexFunc(paid, func(p bridge.WithdrawalPaid) bool { return p.Nonce == w.nonce })
	if i < 0 {
		return WithdrawalSample{}, fmt.Errorf("no payout of withdrawal %d", w.nonce)
	}
	p := paid[i].L1Block
	before := p - 1
	idx, err := rl.BatchOfBlock(ctx, block.L2Number(w.l2Block), &before)
	if err != nil {
		return WithdrawalSample{}, err
	}
	b, err := rl.Batch(ctx, idx, &before)
	if err != nil {
		return WithdrawalSample{}, err
	}
	s := WithdrawalSample{Nonce: w.nonce, L2Block: w.l2Block, AcceptedL1Block: uint64(b.L1Block), PaidL1Block: uint64(p)}
	if s.BeyondWindow, err = beyondWindow(s.AcceptedL1Block, s.PaidL1Block, rl.Config.ChallengeWindow); err != nil {
		return WithdrawalSample{}, fmt.Errorf("withdrawal %d: %w", w.nonce, err)
	}
	accepted, err := seen(ctx, rl, b.L1Block)
	if err != nil {
		return WithdrawalSample{}, err
	}
	paidAt, err := seen(ctx, rl, p)
	if err != nil {
		return WithdrawalSample{}, err
	}
	s.L2TxToAcceptanceS = accepted.Sub(w.sent).Seconds()
	s.L2TxToPayoutS = paidAt.Sub(w.sent).Seconds()
	return s, nil
}

// sendAndWait sends tx and waits for its successful receipt.
func sendAndWait(ctx context.Context, a *inproc.Account, tx *types.Transaction) (*types.Receipt, error) {
	if err := a.Send(ctx, tx); err != nil {
		return nil, err
	}
	rc, err := a.Receipt(ctx, tx.Hash(), receiptTimeout)
	if err != nil {
		return nil, err
	}
	if rc.Status != types.ReceiptStatusSuccessful {
		return nil, fmt.Errorf("transaction %s failed in block %d", tx.Hash(), rc.BlockNumber)
	}
	return rc, nil
}

// seen returns when the harness first saw L1 block n committed, waiting
// for its clock (it notes a block a few milliseconds after the commit).
func seen(ctx context.Context, rl *inproc.Rollup, n block.L1Number) (time.Time, error) {
	var t time.Time
	err := pollUntil(ctx, seenTimeout, creditPoll, func() (bool, error) {
		var ok bool
		t, ok = rl.L1BlockSeen(n)
		return ok, nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("when L1 block %d was committed: %w", n, err)
	}
	return t, nil
}

// errNotYet is pollUntil's error when the condition never held.
var errNotYet = errors.New("condition not met")

// pollUntil calls cond every period until it returns true or an error,
// ctx ends, or timeout passes.
func pollUntil(ctx context.Context, timeout, period time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w within %s", errNotYet, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// bridgeRows prints the bridge's rows of the markdown table.
func (r *Report) bridgeRows(w io.Writer) {
	fmt.Fprintf(w, "| deposit: its L1 block → credited on the L2 (median of %d; from sending: %.0f ms) | %.0f ms | |\n",
		len(r.Deposits), r.DepositSendMs, r.DepositMs)
	fmt.Fprintf(w, "| withdrawal: paid after its batch's window closed (median of %d; accepted → paid %.0f L1 blocks, W = %d) | %.0f L1 blocks | ≤ %d %s |\n",
		len(r.Withdrawals), r.WithdrawalAcceptanceToPayout, r.BridgeChallengeWindow, r.WithdrawalBeyondWindow, TargetBeyondWindowBlocks,
		mark(len(r.Withdrawals) > 0 && r.WithdrawalBeyondWindow <= TargetBeyondWindowBlocks))
	fmt.Fprintf(w, "| withdrawal: L2 transaction → batch accepted / → paid on L1 (%.0f s L1 blocks) | %.1f / %.1f s | |\n",
		r.BridgeL1BlockTimeS, r.WithdrawalToAcceptanceS, r.WithdrawalToPayoutS)
}
