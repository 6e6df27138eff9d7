package rollupbench

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/inproc"
)

func TestBeyondWindow(t *testing.T) {
	for _, c := range []struct {
		accepted, paid, window, want uint64
		bad                          bool
	}{
		{accepted: 10, paid: 40, window: 30, want: 0},
		{accepted: 10, paid: 42, window: 30, want: 2},
		{accepted: 10, paid: 39, window: 30, bad: true},
		{accepted: 0, paid: 6, window: 6, want: 0},
	} {
		got, err := beyondWindow(c.accepted, c.paid, c.window)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("beyondWindow(%d, %d, %d) = %d, %v; want %d (error: %v)", c.accepted, c.paid, c.window, got, err, c.want, c.bad)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3, 1, 2 = %v", got)
	}
	if got := median([]uint64{4, 1}); got != 4 {
		t.Errorf("median of 4, 1 = %v (the upper middle)", got)
	}
	if got := median[float64](nil); got != 0 {
		t.Errorf("median of nothing = %v", got)
	}
	xs := []float64{5, 4, 3}
	median(xs)
	if xs[0] != 5 {
		t.Errorf("median sorted its argument: %v", xs)
	}
}

// TestSummarizeBridgeAndRows checks the medians taken from the samples
// and the rows printed from them.
func TestSummarizeBridgeAndRows(t *testing.T) {
	r := &Report{BridgeChallengeWindow: 30, BridgeL1BlockTimeS: 1,
		Deposits: []DepositSample{{InclusionToCreditMs: 900, SendToCreditMs: 1900}, {InclusionToCreditMs: 1200, SendToCreditMs: 2100},
			{InclusionToCreditMs: 700, SendToCreditMs: 1500}},
		Withdrawals: []WithdrawalSample{{AcceptedL1Block: 5, PaidL1Block: 36, BeyondWindow: 1, L2TxToAcceptanceS: 2, L2TxToPayoutS: 33},
			{AcceptedL1Block: 9, PaidL1Block: 42, BeyondWindow: 3, L2TxToAcceptanceS: 3, L2TxToPayoutS: 35},
			{AcceptedL1Block: 12, PaidL1Block: 43, BeyondWindow: 1, L2TxToAcceptanceS: 2.5, L2TxToPayoutS: 34}}}
	r.summarizeBridge()
	if r.DepositMs != 900 || r.DepositSendMs != 1900 || r.WithdrawalBeyondWindow != 1 || r.WithdrawalAcceptanceToPayout != 31 ||
		r.WithdrawalToAcceptanceS != 2.5 || r.WithdrawalToPayoutS != 34 {
		t.Fatalf("medians: %+v", r)
	}
	var b bytes.Buffer
	r.bridgeRows(&b)
	for _, want := range []string{"| 900 ms |", "| 1 L1 blocks | ≤ 2 ✅ met |", "accepted → paid 31 L1 blocks, W = 30", "| 2.5 / 34.0 s |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("rows lack %q:\n%s", want, b.String())
		}
	}
}

// TestMeasureBridgeOnAFastRollup runs the measurement on the tests'
// fast rollup (250 ms L1 blocks, W = 6): every sample is taken, and each
// withdrawal is paid after its window.
func TestMeasureBridgeOnAFastRollup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a rollup and waits out the challenge window")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var log bytes.Buffer
	r := &Report{}
	if err := r.measureBridge(ctx, inproc.FastOptions(), &log); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if len(r.Deposits) != BridgeSamples || len(r.Withdrawals) != BridgeSamples {
		t.Fatalf("%d deposits and %d withdrawals measured, want %d each:\n%s", len(r.Deposits), len(r.Withdrawals), BridgeSamples, log.String())
	}
	for _, w := range r.Withdrawals {
		if w.PaidL1Block < w.AcceptedL1Block+r.BridgeChallengeWindow || w.L2TxToPayoutS <= w.L2TxToAcceptanceS {
			t.Errorf("withdrawal %+v (W = %d)", w, r.BridgeChallengeWindow)
		}
	}
	for _, d := range r.Deposits {
		if d.L2Block == 0 || d.InclusionToCreditMs <= 0 || d.SendToCreditMs < d.InclusionToCreditMs {
			t.Errorf("deposit %+v", d)
		}
	}
	t.Logf("\n%s", log.String())
}
