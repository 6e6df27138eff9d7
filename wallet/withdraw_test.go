package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
)

var (
	alice = common.HexToAddress("0xa11ce00000000000000000000000000000000001")
	bob   = common.HexToAddress("0xb0b0000000000000000000000000000000000002")
)

func u64(n uint64) *uint64 { return &n }

// initiatedLog is the log the withdrawal queue emits for a withdrawal.
func initiatedLog(t *testing.T, nonce uint64, from, to common.Address, amount *big.Int) *types.Log {
	t.Helper()
	ev := withdrawalqueue.ABI().Events["WithdrawalInitiated"]
	data, err := ev.Inputs.NonIndexed().Pack(amount)
	if err != nil {
		t.Fatal(err)
	}
	return &types.Log{Address: withdrawalqueue.Address, Data: data,
		Topics: []common.Hash{ev.ID, common.BigToHash(new(big.Int).SetUint64(nonce)), common.BytesToHash(from[:]), common.BytesToHash(to[:])}}
}

func TestParseWithdrawalRef(t *testing.T) {
	hash := "0x" + strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		"3":    "withdrawal 3",
		"0x10": "withdrawal 16",
		hash:   "the withdrawal of L2 transaction " + common.HexToHash(hash).Hex(),
		"12:0": "the forced withdrawal at L1 block 12, index 0",
	} {
		r, err := ParseWithdrawalRef(in)
		if err != nil || r.String() != want {
			t.Errorf("%s: %s, %v; want %s", in, r, err, want)
			continue
		}
		if back, err := ParseWithdrawalRef(r.Arg()); err != nil || back.String() != want {
			t.Errorf("%s: Arg %q reads back as %s, %v", in, r.Arg(), back, err)
		}
	}
	for in, want := range map[string]string{"ten": "neither an L2 transaction hash", "12:x": "not L1-BLOCK:INDEX", "-1": "neither",
		"0x" + strings.Repeat("zz", 32): "not a transaction hash"} {
		if _, err := ParseWithdrawalRef(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
}

func TestWithdrawalFromReceipt(t *testing.T) {
	other := &types.Log{Address: common.HexToAddress("0x2002"), Topics: []common.Hash{{1}}}
	r := &types.Receipt{TxHash: common.HexToHash("0x77"), BlockHash: common.HexToHash("0x88"), BlockNumber: big.NewInt(57),
		Logs: []*types.Log{other, initiatedLog(t, 3, alice, bob, big.NewInt(15e17))}}
	w, err := WithdrawalFromReceipt(r)
	if err != nil || w.Nonce != 3 || w.From != alice || w.To != bob || w.Amount.Cmp(big.NewInt(15e17)) != 0 {
		t.Fatalf("withdrawal %+v, %v", w, err)
	}
	st := InitiatedStatus(w, r)
	if st.Status != WithdrawalInitiated || st.L2Block != 57 || st.L2BlockHash != r.BlockHash || *st.L2TxHash != r.TxHash || st.AmountEth != "1.5" {
		t.Fatalf("initiated status %+v", st)
	}
	if _, err := WithdrawalFromReceipt(&types.Receipt{Logs: []*types.Log{other}}); !errors.Is(err, ErrNotAWithdrawal) {
		t.Fatalf("a receipt without a withdrawal: %v", err)
	}
}

// statusAt is withdrawal 3 of 1.5 ETH in each status: batch 4 accepted at
// L1 block 50, W = 30, 2 s L1 blocks, read at L1 head 53 (paid: 81).
func statusAt(status string) *WithdrawalStatus {
	tx := common.HexToHash("0x77")
	st := &WithdrawalStatus{Nonce: 3, From: alice, To: bob, Amount: "1500000000000000000", AmountEth: "1.5", L2Block: 57,
		L2BlockHash: common.HexToHash("0x88"), L2TxHash: &tx, Status: status, ChallengeWindow: u64(30), L1Head: 53, L1BlockTimeMs: 2000}
	switch status {
	case WithdrawalInitiated:
		st.BlocksLeft, st.SecondsLeft = u64(30), u64(60)
	case WithdrawalSafe:
		st.BatchIndex, st.AcceptedL1Block, st.PayoutL1Block, st.BlocksLeft, st.SecondsLeft = u64(4), u64(50), u64(80), u64(27), u64(54)
	case WithdrawalFinalized:
		st.L1Head = 80
		st.BatchIndex, st.AcceptedL1Block, st.PayoutL1Block, st.BlocksLeft, st.SecondsLeft = u64(4), u64(50), u64(81), u64(1), u64(2)
	case WithdrawalPaid:
		h := common.HexToHash("0x81")
		st.L1Head = 90
		st.BatchIndex, st.AcceptedL1Block, st.PayoutL1Block, st.BlocksLeft, st.SecondsLeft = u64(4), u64(50), u64(81), u64(0), u64(0)
		st.PaidL1Block, st.PaidL1BlockHash = u64(81), &h
	}
	return st
}

func TestWithdrawalStatusText(t *testing.T) {
	for status, want := range map[string]string{
		WithdrawalInitiated: "initiated: in an unsafe L2 block; the sequencer posts it to the L1 within a few blocks, then the challenge window " +
			"of 30 blocks runs — at least 30 blocks, ~1m0s left",
		WithdrawalSafe:      "safe: batch 4 accepted at L1 block 50; payout at L1 block 80 — 27 blocks, ~54s left",
		WithdrawalFinalized: "finalized: batch 4 is final; payouts are queued, this one comes with L1 block 81 — 1 block, ~2s left",
		WithdrawalPaid:      "paid in L1 block 81 by its end-of-block payout (batch 4 accepted at L1 block 50, final at L1 block 80)",
	} {
		st := statusAt(status)
		if got := st.Where(); got != want {
			t.Errorf("%s:\n got %q\nwant %q", status, got, want)
		}
		text := st.Text()
		for _, w := range []string{"withdrawal 3: 1.5 ETH from " + alice.Hex() + " (L2) to " + bob.Hex() + " (L1)\n",
			"initiated  in L2 block 57 (" + st.L2BlockHash.Hex() + ") by L2 tx " + st.L2TxHash.Hex(), "status     " + want,
			"L1 blocks every 2s"} {
			if !strings.Contains(text, w) {
				t.Errorf("%s: text lacks %q:\n%s", status, w, text)
			}
		}
	}
	// Without W the payout block is not known yet; a forced withdrawal
	// names its L1 operation.
	st := statusAt(WithdrawalSafe)
	st.ChallengeWindow, st.PayoutL1Block, st.BlocksLeft, st.SecondsLeft = nil, nil, nil, nil
	st.L2TxHash, st.L1Operation = nil, &DepositID{L1Block: 12, Index: 1}
	if got := st.Where(); !strings.Contains(got, "paid when its challenge window ends") {
		t.Errorf("safe without W: %q", got)
	}
	if text := st.Text(); !strings.Contains(text, "by the forced withdrawal at L1 block 12, index 1") {
		t.Errorf("forced withdrawal text:\n%s", text)
	}
	p := WithdrawalProgress{Ref: NonceRef(3), Waited: 12 * time.Second, Left: 168 * time.Second, Last: statusAt(WithdrawalSafe)}
	if got, want := p.Text(), "withdrawal 3 safe: batch 4 accepted at L1 block 50; payout at L1 block 80 — 27 blocks, ~54s left (waited 12s, giving up in 2m48s)"; got != want {
		t.Errorf("progress:\n got %q\nwant %q", got, want)
	}
	p.Last, p.LastErr = nil, errors.New("connection refused")
	if got := p.Text(); !strings.Contains(got, "withdrawal 3: no answer from the sequencer yet") || !strings.Contains(got, "connection refused") {
		t.Errorf("progress without an answer: %q", got)
	}
}

func TestDefaultWithdrawalTimeout(t *testing.T) {
	for _, c := range []struct {
		st   *WithdrawalStatus
		want time.Duration
	}{
		{nil, DefaultWithdrawalWait},
		{&WithdrawalStatus{Status: WithdrawalSafe}, DefaultWithdrawalWait},
		{statusAt(WithdrawalSafe), 54*time.Second + time.Minute},
		{statusAt(WithdrawalInitiated), 60*time.Second + 2*time.Minute},
	} {
		if got := DefaultWithdrawalTimeout(c.st); got != c.want {
			t.Errorf("%+v: %s, want %s", c.st, got, c.want)
		}
	}
}

// scripted answers statuses in turn (the last repeats), failing where an
// error is scripted.
type scripted struct {
	mu      sync.Mutex
	answers []any // *WithdrawalStatus, *OperationStatus or error
	asked   int
}

func (s *scripted) next() any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked++
	a := s.answers[0]
	if len(s.answers) > 1 {
		s.answers = s.answers[1:]
	}
	return a
}

