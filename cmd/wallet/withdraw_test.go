package main

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/wallet"
)

var (
	exitFrom = common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
	exitTo   = common.HexToAddress("0x7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e7e")
	exitTx   = common.HexToHash("0x4ca0")
)

// fakeWithdrawalL2 is the rollup_ namespace of a fake sequencer: withdrawal
// 3 is safe, its batch 4 accepted at L1 block 50, paid at 80.
type fakeWithdrawalL2 struct {
	mu    sync.Mutex
	asked []json.RawMessage
}

// WithdrawalStatus answers rollup_withdrawalStatus.
func (f *fakeWithdrawalL2) WithdrawalStatus(ref json.RawMessage) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, ref)
	if string(ref) == `"0x9"` {
		return nil, errors.New("no such withdrawal: withdrawal 9: the L2 has initiated 4 withdrawals (nonces 0 to 3)")
	}
	return map[string]any{"nonce": "0x3", "from": exitFrom, "to": exitTo, "amount": "0x14d1120d7b160000", "l2Block": "0x39",
		"l2BlockHash": common.HexToHash("0x88"), "l2TxHash": exitTx, "status": "safe", "batchIndex": "0x4", "acceptedL1Block": "0x32",
		"challengeWindow": "0x1e", "payoutL1Block": "0x50", "l1Head": "0x35", "l1BlockTimeMs": "0x3e8", "blocksLeft": "0x1b",
		"secondsLeft": "0x1b"}, nil
}

func startWithdrawalL2(t *testing.T) (string, *fakeWithdrawalL2) {
	t.Helper()
	srv := rpc.NewServer()
	f := &fakeWithdrawalL2{}
	if err := srv.RegisterName("rollup", f); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Stop() })
	return hs.URL, f
}

// `withdrawal status` takes a nonce, a transaction hash or L1-BLOCK:INDEX,
// asks the sequencer, and prints the countdown in text or the status as
// JSON.
func TestWithdrawalStatusCommand(t *testing.T) {
	url, f := startWithdrawalL2(t)
	for _, ref := range []string{"3", "0x3", exitTx.Hex(), "14:0"} {
		r := runWallet(t, nil, "--l2-rpc", url, "withdrawal", "status", ref)
		for _, want := range []string{
			"withdrawal 3: 1.5 ETH from " + exitFrom.Hex() + " (L2) to " + exitTo.Hex() + " (L1)\n",
			"initiated  in L2 block 57 (" + common.HexToHash("0x88").Hex() + ") by L2 tx " + exitTx.Hex() + "\n",
			"status     safe: batch 4 accepted at L1 block 50; payout at L1 block 80 — 27 blocks, ~27s left\n",
			"l1         L1 head 53, L1 blocks every 1s\n",
		} {
			if r.code != 0 || !strings.Contains(r.stdout, want) {
				t.Errorf("%s: exit %d, stdout lacks %q:\n%s%s", ref, r.code, want, r.stdout, r.stderr)
			}
		}
	}
	f.mu.Lock()
	asked := make([]string, len(f.asked))
	for i, a := range f.asked {
		asked[i] = string(a)
	}
	f.mu.Unlock()
	want := []string{`"0x3"`, `"0x3"`, `"` + exitTx.Hex() + `"`, `{"index":"0x0","l1Block":"0xe"}`}
	if strings.Join(asked, " ") != strings.Join(want, " ") {
		t.Errorf("the sequencer was asked %v, want %v", asked, want)
	}

	r := runWallet(t, nil, "--l2-rpc", url, "--json", "withdrawal", "status", "3")
	var st wallet.WithdrawalStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 {
		t.Fatalf("--json: exit %d, %v: %q", r.code, err, r.stdout)
	}
	if st.Nonce != 3 || st.Status != wallet.WithdrawalSafe || st.Amount != "1500000000000000000" || *st.PayoutL1Block != 80 ||
		*st.BlocksLeft != 27 || *st.SecondsLeft != 27 || st.L1BlockTimeMs != 1000 {
		t.Errorf("--json: %+v", st)
	}
	if !strings.Contains(r.stdout, `"blocksLeft": 27`) || !strings.Contains(r.stdout, `"l2TxHash": "`+exitTx.Hex()+`"`) {
		t.Errorf("--json is not plain numbers and hashes:\n%s", r.stdout)
	}
}

