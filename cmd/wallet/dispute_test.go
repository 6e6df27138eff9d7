package main

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/rollup/dispute"
)

var (
	testSequencer  = common.HexToAddress("0x5e90000000000000000000000000000000000001")
	testChallenger = common.HexToAddress("0xc4a1000000000000000000000000000000000009")
	batchTxHash    = common.HexToHash("0xba7c4")
	challengeHash  = common.HexToHash("0xc4a11e")
)

func u64p(n uint64) *hexutil.Uint64 { v := hexutil.Uint64(n); return &v }

func weiOf(ether int64) *hexutil.Big {
	return (*hexutil.Big)(new(big.Int).Mul(big.NewInt(ether), big.NewInt(1e18)))
}

// wrongOutput is dispute 0: L2 block 10 of batch 3 posted with a wrong
// state root, the 10 ETH bond split.
func wrongOutput() *dispute.Report {
	seq, ch := testSequencer, testChallenger
	return &dispute.Report{Verdict: dispute.VerdictOutputWrong, Explanation: "the sequencer's output was proven wrong",
		Dispute: u64p(0), L2Block: 10, BatchIndex: u64p(3),
		Claim:    &dispute.Output{OutputRoot: common.Hash{0x0a}, StateRoot: common.Hash{0x5a}, BlockHash: common.Hash{0xb1}},
		Computed: &dispute.Output{OutputRoot: common.Hash{0x0c}, StateRoot: common.Hash{0x5c}, BlockHash: common.Hash{0xb1}},
		Differs:  []string{dispute.FieldStateRoot}, Challenger: ch,
		Bond:        &dispute.Bond{Sequencer: &seq, Slashed: weiOf(10), Reward: weiOf(5), Burned: weiOf(5)},
		BatchTx:     &dispute.L1Tx{Hash: batchTxHash, L1Block: 41, From: &seq},
		ChallengeTx: &dispute.L1Tx{Hash: challengeHash, L1Block: 43, TxIndex: 1, From: &ch}}
}

func TestDisputeText(t *testing.T) {
	got := disputeText(wrongOutput())
	for _, want := range []string{
		"Dispute 0: L2 block 10 (batch 3) — the sequencer's output was proven wrong\n",
		"  claim      output     " + common.Hash{0x0a}.Hex() + "\n",
		"             state root " + common.Hash{0x5a}.Hex() + "\n",
		"             posted by the sequencer " + testSequencer.Hex() + " in L1 tx " + batchTxHash.Hex() + " (L1 block 41)\n",
		"  computed   output     " + common.Hash{0x0c}.Hex() + "\n",
		"             state root " + common.Hash{0x5c}.Hex() + "\n",
		"  differs    stateRoot\n",
		"  verdict    outputs from L2 block 10 on deleted; the batch's poster must re-bond before it posts again\n",
		"  bond       10 ETH slashed from the poster " + testSequencer.Hex() + ": 5 ETH to challenger " + testChallenger.Hex() + ", 5 ETH burned\n",
		"  challenge  L1 tx " + challengeHash.Hex() + " in L1 block 43\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "block hash") {
		t.Errorf("text shows the block hash, which does not differ:\n%s", got)
	}

	// No bond left, no batch transaction found, a note.
	r := wrongOutput()
	r.Bond = &dispute.Bond{Slashed: weiOf(0), Reward: weiOf(0), Burned: weiOf(0)}
	r.BatchTx, r.Notes = nil, []string{"the L1 transaction of batch 3: not found"}
	r.Differs = []string{dispute.FieldStateRoot, dispute.FieldBlockHash}
	got = disputeText(r)
	for _, want := range []string{"  bond       none left to slash", "  note       the L1 transaction of batch 3: not found\n",
		"             block hash " + common.Hash{0xb1}.Hex(), "  differs    stateRoot, blockHash\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("text lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "posted by") {
		t.Errorf("text names a batch transaction it does not have:\n%s", got)
	}

	refused := &dispute.Report{Verdict: dispute.VerdictRefused, L2Block: 11, Challenger: testChallenger,
		Reason:      "rollup: output is correct: the challenge fails",
		Explanation: "the challenge failed: the posted output of L2 block 11 is correct; nothing was deleted or slashed, the challenger paid the gas",
		ChallengeTx: &dispute.L1Tx{Hash: challengeHash, L1Block: 50, Failed: true}}
	got = disputeText(refused)
	for _, want := range []string{
		"Challenge of L2 block 11 refused — the posted output is correct\n",
		"  reason     rollup: output is correct: the challenge fails\n",
		"  verdict    the challenge failed: the posted output of L2 block 11 is correct",
		"  challenge  L1 tx " + challengeHash.Hex() + " in L1 block 50 (reverted)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("refused text lacks %q:\n%s", want, got)
		}
	}
}