func fetchOf[T any](s *scripted) func(context.Context) (T, error) {
	return func(context.Context) (T, error) {
		var zero T
		switch a := s.next().(type) {
		case error:
			return zero, a
		case T:
			return a, nil
		}
		panic("bad script")
	}
}

// The wait follows the withdrawal to its payout, reports progress on the
// fake clock, retries a failed ask, and gives up with where it was.
func TestWaitWithdrawal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &scripted{answers: []any{statusAt(WithdrawalInitiated), errors.New("connection reset"), statusAt(WithdrawalSafe),
			statusAt(WithdrawalFinalized), statusAt(WithdrawalPaid)}}
		var seen []WithdrawalProgress
		start := time.Now()
		st, err := waitWithdrawal(context.Background(), NonceRef(3), WithdrawalWaitOptions{Timeout: time.Minute, Poll: time.Second,
			ProgressEvery: 1250 * time.Millisecond, Progress: func(p WithdrawalProgress) { seen = append(seen, p) }}, fetchOf[*WithdrawalStatus](s))
		if err != nil || st.Status != WithdrawalPaid || *st.PaidL1Block != 81 {
			t.Fatalf("wait: %+v, %v", st, err)
		}
		if took := time.Since(start); took != 4*time.Second || s.asked != 5 {
			t.Errorf("took %s and %d asks, want 4s and 5", took, s.asked)
		}
		// Reports at 1.25s, 2.5s and 3.75s, between the asks.
		if len(seen) != 3 || seen[0].Waited != 1250*time.Millisecond || seen[0].Left != time.Minute-1250*time.Millisecond ||
			seen[0].LastErr == nil || seen[0].Last.Status != WithdrawalInitiated || seen[1].Last.Status != WithdrawalSafe ||
			seen[2].Last.Status != WithdrawalFinalized || seen[2].LastErr != nil {
			t.Errorf("progress %+v", seen)
		}

		s = &scripted{answers: []any{statusAt(WithdrawalSafe)}}
		st, err = waitWithdrawal(context.Background(), NonceRef(3), WithdrawalWaitOptions{Timeout: 10 * time.Second}, fetchOf[*WithdrawalStatus](s))
		if !errors.Is(err, ErrWithdrawalNotPaid) || st == nil || st.Status != WithdrawalSafe {
			t.Fatalf("timeout: %+v, %v", st, err)
		}
		for _, want := range []string{"after 10s", "last status safe: batch 4", "Nothing is lost", "wallet withdrawal status 3"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("timeout error %q lacks %q", err, want)
			}
		}

		s = &scripted{answers: []any{fmt.Errorf("%w: no rollup_withdrawalStatus", ErrNotAnL2)}}
		if _, err := waitWithdrawal(context.Background(), NonceRef(3), WithdrawalWaitOptions{Timeout: time.Minute}, fetchOf[*WithdrawalStatus](s)); !errors.Is(err, ErrNotAnL2) || s.asked != 1 {
			t.Errorf("not an L2: %v after %d asks", err, s.asked)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s = &scripted{answers: []any{statusAt(WithdrawalSafe)}}
		if _, err := waitWithdrawal(ctx, NonceRef(3), WithdrawalWaitOptions{Timeout: time.Minute}, fetchOf[*WithdrawalStatus](s)); !errors.Is(err, context.Canceled) {
			t.Errorf("canceled: %v", err)
		}
		if _, err := waitWithdrawal(context.Background(), NonceRef(3), WithdrawalWaitOptions{}, fetchOf[*WithdrawalStatus](s)); err == nil {
			t.Error("a wait without a timeout")
		}
	})
}

