package sequencer

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/bilayer/bilayer/txpool"
)

// fakeBatch is a batch of the fake rollup contract: L2 blocks first to
// last, accepted in L1 block accepted, final from L1 block final (0:
// never).
type fakeBatch struct {
	first, last     uint64
	accepted, final uint64
}

// fakeWithdrawal is a withdrawal the fake rollup contract knows, paid in
// L1 block paid (0: not paid).
type fakeWithdrawal struct {
	block.Withdrawal
	l2Block uint64
	paid    uint64
}

// fakeRollupL1 is the eth_ namespace of an L1 node whose rollup contract
// holds scripted batches and withdrawals; every view answers as of the
// block asked for. Block n is stamped blockTime seconds after block n-1.
type fakeRollupL1 struct {
	mu          sync.Mutex
	head        uint64
	blockTime   uint64
	batches     []fakeBatch
	withdrawals map[uint64]*fakeWithdrawal
	calls       int
	// serveLogs makes eth_getLogs answer with the WithdrawalPaid logs
	// (else it fails, as on a node that serves no end-of-block logs);
	// logQueries counts the queries.
	serveLogs  bool
	logQueries int
}

// GetLogs answers eth_getLogs with the WithdrawalPaid logs of the nonces
// the query's second topic names.
func (f *fakeRollupL1) GetLogs(q struct {
	Topics [][]common.Hash `json:"topics"`
}) ([]*types.Log, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.serveLogs {
		return nil, errors.New("the method eth_getLogs does not exist/is not available")
	}
	f.logQueries++
	ev := bridge.ABI().Events["WithdrawalPaid"]
	var out []*types.Log
	for _, topic := range q.Topics[1] {
		w, ok := f.withdrawals[binary.BigEndian.Uint64(topic[24:])]
		if !ok || w.paid == 0 {
			continue
		}
		data, err := ev.Inputs.NonIndexed().Pack(w.Amount)
		if err != nil {
			return nil, err
		}
		out = append(out, &types.Log{Address: bridge.Address, Topics: []common.Hash{ev.ID, topic, common.BytesToHash(w.To[:])}, Data: data,
			BlockNumber: w.paid, BlockHash: common.Hash{byte(w.paid)}})
	}
	return out, nil
}

// BlockNumber answers eth_blockNumber.
func (f *fakeRollupL1) BlockNumber() hexutil.Uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return hexutil.Uint64(f.head)
}

// GetBlockByNumber answers eth_getBlockByNumber with a header.
func (f *fakeRollupL1) GetBlockByNumber(tag string, _ bool) (*types.Header, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, err := f.number(tag)
	if err != nil {
		return nil, err
	}
	return &types.Header{Number: new(big.Int).SetUint64(n), Time: genesisTime + n*f.blockTime, Difficulty: new(big.Int),
		BaseFee: big.NewInt(1_000_000_000)}, nil
}

func (f *fakeRollupL1) number(tag string) (uint64, error) {
	if tag == "latest" {
		return f.head, nil
	}
	n, err := hexutil.DecodeUint64(tag)
	if err != nil || n > f.head {
		return 0, fmt.Errorf("no block %q", tag)
	}
	return n, nil
}

