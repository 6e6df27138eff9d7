package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// depositLog is the log the bridge emits for a deposit.
func depositLog(t *testing.T, from, to common.Address, amount *big.Int, l1Block, index uint64) *types.Log {
	t.Helper()
	ev := bridge.ABI().Events["Deposit"]
	data, err := ev.Inputs.NonIndexed().Pack(amount, l1Block, index)
	if err != nil {
		t.Fatal(err)
	}
	return &types.Log{Address: bridge.Address, Data: data,
		Topics: []common.Hash{ev.ID, common.BytesToHash(from[:]), common.BytesToHash(to[:])}}
}

func TestDepositFromReceiptFindsTheBridgeLog(t *testing.T) {
	from, to := common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"), common.HexToAddress("0xdead")
	other := &types.Log{Address: common.HexToAddress("0x1001"), Topics: []common.Hash{{1}}}
	r := &types.Receipt{Logs: []*types.Log{other, depositLog(t, from, to, big.NewInt(15e17), 12, 3)}}
	d, err := DepositFromReceipt(r)
	if err != nil {
		t.Fatal(err)
	}
	if d.L1Block != 12 || d.Index != 3 || d.From != from || d.To != to || d.Amount.Cmp(big.NewInt(15e17)) != 0 {
		t.Fatalf("deposit %+v", d)
	}
	if d.DepositID.String() != "L1 block 12, index 3" {
		t.Fatalf("id %q", d.DepositID)
	}
	if _, err := DepositFromReceipt(&types.Receipt{Logs: []*types.Log{other}}); !errors.Is(err, ErrNotADeposit) {
		t.Fatalf("a receipt without a deposit: %v", err)
	}
}