func TestDisputeListText(t *testing.T) {
	if got := disputeListText(nil); !strings.Contains(got, "no disputes") {
		t.Errorf("empty list: %q", got)
	}
	second := wrongOutput()
	second.Dispute, second.L2Block, second.Differs = u64p(1), 20, []string{dispute.FieldStateRoot, dispute.FieldBlockHash}
	lines := strings.Split(strings.TrimSpace(disputeListText([]*dispute.Report{second, wrongOutput()})), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "DISPUTE") {
		t.Fatalf("list:\n%s", strings.Join(lines, "\n"))
	}
	for i, want := range [][]string{{"1", "20", "3", "stateRoot,blockHash", "10 ETH", testChallenger.Hex(), "43"},
		{"0", "10", "3", "stateRoot", "10 ETH", testChallenger.Hex(), "43"}} {
		f := strings.Fields(strings.ReplaceAll(lines[i+1], " ETH", "_ETH"))
		got := strings.ReplaceAll(strings.Join(f, " "), "_ETH", " ETH")
		if got != strings.Join(want, " ") {
			t.Errorf("line %d: %q, want %q", i+1, got, strings.Join(want, " "))
		}
	}
}

// fakeRollup is the rollup_ namespace of a fake L2 RPC: it records the
// selectors asked for and answers with canned reports.
type fakeRollup struct {
	mu     sync.Mutex
	asked  []dispute.Selector
	limits []uint64
}

func (f *fakeRollup) Dispute(_ context.Context, sel *dispute.Selector) (*dispute.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := dispute.Selector{}
	if sel != nil {
		s = *sel
	}
	f.asked = append(f.asked, s)
	if s.L2Block != nil && *s.L2Block != 10 {
		return nil, errors.New("explain L2 block 7: no such dispute: none of the 1 disputes names L2 block 7")
	}
	return wrongOutput(), nil
}

func (f *fakeRollup) Disputes(_ context.Context, limit *hexutil.Uint64) ([]*dispute.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if limit != nil {
		f.limits = append(f.limits, uint64(*limit))
	}
	return []*dispute.Report{wrongOutput()}, nil
}

// startFakeL2 serves the fake rollup_ namespace (and nothing else when
// withRollup is false) over HTTP on loopback.
func startFakeL2(t *testing.T, withRollup bool) (string, *fakeRollup) {
	t.Helper()
	srv := rpc.NewServer()
	f := &fakeRollup{}
	if withRollup {
		if err := srv.RegisterName("rollup", f); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Stop() })
	return hs.URL, f
}