// Call answers eth_call of the rollup contract's views.
func (f *fakeRollupL1) Call(args json.RawMessage, tag *string) (hexutil.Bytes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	var call struct {
		To    common.Address `json:"to"`
		Input hexutil.Bytes  `json:"input"`
		Data  hexutil.Bytes  `json:"data"`
	}
	if err := json.Unmarshal(args, &call); err != nil {
		return nil, err
	}
	data := call.Input
	if len(data) == 0 {
		data = call.Data
	}
	at := "latest"
	if tag != nil {
		at = *tag
	}
	n, err := f.number(at)
	if err != nil {
		return nil, err
	}
	if call.To != contract.Address || len(data) < 4 {
		return nil, errors.New("unexpected call")
	}
	var arg uint64
	if len(data) >= 36 {
		arg = binary.BigEndian.Uint64(data[28:36])
	}
	sel := string(data[:4])
	switch {
	case sel == string(contract.PackFinalizedBatchCount()):
		count := uint64(0)
		for _, b := range f.batches {
			if b.accepted <= n && b.final != 0 && b.final <= n {
				count++
			}
		}
		return packOutputs("finalizedBatchCount", map[string]any{"": count})
	case sel == string(contract.PackBatch(0)[:4]):
		if arg >= uint64(len(f.batches)) || f.batches[arg].accepted > n {
			return nil, fmt.Errorf("no batch %d", arg)
		}
		b := f.batches[arg]
		final := b.final != 0 && b.final <= n
		return packOutputs("batch", map[string]any{"firstBlock": b.first, "blockCount": b.last - b.first + 1, "l1Block": b.accepted,
			"root": [32]byte{1}, "final": final, "leafCount": b.last - b.first + 1})
	case sel == string(contract.PackBatchOfBlock(0)[:4]):
		if i, ok := f.batchOf(arg, n); ok {
			return packOutputs("batchOfBlock", map[string]any{"index": i})
		}
		return nil, fmt.Errorf("L2 block %d is in no batch", arg)
	case sel == string(contract.PackWithdrawalStatus(0)[:4]):
		status, l2Block, from, to, amount := contract.WithdrawalUnknown, uint64(0), common.Address{}, common.Address{}, new(big.Int)
		w, ok := f.withdrawals[arg]
		switch {
		case !ok:
		case w.paid != 0 && w.paid <= n:
			status = contract.WithdrawalPaid
		default:
			if i, ok := f.batchOf(w.l2Block, n); ok {
				status, l2Block, from, to, amount = contract.WithdrawalAccepted, w.l2Block, w.From, w.To, w.Amount
				if b := f.batches[i]; b.final != 0 && b.final <= n {
					status = contract.WithdrawalFinal
				}
			}
		}
		return packOutputs("withdrawalStatus", map[string]any{"status": uint8(status), "l2Block": l2Block, "from": from, "to": to, "amount": amount})
	}
	return nil, errors.New("unexpected call")
}

// packOutputs packs method's results by name, the others zero (so the
// fake follows outputs the contract adds).
func packOutputs(method string, vals map[string]any) ([]byte, error) {
	outs := contract.ABI().Methods[method].Outputs
	args := make([]any, len(outs))
	for i, o := range outs {
		v, ok := vals[o.Name]
		if !ok {
			t := o.Type.GetType()
			if t.Kind() == reflect.Pointer {
				v = reflect.New(t.Elem()).Interface()
			} else {
				v = reflect.Zero(t).Interface()
			}
		}
		args[i] = v
	}
	return outs.Pack(args...)
}

func (f *fakeRollupL1) batchOf(l2Block, at uint64) (uint64, bool) {
	for i, b := range f.batches {
		if b.accepted <= at && b.first <= l2Block && l2Block <= b.last {
			return uint64(i), true
		}
	}
	return 0, false
}