func TestDecodeReceiptKeepsTheL1Fee(t *testing.T) {
	const l1 = `{"transactionHash":"0x0000000000000000000000000000000000000000000000000000000000000001",` +
		`"blockHash":"0x0000000000000000000000000000000000000000000000000000000000000002","blockNumber":"0x7",` +
		`"transactionIndex":"0x0","status":"0x1","gasUsed":"0x5208","cumulativeGasUsed":"0x5208","effectiveGasPrice":"0x3b9aca00",` +
		`"logs":[],"logsBloom":"0x` + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" +
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000" + `","type":"0x2"}`
	r, err := decodeReceipt(json.RawMessage(l1))
	if err != nil || r.L1Fee != nil || r.GasUsed != 21000 || r.BlockNumber.Uint64() != 7 {
		t.Fatalf("L1 receipt: %+v, %v", r, err)
	}
	l2 := strings.TrimSuffix(l1, "}") + `,"l1Fee":"0x2540be400","l1GasPrice":"0x1"}`
	r, err = decodeReceipt(json.RawMessage(l2))
	if err != nil || r.L1Fee == nil || r.L1Fee.Int64() != 10_000_000_000 {
		t.Fatalf("L2 receipt: %+v, %v", r, err)
	}
	if _, err := decodeReceipt(json.RawMessage("null")); !errors.Is(err, ethereum.NotFound) {
		t.Fatalf("null receipt: %v", err)
	}
}

func TestL1FeeIsPrintedBesideTheGasFee(t *testing.T) {
	tx, s := signedTransfer(t)
	r := &types.Receipt{Status: types.ReceiptStatusSuccessful, GasUsed: 21000, BlockNumber: big.NewInt(7)}
	sum := Summarize(tx, s.Address, r, big.NewInt(2e9))
	sum.AddL1Fee(nil) // an L1 receipt
	if sum.Receipt.L1Fee != "" || !strings.Contains(sum.Text(), "fee paid   0.000042 ETH\n") {
		t.Fatalf("L1 summary %+v:\n%s", sum.Receipt, sum.Text())
	}
	sum.AddL1Fee(big.NewInt(8e12))
	if sum.Receipt.L1Fee != "8000000000000" || sum.Receipt.TotalFee != "50000000000000" || sum.Receipt.Fee != "42000000000000" {
		t.Fatalf("L2 summary %+v", sum.Receipt)
	}
	if want := "fee paid   0.00005 ETH = 0.000042 ETH gas + 0.000008 ETH L1 data fee\n"; !strings.Contains(sum.Text(), want) {
		t.Fatalf("text lacks %q:\n%s", want, sum.Text())
	}
	pending := Summarize(tx, s.Address, nil, nil)
	pending.AddL1Fee(big.NewInt(1)) // no receipt: nothing to add to
	if pending.Receipt != nil {
		t.Fatal("AddL1Fee made up a receipt")
	}
}

func TestDepositProgressText(t *testing.T) {
	id := DepositID{L1Block: 12, Index: 0}
	cases := []struct {
		last *DepositStatus
		want []string
	}{
		{nil, []string{"1.5s (1m58s left)", "deposit in L1 block 12", "no answer from the sequencer yet"}},
		{&DepositStatus{Status: DepositUnknown, L1Head: 11, L2Origin: 9}, []string{"L1 head 11, L2 origin 9", "has not read that L1 block yet"}},
		{&DepositStatus{Status: DepositPending, L1Head: 13, L2Origin: 10}, []string{"L1 head 13, L2 origin 10", "applied when the origin reaches 12"}},
	}
	for _, c := range cases {
		text := DepositProgress{ID: id, Waited: 1500 * time.Millisecond, Left: 118*time.Second + 300*time.Millisecond, Last: c.last}.Text()
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("progress %q lacks %q", text, w)
			}
		}
	}
}

// fakeRollup serves rollup_depositStatus from a script of answers.
type fakeRollup struct {
	mu      sync.Mutex
	answers []map[string]any
	asked   []DepositID
}

// DepositStatus answers with the next scripted answer (the last repeats).
func (f *fakeRollup) DepositStatus(l1Block, index hexutil.Uint64) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, DepositID{L1Block: uint64(l1Block), Index: uint64(index)})
	a := f.answers[0]
	if len(f.answers) > 1 {
		f.answers = f.answers[1:]
	}
	return a, nil
}

// serveRollup serves api under the rollup namespace (nil: no rollup_
// methods, as an L1 node) on a loopback port.
func serveRollup(t *testing.T, api *fakeRollup) *Client {
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

func TestWaitDepositUntilApplied(t *testing.T) {
	hash := common.HexToHash("0xabc")
	api := &fakeRollup{answers: []map[string]any{
		{"status": "unknown", "l2Origin": "0x9", "l1Head": "0xb"},
		{"status": "pending", "l2Origin": "0xa", "l1Head": "0xc"},
		{"status": "pending", "l2Origin": "0xb", "l1Head": "0xc"},
		{"status": "applied", "l2Block": "0x39", "l2BlockHash": hash, "l2Origin": "0xc", "l1Head": "0xc"},
	}}
	c := serveRollup(t, api)
	id := DepositID{L1Block: 12, Index: 1}
	var mu sync.Mutex
	var seen []DepositProgress
	st, err := c.WaitDeposit(context.Background(), id, DepositWaitOptions{Timeout: 10 * time.Second,
		Poll: 30 * time.Millisecond, ProgressEvery: 10 * time.Millisecond,
		Progress: func(p DepositProgress) { mu.Lock(); seen = append(seen, p); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != DepositApplied || *st.L2Block != 57 || *st.L2BlockHash != hash || st.L2Origin != 12 || st.DepositID != id {
		t.Fatalf("status %+v", st)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.asked) != 4 || api.asked[0] != id {
		t.Fatalf("asked %v", api.asked)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("no progress reported")
	}
	for _, p := range seen {
		if p.ID != id || p.Left <= 0 || p.Left > 10*time.Second {
			t.Fatalf("progress %+v", p)
		}
	}
	if text := st.Text(); !strings.Contains(text, "applied in L2 block 57") {
		t.Fatalf("status text:\n%s", text)
	}
}

func TestWaitDepositTimesOutWithWhereItWas(t *testing.T) {
	c := serveRollup(t, &fakeRollup{answers: []map[string]any{{"status": "pending", "l2Origin": "0x5", "l1Head": "0x9"}}})
	st, err := c.WaitDeposit(context.Background(), DepositID{L1Block: 7, Index: 2},
		DepositWaitOptions{Timeout: 200 * time.Millisecond, Poll: 20 * time.Millisecond})
	if !errors.Is(err, ErrDepositNotApplied) {
		t.Fatalf("err = %v, want ErrDepositNotApplied", err)
	}
	for _, want := range []string{"after 200ms", "last status pending: L2 origin 5, sequencer's L1 head 9", "wallet deposit-status 7 2", "locked in the L1 bridge"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if st == nil || st.Status != DepositPending {
		t.Fatalf("last status %+v", st)
	}
}

func TestDepositStatusOfANodeThatIsNotAnL2(t *testing.T) {
	c := serveRollup(t, nil)
	_, err := c.WaitDeposit(context.Background(), DepositID{L1Block: 1}, DepositWaitOptions{Timeout: 5 * time.Second})
	if !errors.Is(err, ErrNotAnL2) || !strings.Contains(err.Error(), "--l2-rpc") {
		t.Fatalf("err = %v, want ErrNotAnL2 naming --l2-rpc", err)
	}
	bad := serveRollup(t, &fakeRollup{answers: []map[string]any{{"status": "lost", "l2Origin": "0x5", "l1Head": "0x9"}}})
	if _, err := bad.DepositStatus(context.Background(), DepositID{}); err == nil || !strings.Contains(err.Error(), `"lost"`) {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestDepositSummaryTextAndJSON(t *testing.T) {
	tx, s := signedTransfer(t)
	l1tx := Summarize(tx, s.Address, &types.Receipt{Status: types.ReceiptStatusSuccessful, GasUsed: 45000, BlockNumber: big.NewInt(12)}, big.NewInt(1e9))
	d := DepositLog{DepositID: DepositID{L1Block: 12, Index: 0}, From: s.Address, To: common.HexToAddress("0xdead"), Amount: big.NewInt(2e18)}
	sent := NewDepositSummary(l1tx, d, nil, 1200*time.Millisecond)
	if sent.Status != DepositOnL1 || !strings.Contains(sent.Text(), "wallet deposit-status 12 0") {
		t.Fatalf("--no-wait summary %+v:\n%s", sent, sent.Text())
	}
	n, h := uint64(40), common.HexToHash("0x40")
	done := NewDepositSummary(l1tx, d, &DepositStatus{Status: DepositApplied, L2Block: &n, L2BlockHash: &h}, 2345*time.Millisecond)
	text := done.Text()
	for _, want := range []string{"deposit    2 ETH from " + s.Address.Hex() + " (L1) to 0x000000000000000000000000000000000000dEaD (L2)",
		"in L1 block 12", "id         L1 block 12, index 0", "applied in L2 block 40", "2.3s after sending"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	data, err := json.Marshal(done)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"l1Tx", "l1Block", "index", "from", "to", "amount", "amountEth", "status", "l2Block", "l2BlockHash", "waited"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, data)
		}
	}
	if back["amount"] != "2000000000000000000" || back["status"] != "applied" {
		t.Fatalf("JSON %s", data)
	}
}

// TestFailedOperationStatusText: deposit-status shows a forced operation
// the L2 recorded as failed, with its reason.
func TestFailedOperationStatusText(t *testing.T) {
	n, h := uint64(57), common.HexToHash("0x57")
	st := &DepositStatus{DepositID: DepositID{L1Block: 12, Index: 1}, Status: OperationFailed, Reason: "operation failed: L2 balance 0",
		L2Block: &n, L2BlockHash: &h}
	if text := st.Text(); !strings.Contains(text, "failed in L2 block 57, nothing moved: operation failed: L2 balance 0") {
		t.Fatalf("status text:\n%s", text)
	}
}
