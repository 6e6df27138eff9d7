package watch

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
)

func TestStatusLine(t *testing.T) {
	cfg := testConfig()
	s := NewState()
	if got, want := StatusLine(cfg, s, 0), "L1 waiting for a validator's RPC · L2 waiting for the sequencer · 0 batches in window · challenger starting"; got != want {
		t.Errorf("before any poll:\n got %q\nwant %q", got, want)
	}
	s.L1Seen, s.L1Head, s.Voting, s.SetSize = true, 1234, 4, 4
	s.L2Seen, s.L2 = true, Heads{Unsafe: 5678, Safe: 5600, Finalized: 5400}
	s.Batches = map[uint64]Batch{1: {}, 2: {}, 3: {}}
	s.Verifier = &Verification{Checked: 5600, Agreed: 90}
	full := "L1 #1234 (4/4 voting) · L2 unsafe #5678 safe #5600 final #5400 · 3 batches in window · challenger agrees"
	if got := StatusLine(cfg, s, 0); got != full {
		t.Errorf("running:\n got %q\nwant %q", got, full)
	}
	// Narrower: the least important parts go first (the batch count
	// before the challenger), then the line is cut.
	for _, tc := range []struct {
		width int
		want  string
	}{
		{len([]rune(full)), full},
		{90, "L1 #1234 (4/4 voting) · L2 unsafe #5678 safe #5600 final #5400 · challenger agrees"},
		{79, "L1 #1234 (4/4 voting) · L2 unsafe #5678 safe #5600 final #5400"},
		{60, "L1 #1234 (4/4 voting)"},
		{12, "L1 #1234 (4…"},
	} {
		got := StatusLine(cfg, s, tc.width)
		if got != tc.want || utf8.RuneCountInString(got) > tc.width {
			t.Errorf("width %d:\n got %q\nwant %q", tc.width, got, tc.want)
		}
	}
	s.Ops = map[block.OperationID]PendingOp{{L1Block: 3}: {Op: block.Operation{Kind: block.OpDeposit}}}
	s.Withdrawals = map[uint64]PendingWithdrawal{0: {}, 1: {}}
	if got := StatusLine(cfg, s, 0); !strings.HasSuffix(got, "challenger agrees · 1 deposit pending · 2 withdrawals to pay") {
		t.Errorf("with waiting operations: %q", got)
	}
	s.Ops[block.OperationID{L1Block: 4}] = PendingOp{Op: block.Operation{Kind: block.OpForceWithdrawal}}
	if got := StatusLine(cfg, s, 0); !strings.Contains(got, "2 L1 operations pending") {
		t.Errorf("with a forced operation waiting: %q", got)
	}
	s.L1Stalled, s.L2Down, s.ChDown = true, true, true
	if got, want := StatusLine(cfg, s, 0), "L1 #1234 STALLED (4/4 voting) · L2 not answering (was unsafe #5678 safe #5600 final #5400)"; !strings.HasPrefix(got, want) ||
		!strings.Contains(got, "challenger not answering") {
		t.Errorf("with trouble:\n got %q\nwant it to start %q", got, want)
	}
	// An L1-only devnet shows the L1 alone.
	if got, want := StatusLine(Config{Validators: cfg.Validators}, s, 0), "L1 #1234 STALLED (4/4 voting) · 2 L1 operations pending · 2 withdrawals to pay"; got != want {
		t.Errorf("L1 only:\n got %q\nwant %q", got, want)
	}
}

func TestFormatHelpers(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{plural(1, "batch"), "1 batch"},
		{plural(3, "batch"), "3 batches"},
		{plural(0, "transaction"), "0 transactions"},
		{ether(eth(15)), "1.5 ETH"},
		{ether(eth(100000)), "10000 ETH"},
		{shortAddr(alice), "0xf39F…2266"},
		{roundDuration(2449 * time.Millisecond), "2.4 s"},
		{roundDuration(90 * time.Second), "1m30s"},
		{about(30 * time.Second), "about 30 s"},
		{about(5 * time.Minute), "about 5 min"},
		{activityString(Activity{Txs: 2, Deposits: 1}), "2 transactions, 1 deposit"},
		{blockRange(7, 7), "L2 block 7"},
		{blockRange(7, 9), "L2 blocks 7–9"},
		{describeTx(txHash(1), []TxObs{{Hash: txHash(1), From: alice, To: &contract.Address, Selector: contract.ABI().Methods["submitBatch"].ID}}),
			"0x0000…c001: 0xf39F…2266 → rollup.submitBatch (not accepted)"},
		{describeTx(txHash(2), nil), "0x0000…c002"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