// withdrawalHarness is a sequencer whose L2 has the withdrawal queue.
func withdrawalHarness(t *testing.T) *harness {
	t.Helper()
	l1f := newFakeL1(genesisTime)
	h := &harness{t: t, db: memdb.New(), l1: l1f, now: time.Unix(genesisTime, 0)}
	for i := range 4 {
		h.keys = append(h.keys, key(i))
	}
	cfg := execConfig()
	cfg.L2.Queue = withdrawalqueue.New()
	gen := testGenesis(l1f, h.keys)
	gen.Alloc[withdrawalqueue.Address] = types.Account{Nonce: 1, Code: syscontract.MarkerCode(), Balance: new(big.Int)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chain, err := l2chain.Open(h.db, cfg, nil, gen, log)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := NewPool(txpool.DefaultConfig(), chain)
	if err != nil {
		t.Fatal(err)
	}
	h.chain, h.pool = chain, pool
	h.seq = New(DefaultConfig(), chain, pool, l1f, nil, log)
	h.be = l2rpc.NewBackend(chain, pool, nil, h.seq.Notify, "test")
	h.seq.originTime = genesisTime
	return h
}

// withdraw sends key i's initiateWithdrawal(to) of value wei.
func (h *harness) withdraw(i int, nonce uint64, to common.Address, value *big.Int) *types.Transaction {
	h.t.Helper()
	q := withdrawalqueue.Address
	tx, err := types.SignNewTx(h.keys[i], execution.Signer(l2ChainID), &types.DynamicFeeTx{ChainID: l2ChainID, Nonce: nonce,
		GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: 100_000, To: &q, Value: value,
		Data: withdrawalqueue.PackInitiate(to)})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.be.SendTransaction(context.Background(), tx); err != nil {
		h.t.Fatal(err)
	}
	return tx
}

func (h *harness) addr(i int) common.Address { return crypto.PubkeyToAddress(h.keys[i].PublicKey) }

// rollup_withdrawalStatus finds a withdrawal by transaction hash, nonce or
// forced-withdrawal operation, and reads where it is from the L1 rollup
// contract: paid (with the paying L1 block), finalized (paid next block),
// safe (payout at acceptance + W, blocks and seconds left), initiated (at
// least W left); W is unknown until a batch has finalized.
func TestRollupWithdrawalStatus(t *testing.T) {
	h := withdrawalHarness(t)
	recipient := common.HexToAddress("0xd00d00000000000000000000000000000000d00d")
	milli := big.NewInt(1e15)
	amount := func(m int64) *big.Int { return new(big.Int).Mul(big.NewInt(m), milli) }

	// L2 block 1: a withdrawal transaction (nonce 0).
	tx0 := h.withdraw(0, 0, recipient, amount(100))
	h.now = h.now.Add(time.Second)
	h.step()
	// L2 block 2: L1 block 1's forced withdrawal (nonce 1), forced
	// transfer and failed forced withdrawal, then a withdrawal
	// transaction (nonce 2).
	h.l1.mine(genesisTime+1,
		block.Operation{Kind: block.OpForceWithdrawal, From: h.addr(1), To: h.addr(1), Amount: amount(200)},
		block.Operation{Kind: block.OpForceTransfer, From: h.addr(2), To: h.addr(3), Amount: big.NewInt(1)},
		block.Operation{Kind: block.OpForceWithdrawal, From: h.addr(3), To: h.addr(3), Amount: amount(100_000)})
	tx2 := h.withdraw(2, 0, recipient, amount(300))
	h.now = h.now.Add(time.Second)
	h.step()
	// L2 block 3: a withdrawal (nonce 3) and a plain transfer.
	tx3 := h.withdraw(0, 1, recipient, amount(400))
	plain := h.send(3, 0, recipient, big.NewInt(1))
	h.now = h.now.Add(time.Second)
	h.step()
	if head := h.chain.Head(); head.Number() != 3 {
		t.Fatalf("head %d, want 3 blocks", head.Number())
	}

	fake := &fakeRollupL1{head: 18, blockTime: 2,
		batches: []fakeBatch{{first: 1, last: 1, accepted: 10, final: 14}, {first: 2, last: 2, accepted: 16}},
		withdrawals: map[uint64]*fakeWithdrawal{
			0: {Withdrawal: block.Withdrawal{Nonce: 0, From: h.addr(0), To: recipient, Amount: amount(100)}, l2Block: 1, paid: 15},
			1: {Withdrawal: block.Withdrawal{Nonce: 1, From: h.addr(1), To: h.addr(1), Amount: amount(200)}, l2Block: 2},
			2: {Withdrawal: block.Withdrawal{Nonce: 2, From: h.addr(2), To: recipient, Amount: amount(300)}, l2Block: 2},
		}}
	l1srv := rpc.NewServer()
	if err := l1srv.RegisterName("eth", fake); err != nil {
		t.Fatal(err)
	}
	defer l1srv.Stop()
	l2srv := rpc.NewServer()
	api := NewRollupAPI(h.chain, h.seq, l1.New(rpc.DialInProc(l1srv)))
	if err := l2srv.RegisterName("rollup", api); err != nil {
		t.Fatal(err)
	}
	defer l2srv.Stop()
	client := rpc.DialInProc(l2srv)
	defer client.Close()
	status := func(ref any) (*WithdrawalStatus, map[string]any, error) {
		t.Helper()
		var raw json.RawMessage
		if err := client.CallContext(context.Background(), &raw, "rollup_withdrawalStatus", ref); err != nil {
			return nil, nil, err
		}
		var st WithdrawalStatus
		var fields map[string]any
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &fields); err != nil {
			t.Fatal(err)
		}
		return &st, fields, nil
	}
	num := func(p *hexutil.Uint64) any {
		if p == nil {
			return nil
		}
		return uint64(*p)
	}

	// Paid, by transaction hash: batch 0 was accepted at 10, final at 14
	// (so W is 4), and the payout came a block later.
	calls := func() int { fake.mu.Lock(); defer fake.mu.Unlock(); return fake.calls }
	before := calls()
	st, fields, err := status(tx0.Hash())
	if err != nil {
		t.Fatal(err)
	}
	searched := calls() - before
	if st.Status != WithdrawalPaid || st.Nonce != 0 || st.From != h.addr(0) || st.To != recipient || st.Amount.ToInt().Cmp(amount(100)) != 0 ||
		st.L2Block != 1 || st.L2BlockHash != mustBlock(t, h, 1).Hash() || st.L2TxHash == nil || *st.L2TxHash != tx0.Hash() || st.L1Operation != nil {
		t.Errorf("paid withdrawal: %+v", st)
	}
	for name, got := range map[string]any{"batchIndex": num(st.BatchIndex), "acceptedL1Block": num(st.AcceptedL1Block),
		"challengeWindow": num(st.ChallengeWindow), "payoutL1Block": num(st.PayoutL1Block), "paidL1Block": num(st.PaidL1Block),
		"blocksLeft": num(st.BlocksLeft), "secondsLeft": num(st.SecondsLeft), "l1Head": uint64(st.L1Head), "l1BlockTimeMs": uint64(st.L1BlockTimeMs)} {
		want := map[string]any{"batchIndex": uint64(0), "acceptedL1Block": uint64(10), "challengeWindow": uint64(4), "payoutL1Block": uint64(15),
			"paidL1Block": uint64(15), "blocksLeft": uint64(0), "secondsLeft": uint64(0), "l1Head": uint64(18), "l1BlockTimeMs": uint64(2000)}[name]
		if got != want {
			t.Errorf("paid withdrawal: %s = %v, want %v", name, got, want)
		}
	}
	wantHash := (&types.Header{Number: big.NewInt(15), Time: genesisTime + 30, Difficulty: new(big.Int), BaseFee: big.NewInt(1_000_000_000)}).Hash()
	if st.PaidL1BlockHash == nil || *st.PaidL1BlockHash != wantHash {
		t.Errorf("paid in block hash %v, want %s", st.PaidL1BlockHash, wantHash)
	}
	for _, k := range []string{"nonce", "from", "to", "amount", "l2Block", "l2BlockHash", "l2TxHash", "status", "batchIndex", "acceptedL1Block",
		"payoutL1Block", "l1Head", "blocksLeft", "secondsLeft", "paidL1Block", "paidL1BlockHash", "l1BlockTimeMs", "challengeWindow"} {
		if _, ok := fields[k]; !ok {
			t.Errorf("JSON lacks %q: %v", k, fields)
		}
	}
	if fields["nonce"] != "0x0" || fields["l1Head"] != "0x12" {
		t.Errorf("numbers are not hex: nonce %v, l1Head %v", fields["nonce"], fields["l1Head"])
	}

	// The payout's log, where the node serves it, tells the same block.
	fake.mu.Lock()
	fake.serveLogs = true
	fake.mu.Unlock()
	before = calls()
	if st, _, err := status(0); err != nil || num(st.PaidL1Block) != uint64(15) || *st.PaidL1BlockHash != wantHash {
		t.Errorf("paid, from the log: %+v %v", st, err)
	}
	if fromLog := calls() - before; fromLog >= searched {
		t.Errorf("%d eth_calls with the log, %d without: the log did not spare the search", fromLog, searched)
	}
	fake.mu.Lock()
	if fake.logQueries != 1 {
		t.Errorf("%d log queries, want 1", fake.logQueries)
	}
	fake.mu.Unlock()

	// Safe, by forced-withdrawal operation and by nonce: batch 1 was
	// accepted at 16, so the payout is at 20, 2 blocks of 2 s away.
	for _, ref := range []any{map[string]any{"l1Block": 1, "index": "0x0"}, "0x1"} {
		st, _, err := status(ref)
		if err != nil {
			t.Fatalf("%v: %v", ref, err)
		}
		if st.Status != WithdrawalSafe || st.Nonce != 1 || st.From != h.addr(1) || st.To != h.addr(1) || st.L2Block != 2 ||
			st.L1Operation == nil || st.L1Operation.L1Block != 1 || st.L1Operation.Index != 0 || st.L2TxHash != nil ||
			num(st.BatchIndex) != uint64(1) || num(st.AcceptedL1Block) != uint64(16) || num(st.PayoutL1Block) != uint64(20) ||
			num(st.BlocksLeft) != uint64(2) || num(st.SecondsLeft) != uint64(4) || st.PaidL1Block != nil {
			t.Errorf("%v: forced withdrawal %+v", ref, st)
		}
	}
	if st, _, err := status(2); err != nil || st.Status != WithdrawalSafe || st.L2TxHash == nil || *st.L2TxHash != tx2.Hash() || st.L1Operation != nil {
		t.Errorf("nonce 2: %+v %v", st, err)
	}
	// Initiated: in an unsafe block, at least W blocks from its payout.
	if st, _, err := status(tx3.Hash()); err != nil || st.Status != WithdrawalInitiated || st.Nonce != 3 || st.BatchIndex != nil ||
		st.PayoutL1Block != nil || num(st.BlocksLeft) != uint64(4) || num(st.SecondsLeft) != uint64(8) {
		t.Errorf("unsafe withdrawal: %+v %v", st, err)
	}

	// Finalized and not paid yet (payouts queued): paid by the next block.
	fake.mu.Lock()
	fake.withdrawals[0].paid = 0
	fake.mu.Unlock()
	if st, _, err := status(0); err != nil || st.Status != WithdrawalFinalized || num(st.PayoutL1Block) != uint64(19) || num(st.BlocksLeft) != uint64(1) ||
		num(st.SecondsLeft) != uint64(2) {
		t.Errorf("finalized withdrawal: %+v %v", st, err)
	}
	// No batch final yet: W is unknown, and so is the payout block.
	fake.mu.Lock()
	fake.batches[0].final = 0
	fake.mu.Unlock()
	if st, fields, err := status(0); err != nil || st.Status != WithdrawalSafe || st.ChallengeWindow != nil || st.PayoutL1Block != nil ||
		st.BlocksLeft != nil || fields["blocksLeft"] != nil {
		t.Errorf("without W: %+v %v", st, err)
	}
	// Told W (the genesis's), the countdown is exact from the start.
	WithChallengeWindow(7)(api.BridgeAPI)
	if st, _, err := status(0); err != nil || st.Status != WithdrawalSafe || num(st.ChallengeWindow) != uint64(7) || st.PayoutL1Block == nil {
		t.Errorf("with W told: %+v %v", st, err)
	}
	WithChallengeWindow(0)(api.BridgeAPI)

	// What names no withdrawal is explained.
	for ref, want := range map[any]string{
		"0x9":                      "withdrawal 9: the L2 has initiated 4 withdrawals (nonces 0 to 3)",
		"ten":                      "bad withdrawal ref",
		plain.Hash():               "initiated no withdrawal: it did not call initiateWithdrawal on " + withdrawalqueue.Address.Hex(),
		common.HexToHash("0x1234"): "is not in the sequencer's chain",
	} {
		if _, _, err := status(ref); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v, want %q", ref, err, want)
		}
	}
	for ref, want := range map[string]string{
		`{"l1Block":1,"index":1}`:      "the operation is a force-transfer, not a forced withdrawal",
		`{"l1Block":1,"index":2}`:      "forced withdrawal 1/2 failed in L2 block 2, nothing was withdrawn: operation failed",
		`{"l1Block":1,"index":5}`:      "L1 block 1 has no bridge operation 5",
		`{"l1Block":"0x63","index":0}`: "forced withdrawal 99/0 is not applied yet: the L2 has reached L1 block 1",
		`{"l1Block":1}`:                "needs both l1Block and index",
		`{"nonce":1,"index":0}`:        "needs both l1Block and index",
		`{"nonce":1,"txHash":"0x0000000000000000000000000000000000000000000000000000000000000001"}`: "exactly one",
	} {
		if _, _, err := status(json.RawMessage(ref)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", ref, err, want)
		}
	}
	if _, err := NewRollupAPI(h.chain, h.seq, nil).WithdrawalStatus(context.Background(), WithdrawalRef{}); err == nil ||
		!strings.Contains(err.Error(), "does not read the L1") {
		t.Errorf("without an L1: %v", err)
	}
}