func TestDisputeShowAndList(t *testing.T) {
	url, f := startFakeL2(t, true)
	hash := common.HexToHash("0x1234")
	cases := []struct {
		args []string
		want string // the selector the L2 RPC got
	}{
		{nil, "the newest dispute"},
		{[]string{"--l2-block", "10"}, "L2 block 10"},
		{[]string{"--l2-block", "0xa"}, "L2 block 10"},
		{[]string{"--tx", hash.Hex()}, "L1 transaction " + hash.Hex()},
		{[]string{"--index", "0"}, "dispute 0"},
	}
	for _, c := range cases {
		r := runWallet(t, nil, append([]string{"--l2-rpc", url, "dispute", "show"}, c.args...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "Dispute 0: L2 block 10 (batch 3)") || !strings.Contains(r.stdout, "5 ETH burned") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", c.args, r.code, r.stdout, r.stderr)
			continue
		}
		f.mu.Lock()
		got := f.asked[len(f.asked)-1].String()
		f.mu.Unlock()
		if got != c.want {
			t.Errorf("%v: the L2 RPC was asked for %s, want %s", c.args, got, c.want)
		}
	}

	// --json prints the report as the RPC gave it.
	r := runWallet(t, nil, "dispute", "show", "--l2-rpc", url, "--json")
	var rep dispute.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 {
		t.Fatalf("--json: exit %d, %v: %q", r.code, err, r.stdout)
	}
	if rep.L2Block != 10 || rep.Bond == nil || rep.Bond.Reward.ToInt().Cmp(weiOf(5).ToInt()) != 0 || rep.Differs[0] != "stateRoot" {
		t.Errorf("--json: %+v", rep)
	}

	// The RPC's error reaches the user.
	r = runWallet(t, nil, "--l2-rpc", url, "dispute", "show", "--l2-block", "7")
	if r.code == 0 || !strings.Contains(r.stderr, "none of the 1 disputes names L2 block 7") {
		t.Errorf("missing dispute: exit %d, stderr %q", r.code, r.stderr)
	}

	r = runWallet(t, nil, "--l2-rpc", url, "dispute", "list", "--limit", "5")
	if r.code != 0 || !strings.Contains(r.stdout, "DISPUTE") || !strings.Contains(r.stdout, "stateRoot") {
		t.Errorf("list: exit %d, stdout %q", r.code, r.stdout)
	}
	r = runWallet(t, nil, "--l2-rpc", url, "--json", "dispute", "list")
	var reps []dispute.Report
	if err := json.Unmarshal([]byte(r.stdout), &reps); err != nil || len(reps) != 1 {
		t.Errorf("list --json: %v: %q", err, r.stdout)
	}
	f.mu.Lock()
	limits := f.limits
	f.mu.Unlock()
	if len(limits) != 2 || limits[0] != 5 || limits[1] != defaultDisputeList {
		t.Errorf("limits asked: %v, want [5 %d]", limits, defaultDisputeList)
	}
}

func TestDisputeRefusals(t *testing.T) {
	url, _ := startFakeL2(t, true)
	noRollup, _ := startFakeL2(t, false)
	closed := closedPortURL(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--l2-rpc", url, "dispute", "show", "--l2-block", "10", "--tx", "0x" + strings.Repeat("11", 32)}, "--l2-block and --tx each pick a dispute: use one"},
		{[]string{"--l2-rpc", url, "dispute", "show", "--tx", "0x1234"}, "not a transaction hash"},
		{[]string{"--l2-rpc", url, "dispute", "show", "--l2-block", "ten"}, "not a block number"},
		{[]string{"--l2-rpc", url, "dispute", "show", "10"}, "usage: wallet dispute show"},
		{[]string{"--l2-rpc", url, "dispute", "list", "--limit", "0"}, "want 1 to 100"},
		{[]string{"--l2-rpc", noRollup, "dispute", "show"}, "does not serve rollup_dispute: point --l2-rpc at the sequencer's L2 RPC"},
		{[]string{"--l2-rpc", closed, "dispute", "list"}, "cannot reach the node at " + closed + ": is the L2 sequencer (or the challenger) running?"},
	}
	for _, c := range cases {
		r := runWallet(t, nil, c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to say %q", c.args, r.code, r.stderr, c.want)
		}
	}
	r := runWallet(t, nil, "dispute", "show", "--help")
	for _, want := range []string{"--l2-block", "--tx", "--index", "rollup_dispute", "--l2-rpc", "--json"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dispute show --help does not mention %s:\n%s", want, r.stdout)
		}
	}
}
