package dispute

import (
	"context"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
)

var (
	sequencer  = common.HexToAddress("0x5e9")
	challenger = common.HexToAddress("0xc4a1")
	eth        = big.NewInt(1e18)
)

func ethers(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), eth) }

func output(state, withdrawals, blockHash common.Hash) contract.Output {
	return contract.Output{Root: protocol.OutputRoot(state, withdrawals, blockHash), StateRoot: state, WithdrawalsRoot: withdrawals, BlockHash: blockHash}
}

// world is a fake L1 where the sequencer posted batch 1 (L2 blocks 1-4)
// in L1 block 20 and batch 3 (blocks 9-12) in L1 block 41, and two
// challenges won: dispute 0 on block 3 (batch 1, L1 block 22: a wrong
// block hash and state root, the whole 10 ETH bond slashed), dispute 1 on
// block 10 (batch 3, L1 block 43: a wrong state root, no bond left).
type world struct {
	f                        *fakeL1
	batch1Tx, batch3Tx       common.Hash
	challenge0, challenge1   common.Hash
	posted10, computed10     contract.Output
	posted3, computed3       contract.Output
	wroot                    common.Hash
	reward, burned, noReward *big.Int
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{f: newFake(), reward: ethers(5), burned: ethers(5), noReward: new(big.Int)}
	var err error
	if w.wroot, err = protocol.WithdrawalsRoot(nil); err != nil {
		t.Fatal(err)
	}
	w.batch1Tx = w.f.acceptBatch(sequencer, 1, 1, 4, 20)
	w.posted3 = output(common.Hash{0x03, 0xaa}, w.wroot, common.Hash{0x03, 0xbb})
	w.computed3 = output(common.Hash{0x03, 0xcc}, w.wroot, common.Hash{0x03, 0xdd})
	w.challenge0 = w.f.challenge(contract.Dispute{L2Block: 3, BatchIndex: 1, Challenger: challenger, L1Block: 22,
		Posted: w.posted3, Computed: w.computed3, Reward: w.reward, Burned: w.burned})
	// Batch 1 was truncated to blocks 1-2; batch 3 came later (indices
	// reused after the deletion are not this test's concern).
	w.batch3Tx = w.f.acceptBatch(sequencer, 3, 9, 12, 41)
	w.posted10 = output(common.Hash{0x10, 0xaa}, w.wroot, common.Hash{0x10, 0xbb})
	w.computed10 = output(common.Hash{0x10, 0xcc}, w.wroot, common.Hash{0x10, 0xbb})
	w.challenge1 = w.f.challenge(contract.Dispute{L2Block: 10, BatchIndex: 3, Challenger: challenger, L1Block: 43,
		Posted: w.posted10, Computed: w.computed10, Reward: w.noReward, Burned: new(big.Int)})
	return w
}