func mustBlock(t *testing.T, h *harness, n uint64) *block.Block {
	t.Helper()
	b, err := h.chain.BlockByNumber(block.L2Number(n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A withdrawal reference reads back what it writes, and refuses what is
// none.
func TestWithdrawalRefJSON(t *testing.T) {
	h := common.HexToHash("0xabc")
	three := uint64(3)
	for _, ref := range []WithdrawalRef{{TxHash: &h}, {Nonce: &three}, {Operation: &block.OperationID{L1Block: 7, Index: 2}}} {
		data, err := json.Marshal(ref)
		if err != nil {
			t.Fatal(err)
		}
		var back WithdrawalRef
		if err := json.Unmarshal(data, &back); err != nil || back.String() != ref.String() {
			t.Errorf("%s -> %s -> %s (%v)", ref, data, back, err)
		}
	}
	for in, want := range map[string]string{`3`: "withdrawal 3", `"12"`: "withdrawal 12", `"0x0c"`: "withdrawal 12",
		`{"nonce":"0x2"}`: "withdrawal 2", `{"txHash":"` + h.Hex() + `"}`: "L2 transaction " + h.Hex()} {
		var r WithdrawalRef
		if err := json.Unmarshal([]byte(in), &r); err != nil || r.String() != want {
			t.Errorf("%s: %s, %v; want %s", in, r, err, want)
		}
	}
	for _, in := range []string{`null`, `-1`, `1.5`, `"0x"`, `{"l1Block":1,"index":0,"extra":1}`, `{}`, `[]`} {
		var r WithdrawalRef
		if err := json.Unmarshal([]byte(in), &r); err == nil {
			t.Errorf("%s accepted as %s", in, r)
		}
	}
	if _, err := json.Marshal(WithdrawalRef{}); err == nil {
		t.Error("an empty reference marshals")
	}
}