// fakeWithdrawals serves rollup_withdrawalStatus from canned answers.
type fakeWithdrawals struct {
	mu     sync.Mutex
	answer map[string]any
	err    error
	asked  []json.RawMessage
}

// WithdrawalStatus answers rollup_withdrawalStatus.
func (f *fakeWithdrawals) WithdrawalStatus(ref json.RawMessage) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, ref)
	return f.answer, f.err
}

func serveWithdrawals(t *testing.T, f *fakeWithdrawals) *Client {
	t.Helper()
	if f == nil {
		return serveRollupNamespace(t, nil)
	}
	return serveRollupNamespace(t, f)
}

// serveRollupNamespace serves api as the rollup namespace (nil: none) on a
// loopback port and dials it.
func serveRollupNamespace(t *testing.T, api any) *Client {
	t.Helper()
	srv := rpc.NewServer()
	if api != nil {
		if err := srv.RegisterName("rollup", api); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Stop() })
	c, err := Dial(context.Background(), hs.URL, "is the sequencer running?")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// The client decodes the sequencer's hex numbers, sends each kind of
// reference as the RPC reads it, and explains a node that cannot answer.
func TestClientWithdrawalStatus(t *testing.T) {
	paid := common.HexToHash("0x81")
	f := &fakeWithdrawals{answer: map[string]any{"nonce": "0x3", "from": alice, "to": bob, "amount": "0x14d1120d7b160000", "l2Block": "0x39",
		"l2BlockHash": common.HexToHash("0x88"), "l1Operation": map[string]any{"l1Block": "0xc", "index": "0x1"}, "status": "paid",
		"batchIndex": "0x4", "acceptedL1Block": "0x32", "challengeWindow": "0x1e", "payoutL1Block": "0x51", "l1Head": "0x5a",
		"l1BlockTimeMs": "0x7d0", "blocksLeft": "0x0", "secondsLeft": "0x0", "paidL1Block": "0x51", "paidL1BlockHash": paid}}
	c := serveWithdrawals(t, f)
	hash := common.HexToHash("0xabc")
	for _, ref := range []WithdrawalRef{NonceRef(3), {TxHash: &hash}, {Operation: &DepositID{L1Block: 12, Index: 1}}} {
		st, err := c.WithdrawalStatus(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		if st.Nonce != 3 || st.AmountEth != "1.5" || st.L2Block != 57 || st.Status != WithdrawalPaid || *st.BatchIndex != 4 ||
			*st.AcceptedL1Block != 50 || *st.ChallengeWindow != 30 || *st.PaidL1Block != 81 || *st.PaidL1BlockHash != paid ||
			st.L1BlockTimeMs != 2000 || st.L1Operation == nil || *st.L1Operation != (DepositID{L1Block: 12, Index: 1}) {
			t.Errorf("%s: %+v", ref, st)
		}
	}
	f.mu.Lock()
	asked := fmt.Sprintf("%s", f.asked)
	f.mu.Unlock()
	if want := `["0x3" "` + hash.Hex() + `" {"index":"0x1","l1Block":"0xc"}]`; asked != want {
		t.Errorf("asked %s, want %s", asked, want)
	}

	f.answer["status"] = "lost"
	if _, err := c.WithdrawalStatus(context.Background(), NonceRef(3)); err == nil || !strings.Contains(err.Error(), `unknown status "lost"`) {
		t.Errorf("unknown status: %v", err)
	}
	f.err = errors.New("this node does not read the L1")
	if _, err := c.WithdrawalStatus(context.Background(), NonceRef(3)); !errors.Is(err, ErrNotAnL2) || !strings.Contains(err.Error(), "reads no L1") {
		t.Errorf("a node without an L1: %v", err)
	}
	f.err = errors.New("no such withdrawal: withdrawal 9: the L2 has initiated 4 withdrawals (nonces 0 to 3)")
	if _, err := c.WithdrawalStatus(context.Background(), NonceRef(9)); err == nil || errors.Is(err, ErrNotAnL2) || !strings.Contains(err.Error(), "nonces 0 to 3") {
		t.Errorf("an unknown withdrawal: %v", err)
	}
	noL2 := serveWithdrawals(t, nil)
	if _, err := noL2.WithdrawalStatus(context.Background(), NonceRef(3)); !errors.Is(err, ErrNotAnL2) || !strings.Contains(err.Error(), "--l2-rpc") {
		t.Errorf("not an L2: %v", err)
	}
}

func TestWithdrawalSummary(t *testing.T) {
	tx, s := signedTransfer(t)
	l2tx := Summarize(tx, s.Address, &types.Receipt{Status: types.ReceiptStatusSuccessful, GasUsed: 60000, BlockNumber: big.NewInt(57)}, big.NewInt(1e9))
	l2tx.AddL1Fee(big.NewInt(4e12))
	paid := NewWithdrawalSummary(l2tx, statusAt(WithdrawalPaid), 38240*time.Millisecond)
	text := paid.Text()
	for _, want := range []string{"withdrawal 3: 1.5 ETH from", "l2 tx      " + tx.Hash().Hex() + " in L2 block 57, fee 0.000064 ETH",
		"status     paid in L1 block 81 by its end-of-block payout", "38.2s after sending"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	sent := NewWithdrawalSummary(l2tx, statusAt(WithdrawalInitiated), time.Second)
	if !strings.Contains(sent.Text(), "`wallet withdrawal status 3`") {
		t.Errorf("--no-wait text:\n%s", sent.Text())
	}
	data, err := json.Marshal(paid)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := json.Unmarshal(top["withdrawal"], &w); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"nonce", "from", "to", "amount", "amountEth", "l2Block", "status", "batchIndex", "paidL1Block", "blocksLeft"} {
		if _, ok := w[k]; !ok {
			t.Errorf("withdrawal JSON lacks %q: %s", k, top["withdrawal"])
		}
	}
	if w["nonce"] != float64(3) || w["amount"] != "1500000000000000000" || string(top["waited"]) != `"38.2s"` {
		t.Errorf("JSON %s", data)
	}
}