func TestReportOfADispute(t *testing.T) {
	w := newWorld(t)
	w.f.disputes[1].Reward, w.f.disputes[1].Burned = w.reward, w.burned // bonded again before the second
	r := New(w.f)
	ctx := context.Background()
	for _, sel := range []Selector{{}, ByL2Block(10), ByIndex(1), ByL1Tx(w.challenge1)} {
		rep, err := r.Find(ctx, sel)
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		if rep.Verdict != VerdictOutputWrong || rep.Dispute == nil || *rep.Dispute != 1 || rep.L2Block != 10 ||
			rep.BatchIndex == nil || *rep.BatchIndex != 3 || rep.Challenger != challenger {
			t.Fatalf("%s: report %+v", sel, rep)
		}
		if *rep.Claim != *outputOf(w.posted10) || *rep.Computed != *outputOf(w.computed10) {
			t.Errorf("%s: claim %+v, computed %+v", sel, rep.Claim, rep.Computed)
		}
		if !slices.Equal(rep.Differs, []string{FieldStateRoot}) {
			t.Errorf("%s: differs %v, want [stateRoot]", sel, rep.Differs)
		}
		if !strings.Contains(rep.Explanation, "outputs from L2 block 10 on deleted") || !strings.Contains(rep.Explanation, "re-bond") {
			t.Errorf("%s: explanation %q", sel, rep.Explanation)
		}
		b := rep.Bond
		if b == nil || b.Sequencer == nil || *b.Sequencer != sequencer || b.Slashed.ToInt().Cmp(ethers(10)) != 0 ||
			b.Reward.ToInt().Cmp(ethers(5)) != 0 || b.Burned.ToInt().Cmp(ethers(5)) != 0 {
			t.Errorf("%s: bond %+v", sel, b)
		}
		if c := rep.ChallengeTx; c == nil || c.Hash != w.challenge1 || c.L1Block != 43 || c.TxIndex != 1 || c.From == nil || *c.From != challenger || c.Failed {
			t.Errorf("%s: challenge tx %+v, want %s in L1 block 43", sel, c, w.challenge1)
		}
		if c := rep.BatchTx; c == nil || c.Hash != w.batch3Tx || c.L1Block != 41 || c.From == nil || *c.From != sequencer {
			t.Errorf("%s: batch tx %+v, want %s in L1 block 41", sel, c, w.batch3Tx)
		}
		if len(rep.Notes) != 0 {
			t.Errorf("%s: notes %q", sel, rep.Notes)
		}
	}
	// The batch is read as it was just before the challenge's L1 block.
	for _, at := range w.f.batchAt {
		if at != 42 {
			t.Fatalf("batch(3) read at L1 block %d, want 42 (the challenge's parent)", at)
		}
	}

	// The older dispute: two fields differ, found by its block or tx.
	for _, sel := range []Selector{ByL2Block(3), ByL1Tx(w.challenge0), ByIndex(0)} {
		rep, err := r.Find(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		if *rep.Dispute != 0 || rep.L2Block != 3 || !slices.Equal(rep.Differs, []string{FieldStateRoot, FieldBlockHash}) ||
			rep.BatchTx == nil || rep.BatchTx.Hash != w.batch1Tx || rep.ChallengeTx.Hash != w.challenge0 {
			t.Errorf("%s: %+v", sel, rep)
		}
	}
}

// A dispute without bond to slash says so; lookups that fail say why.
func TestNoBondAndMissingDisputes(t *testing.T) {
	w := newWorld(t)
	r := New(w.f)
	ctx := context.Background()
	rep, err := r.Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bond.Slashed.ToInt().Sign() != 0 || !strings.Contains(rep.Explanation, "no bond left") {
		t.Errorf("bond %+v, explanation %q", rep.Bond, rep.Explanation)
	}
	for _, sel := range []Selector{ByL2Block(7), ByIndex(2)} {
		if _, err := r.Find(ctx, sel); !errors.Is(err, ErrNoDispute) {
			t.Errorf("%s: err %v, want ErrNoDispute", sel, err)
		}
	}
	if _, err := New(newFake()).Latest(ctx); !errors.Is(err, ErrNoDispute) || !strings.Contains(err.Error(), "no challenge has succeeded") {
		t.Errorf("no disputes: err %v", err)
	}
	if _, err := r.Find(ctx, ByL1Tx(common.Hash{9})); err == nil || !strings.Contains(err.Error(), "in no L1 block") {
		t.Errorf("unknown tx: err %v", err)
	}
	two := ByL2Block(3)
	two.Index = ByIndex(0).Index
	if _, err := r.Find(ctx, two); !errors.Is(err, ErrBadSelector) {
		t.Errorf("two selections: err %v", err)
	}
}

// The claim's transaction is best effort: a missing batch leaves a note.
func TestMissingBatchIsANote(t *testing.T) {
	w := newWorld(t)
	delete(w.f.batches, 3)
	rep, err := New(w.f).ByIndex(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if rep.BatchTx != nil || rep.Bond.Sequencer != nil || len(rep.Notes) != 1 || !strings.Contains(rep.Notes[0], "batch 3") {
		t.Errorf("batch tx %+v, notes %q", rep.BatchTx, rep.Notes)
	}
	if rep.ChallengeTx == nil || rep.ChallengeTx.Hash != w.challenge1 {
		t.Errorf("challenge tx %+v", rep.ChallengeTx)
	}
}

func TestRefusedChallenge(t *testing.T) {
	w := newWorld(t)
	r := New(w.f)
	ctx := context.Background()
	other := common.HexToAddress("0x0b0b")
	cases := []struct {
		reason, want string
	}{
		{contract.ErrOutputCorrect.Error(), "the posted output of L2 block 11 is correct"},
		{contract.ErrInvalidChallenge.Error() + ": " + contract.ErrBadPath.Error(), "invalid and proves nothing"},
		{"", "reverted"},
	}
	for i, c := range cases {
		h := w.f.addTx(other, contract.Address, contract.PackChallenge(11, []byte{1, 2}), 50+uint64(i), 2, false)
		w.f.replay, w.f.replayAt = c.reason, nil
		rep, err := r.ByL1Tx(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != VerdictRefused || rep.Reason != c.reason || rep.L2Block != 11 || rep.Challenger != other ||
			rep.Dispute != nil || rep.Bond != nil || rep.Claim != nil || !strings.Contains(rep.Explanation, c.want) {
			t.Errorf("reason %q: report %+v", c.reason, rep)
		}
		if rep.ChallengeTx == nil || rep.ChallengeTx.Hash != h || !rep.ChallengeTx.Failed || rep.ChallengeTx.L1Block != hexutil.Uint64(50+i) {
			t.Errorf("reason %q: challenge tx %+v", c.reason, rep.ChallengeTx)
		}
		if !slices.Equal(w.f.replayAt, []block.L1Number{block.L1Number(49 + i)}) {
			t.Errorf("replayed at %v, want the parent %d", w.f.replayAt, 49+i)
		}
		if (c.reason == "") != (len(rep.Notes) == 1) {
			t.Errorf("reason %q: notes %q", c.reason, rep.Notes)
		}
	}
}

func TestNotAChallenge(t *testing.T) {
	w := newWorld(t)
	r := New(w.f)
	ctx := context.Background()
	transfer := w.f.addTx(sequencer, common.HexToAddress("0xdead"), nil, 60, 0, true)
	bond := w.f.addTx(sequencer, contract.Address, contract.PackBond(), 61, 0, false)
	for h, want := range map[common.Hash]string{
		transfer:   "was sent to 0x000000000000000000000000000000000000dEaD, not to the rollup contract",
		w.batch3Tx: "calls the rollup contract's submitBatch, not challenge",
		bond:       "calls the rollup contract's bond, not challenge",
	} {
		_, err := r.ByL1Tx(ctx, h)
		if !errors.Is(err, ErrNotAChallenge) || !strings.Contains(err.Error(), want) {
			t.Errorf("tx %s: err %v, want ErrNotAChallenge saying %q", h, err, want)
		}
	}
}

func TestListNewestFirst(t *testing.T) {
	w := newWorld(t)
	for i := range 3 {
		w.f.challenge(contract.Dispute{L2Block: block.L2Number(20 + i), BatchIndex: 5, Challenger: challenger, L1Block: block.L1Number(70 + i),
			Posted: w.posted10, Computed: w.computed10, Reward: new(big.Int), Burned: new(big.Int)})
	}
	r := New(w.f)
	all, err := r.List(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []uint64
	for _, rep := range all {
		got = append(got, uint64(*rep.Dispute))
	}
	if !slices.Equal(got, []uint64{4, 3, 2, 1, 0}) {
		t.Fatalf("list: disputes %v, want newest first", got)
	}
	two, err := r.List(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(two) != 2 || *two[0].Dispute != 4 || *two[1].Dispute != 3 {
		t.Fatalf("list of 2: %d reports", len(two))
	}
	if none, err := New(newFake()).List(context.Background(), 5); err != nil || len(none) != 0 {
		t.Fatalf("empty list: %v, %v", none, err)
	}
}

// The JSON form: lowerCamelCase names, hex quantities.
func TestReportJSON(t *testing.T) {
	w := newWorld(t)
	rep, err := New(w.f).ByIndex(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"verdict": "outputWrong", "dispute": "0x0", "l2Block": "0x3", "batchIndex": "0x1",
		"differs": []any{"stateRoot", "blockHash"}, "challenger": strings.ToLower(challenger.Hex())}
	for k, v := range want {
		got, _ := json.Marshal(m[k])
		exp, _ := json.Marshal(v)
		if string(got) != string(exp) {
			t.Errorf("%s = %s, want %s", k, got, exp)
		}
	}
	bond := m["bond"].(map[string]any)
	if bond["slashed"] != "0x8ac7230489e80000" || bond["reward"] != "0x4563918244f40000" || bond["sequencer"] != strings.ToLower(sequencer.Hex()) {
		t.Errorf("bond %v", bond)
	}
	claim := m["claim"].(map[string]any)
	for _, k := range []string{"outputRoot", "stateRoot", "withdrawalsRoot", "blockHash"} {
		if _, ok := claim[k]; !ok {
			t.Errorf("claim lacks %s: %v", k, claim)
		}
	}
	if tx := m["challengeTx"].(map[string]any); tx["l1Block"] != "0x16" || tx["hash"] != w.challenge0.Hex() {
		t.Errorf("challengeTx %v", tx)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(&back)
	if string(again) != string(data) {
		t.Errorf("round trip:\n%s\n%s", data, again)
	}
}

func TestSelectorJSON(t *testing.T) {
	hash := common.HexToHash("0x1234")
	cases := map[string]Selector{
		`null`:                          {},
		`""`:                            {},
		`"0xa"`:                         ByL2Block(10),
		`"10"`:                          ByL2Block(10),
		`10`:                            ByL2Block(10),
		`"` + hash.Hex() + `"`:          ByL1Tx(hash),
		`{"l2Block":"0xa"}`:             ByL2Block(10),
		`{"l2Block":10}`:                ByL2Block(10),
		`{"l1Tx":"` + hash.Hex() + `"}`: ByL1Tx(hash),
		`{"index":"0x2"}`:               ByIndex(2),
		`{}`:                            {},
	}
	for in, want := range cases {
		var s Selector
		if err := json.Unmarshal([]byte(in), &s); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if s.String() != want.String() {
			t.Errorf("%s: %s, want %s", in, s, want)
		}
	}
	for _, in := range []string{`{"l2Block":"0xa","index":"0x1"}`, `{"block":1}`, `"0xzz"`, `"ten"`, `true`, `{"l2Block":"-1"}`,
		`"0x` + strings.Repeat("z", 64) + `"`} {
		var s Selector
		if err := json.Unmarshal([]byte(in), &s); !errors.Is(err, ErrBadSelector) {
			t.Errorf("%s: err %v, want ErrBadSelector", in, err)
		}
	}
}