// What cannot work is refused before anything is sent, with what to do.
func TestWithdrawRefusals(t *testing.T) {
	url, _ := startWithdrawalL2(t)
	noRollup, _ := startFakeL2(t, false)
	down := closedPortURL(t)
	dev := []string{"--rpc", down, "--l2-rpc", down, "--dev-account", "7"}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--l2-rpc", url, "withdrawal", "status", "0x9"}, "withdrawal 9: the L2 has initiated 4 withdrawals (nonces 0 to 3)"},
		{[]string{"--l2-rpc", url, "withdrawal", "status"}, "usage: wallet withdrawal status TX|NONCE|L1-BLOCK:INDEX"},
		{[]string{"--l2-rpc", url, "withdrawal", "status", "ten"}, "neither an L2 transaction hash"},
		{[]string{"--l2-rpc", url, "withdrawal", "status", "3", "--json"}, "flags such as --json go before the arguments"},
		{[]string{"--l2-rpc", noRollup, "withdrawal", "status", "3"}, "does not serve rollup_withdrawalStatus: point --l2-rpc at the sequencer's L2 RPC"},
		{[]string{"--l2-rpc", down, "withdrawal", "status", "3"}, "cannot reach the node at " + down + ": is the L2 sequencer running?"},
		{append(dev, "withdraw", "--amount", "0"), "more than 0 ETH"},
		{append(dev, "withdraw", "--amount", "1", "--to", "0x12"), `--to "0x12" is not an address`},
		{append(dev, "--layer", "l1", "withdraw", "--amount", "1"), "--layer l1 does not apply"},
		{append(dev, "withdraw", "--amount", "1"), "cannot reach the node at " + down + ": is the L2 sequencer running?"},
		{append(dev, "--layer", "l2", "force-withdraw", "--amount", "1"), "force-withdraw sends its transaction on the L1"},
		{append(dev, "force-withdraw", "--amount", "-1"), "--amount"},
		{append(dev, "force-withdraw", "--amount", "1"), "or send it anyway with --no-wait"},
		{append(dev, "force-withdraw", "--amount", "1", "--no-wait"), "cannot reach the node at " + down + ": is the devnet running?"},
		{append(dev, "force-transfer", "--amount", "1"), `Required flag "to" not set`},
		{append(dev, "force-transfer", "--amount", "1", "--to", "bob"), `--to "bob" is not an address`},
		{append(dev, "force-transfer", "--amount", "0", "--to", exitTo.Hex()), "more than 0 ETH"},
	}
	for _, c := range cases {
		r := runWallet(t, nil, c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to say %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// Each command's help says what it sends, what it waits for and how long.
func TestWithdrawHelp(t *testing.T) {
	cases := map[string][]string{
		"--help":                   {"withdraw", "withdrawal", "force-withdraw", "force-transfer"},
		"withdraw --help":          {"--amount", "--to", "--no-wait", "--timeout", "initiateWithdrawal", "rollup_withdrawalStatus", "35 s on the devnet", "5m0s"},
		"withdrawal --help":        {"status"},
		"withdrawal status --help": {"TX|NONCE|L1-BLOCK:INDEX", "rollup_withdrawalStatus", "initiated", "safe", "finalized", "paid", "--l2-rpc"},
		"force-withdraw --help":    {"--amount", "--no-wait", "forceWithdrawal(amount)", "rollup_depositStatus", "sequencing window", "35 s on the devnet"},
		"force-transfer --help":    {"--to", "--amount", "--no-wait", "forceTransfer(to, amount)", "failed with the reason", "2m0s"},
	}
	for args, wants := range cases {
		r := runWallet(t, nil, strings.Fields(args)...)
		if r.code != 0 {
			t.Errorf("wallet %s: exit %d", args, r.code)
		}
		for _, w := range wants {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("wallet %s does not mention %q:\n%s", args, w, r.stdout)
			}
		}
	}
}
