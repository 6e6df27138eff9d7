package contract

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// settler is the rollup contract with one more method, testSettle(l2Block,
// parentHash, parentTime, parentOrigin), which applies a successful
// challenge of l2Block exactly as challenge does after a proof verified
// (settle), without the proof: the payout tests need blocks that carry
// withdrawals and stand, which the fraud tests' L2 (no withdrawal queue in
// its transactions) does not make.
type settler struct {
	*Contract
	abi *abi.ABI
}

func newSettler(t testing.TB, c *Contract) *settler {
	t.Helper()
	js := strings.TrimSuffix(strings.TrimSpace(rollupABI), "]") +
		`,{"type":"function","name":"testSettle","stateMutability":"nonpayable","inputs":[{"name":"l2Block","type":"uint64"},` +
		`{"name":"parentHash","type":"bytes32"},{"name":"parentTime","type":"uint64"},{"name":"parentOrigin","type":"uint64"}],` +
		`"outputs":[{"name":"dispute","type":"uint64"}]}]`
	a, err := syscontract.ParseABI(js)
	if err != nil {
		t.Fatal(err)
	}
	return &settler{Contract: c, abi: a}
}

func (s *settler) ABI() *abi.ABI { return s.abi }

func (s *settler) Methods() map[string]syscontract.Method {
	m := s.Contract.Methods()
	m["testSettle"] = syscontract.Method{Gas: ChallengeGas, Handler: func(ctx *syscontract.Context, args []any) ([]any, error) {
		n := block.L2Number(args[0].(uint64))
		i, err := batchOfBlock(ctx, n, func() error { return nil })
		if err != nil {
			return nil, err
		}
		b, err := readBatch(ctx, i)
		if err != nil {
			return nil, err
		}
		parent := protocol.Head{Number: n - 1, Hash: args[1].([32]byte), Time: args[2].(uint64), Origin: block.L1Number(args[3].(uint64))}
		return s.settle(ctx, &verdict{number: n, batch: b, parent: parent, posted: Output{Root: common.Hash{1}}, computed: Output{Root: common.Hash{2}}})
	}}
	return m
}

// newPayoutEnv is the test L1 with the bridge (its payer the rollup
// contract, 10 ETH in genesis) registered beside the rollup contract, which
// has testSettle.
func newPayoutEnv(t testing.TB) (*env, *settler) {
	t.Helper()
	br, err := bridge.New(bridge.Config{Payer: Address})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, testGenesis(), br)
	s := newSettler(t, e.c)
	if e.reg, err = syscontract.NewRegistry(s, br); err != nil {
		t.Fatal(err)
	}
	return e, s
}

// recipient is the L1 recipient of withdrawal nonce in a test's batches
// tagged tag.
func recipient(tag byte, nonce uint64) common.Address {
	a := common.BigToAddress(new(big.Int).SetUint64(nonce + 1))
	a[0] = tag
	return a
}

// amountOf is the amount of withdrawal nonce: (nonce+1) gwei.
func amountOf(nonce uint64) *big.Int {
	return new(big.Int).Mul(big.NewInt(int64(nonce+1)), big.NewInt(1e9))
}

// addWithdrawals gives block i of b counts[i] withdrawals, numbered on from
// the accepted chain's, to recipient(tag, nonce), of amountOf(nonce).
func (e *env) addWithdrawals(b *protocol.Batch, tag byte, counts ...int) {
	e.t.Helper()
	next, _, _, err := ReadWithdrawalCounts(e.st)
	if err != nil {
		e.t.Fatal(err)
	}
	for i, n := range counts {
		for range n {
			b.Blocks[i].Withdrawals = append(b.Blocks[i].Withdrawals, protocol.Withdrawal{Nonce: next,
				From: common.Address{0xf0, tag}, To: recipient(tag, next), Amount: amountOf(next)})
			next++
		}
	}
}

// hook runs the current block's end-of-block hooks and returns the rollup
// contract's outcome and the logs they emitted, and moves to the next
// block.
func (e *env) hook() (syscontract.EndBlockOutcome, []*types.Log) {
	e.t.Helper()
	before := len(e.st.Logs())
	var out syscontract.EndBlockOutcome
	for _, o := range e.reg.EndBlock(e.st, e.info()) {
		if o.Err != nil {
			e.t.Fatalf("end of L1 block %d: %s: %v", e.block, o.Address, o.Err)
		}
		if o.Address == Address {
			out = o
		}
	}
	if out.GasUsed > EndBlockGasBudget {
		e.t.Fatalf("end of L1 block %d used %d gas", e.block, out.GasUsed)
	}
	e.block++
	return out, e.st.Logs()[before:]
}

// paidLogs decodes the WithdrawalPaid logs among logs.
func paidLogs(t testing.TB, logs []*types.Log) []bridge.WithdrawalPaid {
	t.Helper()
	var out []bridge.WithdrawalPaid
	for _, lg := range logs {
		if len(lg.Topics) == 0 || lg.Topics[0] != bridge.WithdrawalPaidTopic() {
			continue
		}
		p, err := bridge.ParseWithdrawalPaid(lg)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// checkPaid checks that logs pay, in order, the withdrawals from to
// (excluded) of tag.
func checkPaid(t testing.TB, paid []bridge.WithdrawalPaid, from, to uint64, tag func(nonce uint64) byte) {
	t.Helper()
	if uint64(len(paid)) != to-from {
		t.Fatalf("%d payouts, want nonces %d to %d", len(paid), from, to-1)
	}
	for i, p := range paid {
		n := from + uint64(i)
		if p.Nonce != n || p.To != recipient(tag(n), n) || p.Amount.Cmp(amountOf(n)) != 0 {
			t.Fatalf("payout %d is %+v, want nonce %d to %s of %s", i, p, n, recipient(tag(n), n), amountOf(n))
		}
	}
}

func sameTag(tag byte) func(uint64) byte { return func(uint64) byte { return tag } }

// sumAmounts is the total of amountOf over nonces [from, to).
func sumAmounts(from, to uint64) *uint256.Int {
	total := new(big.Int)
	for n := from; n < to; n++ {
		total.Add(total, amountOf(n))
	}
	return uint256.MustFromBig(total)
}

func (e *env) status(nonce uint64) WithdrawalInfo {
	e.t.Helper()
	info, err := ReadWithdrawal(e.st, nonce)
	if err != nil {
		e.t.Fatal(err)
	}
	ret, err := e.view(PackWithdrawalStatus(nonce))
	if err != nil {
		e.t.Fatal(err)
	}
	viewed, err := UnpackWithdrawalStatus(nonce, ret)
	if err != nil || viewed.Status != info.Status || viewed.L2Block != info.L2Block || viewed.To != info.To ||
		viewed.From != info.From || viewed.Amount.Cmp(info.Amount) != 0 {
		e.t.Fatalf("withdrawalStatus(%d) = %+v (%v), stored %+v", nonce, viewed, err, info)
	}
	return info
}

// TestPayoutAtFinalization: a batch's withdrawals are stored at
// acceptance, unpaid until the end of the block that finalizes the batch,
// then paid there in nonce order, one WithdrawalPaid each, from the
// bridge's balance exactly, and cleared.
func TestPayoutAtFinalization(t *testing.T) {
	e, _ := newPayoutEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	b := e.nextBatch(3, 1)
	e.addWithdrawals(b, 0xa1, 1, 0, 2)
	accepted := e.block
	e.mustSubmit(b)
	if w := e.status(2); w.Status != WithdrawalAccepted || w.L2Block != 3 || w.To != recipient(0xa1, 2) || w.Amount.Cmp(amountOf(2)) != 0 ||
		w.From != (common.Address{0xf0, 0xa1}) {
		t.Fatalf("withdrawal 2 after acceptance: %+v", w)
	}
	bridgeBefore := e.st.GetBalance(bridge.Address).Clone()
	e.advanceTo(accepted + window) // the blocks before A+W end: nothing is final
	if got := ReadPaidWithdrawals(e.st); got != 0 || !e.st.GetBalance(bridge.Address).Eq(bridgeBefore) {
		t.Fatalf("paid %d before finalization", got)
	}
	if e.status(0).Status != WithdrawalAccepted {
		t.Fatal("withdrawal 0 is not accepted before finalization")
	}
	_, logs := e.hook() // the end of A+W finalizes and pays
	if len(logs) != 4 || logs[0].Topics[0] != BatchFinalizedTopic() {
		t.Fatalf("%d logs at finalization, want BatchFinalized and three payouts", len(logs))
	}
	checkPaid(t, paidLogs(t, logs), 0, 3, sameTag(0xa1))
	want := new(uint256.Int).Sub(bridgeBefore, sumAmounts(0, 3))
	if got := e.st.GetBalance(bridge.Address); !got.Eq(want) {
		t.Fatalf("bridge holds %s, want %s", got, want)
	}
	if got := bridge.TotalWithdrawn(e.st); got.Cmp(sumAmounts(0, 3).ToBig()) != 0 {
		t.Fatalf("total withdrawn %s", got)
	}
	for n := range uint64(3) {
		if got := e.st.GetBalance(recipient(0xa1, n)); got.ToBig().Cmp(amountOf(n)) != 0 {
			t.Fatalf("recipient of %d holds %s", n, got)
		}
		if w := e.status(n); w.Status != WithdrawalPaid || w.Amount.Sign() != 0 {
			t.Fatalf("withdrawal %d after its payout: %+v", n, w)
		}
		for k := range uint64(withdrawalWords) {
			if e.st.GetState(Address, withdrawalSlot(n, k)) != (common.Hash{}) {
				t.Fatalf("withdrawal %d word %d not cleared", n, k)
			}
		}
	}
	if e.status(3).Status != WithdrawalUnknown {
		t.Fatal("a nonce never posted has a status")
	}
	ret, err := e.view(PackPaidWithdrawals())
	if n, uerr := UnpackPaidWithdrawals(ret); err != nil || uerr != nil || n != 3 {
		t.Fatalf("paidWithdrawals() = %d (%v, %v)", n, err, uerr)
	}
	if _, logs := e.hook(); len(paidLogs(t, logs)) != 0 {
		t.Fatal("the next block paid again")
	}
}

// TestPayoutBoundedPerBlock: a final batch with more withdrawals than one
// block pays pays MaxPayoutsPerBlock in its finalizing block, within the
// hook's budget, and the rest in the next, across a restart (the state
// committed and reopened), each once.
func TestPayoutBoundedPerBlock(t *testing.T) {
	e, _ := newPayoutEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	b := e.nextBatch(2, 0)
	const total = MaxPayoutsPerBlock + 49
	e.addWithdrawals(b, 0xb2, MaxPayoutsPerBlock+44, 5)
	accepted := e.block
	e.mustSubmit(b)
	bridgeBefore := e.st.GetBalance(bridge.Address).Clone()
	e.advanceTo(accepted + window)
	out, logs := e.hook()
	checkPaid(t, paidLogs(t, logs), 0, MaxPayoutsPerBlock, sameTag(0xb2))
	if lower := uint64(MaxPayoutsPerBlock) * (MaxPayoutGas - 2_000); out.GasUsed < lower {
		t.Fatalf("a hook paying %d withdrawals used %d gas: less than the payouts cost", MaxPayoutsPerBlock, out.GasUsed)
	}
	if e.status(MaxPayoutsPerBlock-1).Status != WithdrawalPaid || e.status(MaxPayoutsPerBlock).Status != WithdrawalFinal {
		t.Fatal("statuses at the bound")
	}
	// Restart: commit the state and continue on the reopened one.
	root, err := e.db.Commit(e.st, e.block-1)
	if err != nil {
		t.Fatal(err)
	}
	if e.st, err = e.db.StateAt(root); err != nil {
		t.Fatal(err)
	}
	_, logs = e.hook()
	checkPaid(t, paidLogs(t, logs), MaxPayoutsPerBlock, total, sameTag(0xb2))
	if _, logs = e.hook(); len(paidLogs(t, logs)) != 0 {
		t.Fatal("a third block paid")
	}
	want := new(uint256.Int).Sub(bridgeBefore, sumAmounts(0, total))
	if got := e.st.GetBalance(bridge.Address); !got.Eq(want) || ReadPaidWithdrawals(e.st) != total {
		t.Fatalf("bridge holds %s, want %s; %d paid", got, want, ReadPaidWithdrawals(e.st))
	}
}

// TestPayoutGas: one payout costs what MaxPayoutGas bounds: a block that
// finalizes a batch with one withdrawal uses exactly one payout and the
// cursor's write more than a block that finalizes a batch without any.
func TestPayoutGas(t *testing.T) {
	e, _ := newPayoutEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	b := e.nextBatch(1, 0)
	e.addWithdrawals(b, 0xc3, 1)
	first := e.block
	e.mustSubmit(b)
	e.endBlock()
	e.mustSubmit(e.nextBatch(1, 0))
	e.endBlock()
	e.mustSubmit(e.nextBatch(1, 0)) // so that both hooks examine two batches
	e.advanceTo(first + window)
	withPayout, _ := e.hook()
	without, _ := e.hook()
	const payout = PayoutGas + syscontract.InternalCallGas + bridge.PayWithdrawalGas + syscontract.StorageWriteGas +
		syscontract.TransferGas + (syscontract.LogGas + 3*syscontract.LogTopicGas + 32*syscontract.LogDataGas) +
		withdrawalWords*syscontract.StorageWriteGas
	if got := withPayout.GasUsed - without.GasUsed; got != payout+syscontract.StorageWriteGas {
		t.Fatalf("one payout and the cursor cost %d gas, want %d", got, payout+syscontract.StorageWriteGas)
	}
	if payout > MaxPayoutGas || EndBlockGasBudget < 1_000_000+MaxPayoutsPerBlock*MaxPayoutGas {
		t.Fatalf("a payout costs %d gas, above MaxPayoutGas %d, or the budget is short", payout, MaxPayoutGas)
	}
}

// TestPayoutHaltsWhenTheBridgeCannotPay: a withdrawal the bridge's balance
// cannot cover (which the invariant excludes) is not paid, not in part;
// the payouts after it wait; one WithdrawalPayoutHalted says so; the hook
// never fails; once the bridge holds enough, payouts resume in order.
func TestPayoutHaltsWhenTheBridgeCannotPay(t *testing.T) {
	e, _ := newPayoutEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	b := e.nextBatch(1, 0)
	e.addWithdrawals(b, 0xd4, 3)
	b.Blocks[0].Withdrawals[1].Amount = eth(20).ToBig() // the bridge holds 10 ETH
	accepted := e.block
	e.mustSubmit(b)
	e.advanceTo(accepted + window)
	_, logs := e.hook()
	if paid := paidLogs(t, logs); len(paid) != 1 || paid[0].Nonce != 0 {
		t.Fatalf("paid %+v, want withdrawal 0 only", paid)
	}
	var halts []WithdrawalPayoutHalted
	for _, lg := range logs {
		if lg.Topics[0] == WithdrawalPayoutHaltedTopic() {
			h, err := ParseWithdrawalPayoutHalted(lg)
			if err != nil {
				t.Fatal(err)
			}
			halts = append(halts, h)
		}
	}
	if len(halts) != 1 || halts[0].Nonce != 1 || halts[0].Amount.Cmp(eth(20).ToBig()) != 0 ||
		halts[0].BridgeBalance.Cmp(new(big.Int).Sub(eth(10).ToBig(), amountOf(0))) != 0 || !strings.Contains(halts[0].Reason, "the bridge holds") {
		t.Fatalf("halts %+v", halts)
	}
	if e.st.GetBalance(recipient(0xd4, 1)).Sign() != 0 || e.st.GetBalance(recipient(0xd4, 2)).Sign() != 0 || ReadPaidWithdrawals(e.st) != 1 {
		t.Fatal("a payout went past the halt or paid in part")
	}
	if e.status(1).Status != WithdrawalFinal {
		t.Fatal("the halted withdrawal is not final-unpaid")
	}
	if _, logs := e.hook(); len(logs) != 0 {
		t.Fatalf("a halted block emitted %d logs (the halt is reported once)", len(logs))
	}
	// A deposit brings the balance up: the halted payout and the next go out.
	if _, _, err := e.reg.Run(e.st, e.info(), stranger, bridge.Address, eth(15), bridge.PackDeposit(stranger), 1_000_000); err != nil {
		t.Fatal(err)
	}
	_, logs = e.hook()
	paid := paidLogs(t, logs)
	if len(paid) != 2 || paid[0].Nonce != 1 || paid[0].Amount.Cmp(eth(20).ToBig()) != 0 || paid[1].Nonce != 2 {
		t.Fatalf("after the deposit: %+v", paid)
	}
	if ReadPaidWithdrawals(e.st) != 3 || e.st.GetState(Address, slotPayout) != packU64s(3, 0) {
		t.Fatal("payout cursor after resuming")
	}
}

// TestOnlyTheRollupContractPays: a transaction calling the bridge's
// payWithdrawal reverts, whoever sends it (no key signs for the rollup
// contract's address, the only payer).
func TestOnlyTheRollupContractPays(t *testing.T) {
	e, _ := newPayoutEnv(t)
	before := e.root()
	for _, from := range []common.Address{stranger, sequencer, bridge.Address} {
		_, _, err := e.reg.Run(e.st, e.info(), from, bridge.Address, nil, bridge.PackPayWithdrawal(0, from, eth(1)), 1_000_000)
		if !errors.Is(err, bridge.ErrNotPayer) {
			t.Fatalf("payWithdrawal from %s: %v", from, err)
		}
	}
	if e.root() != before {
		t.Fatal("a refused payout changed the state")
	}
}

// TestWithdrawalNoncesContinueTheChain: a batch whose withdrawals do not
// carry the next nonces is refused whole and changes nothing.
func TestWithdrawalNoncesContinueTheChain(t *testing.T) {
	e, _ := newPayoutEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	b := e.nextBatch(2, 0)
	e.addWithdrawals(b, 0xe5, 1, 1)
	e.mustSubmit(b)
	e.endBlock()
	for name, mutate := range map[string]func(b *protocol.Batch){
		"restarts at 0":  func(b *protocol.Batch) { b.Blocks[0].Withdrawals[0].Nonce = 0 },
		"skips one":      func(b *protocol.Batch) { b.Blocks[1].Withdrawals[0].Nonce++ },
		"repeats one":    func(b *protocol.Batch) { b.Blocks[1].Withdrawals[0].Nonce-- },
		"out of order":   func(b *protocol.Batch) { b.Blocks[0].Withdrawals[0].Nonce, b.Blocks[1].Withdrawals[0].Nonce = 3, 2 },
		"starts further": func(b *protocol.Batch) { b.Blocks[0].Withdrawals[0].Nonce, b.Blocks[1].Withdrawals[0].Nonce = 5, 6 },
	} {
		nb := e.nextBatch(2, 0)
		e.addWithdrawals(nb, 0xe5, 1, 1)
		mutate(nb)
		before := e.root()
		_, _, err := e.submit(nb)
		if !errors.Is(err, ErrWithdrawalNonce) || !errors.Is(err, ErrRefused) {
			t.Fatalf("%s: %v", name, err)
		}
		if e.root() != before {
			t.Fatalf("%s: a refused batch changed the state", name)
		}
	}
	nb := e.nextBatch(2, 0)
	e.addWithdrawals(nb, 0xe5, 0, 2)
	e.mustSubmit(nb)
	if rec, _ := ReadBatch(e.st, 1); rec.FirstWithdrawal != 2 || rec.WithdrawalCount != 2 {
		t.Fatalf("second batch %+v", rec)
	}
	ret, err := e.view(PackBatchWithdrawals(1))
	if w, uerr := UnpackBatchWithdrawals(ret); err != nil || uerr != nil || w.First != 2 || w.Count != 2 || w.Posted != 2 || w.Root == (common.Hash{}) {
		t.Fatalf("batchWithdrawals(1) = %+v (%v, %v)", w, err, uerr)
	}
}

// TestRollbackPaysOnlyStandingWithdrawals: a challenge that truncates a
// batch at block 6 leaves it only the withdrawals of blocks 4 and 5 and
// deletes the later batch; the re-posted blocks reuse the deleted nonces
// with other withdrawals; once everything is final, nonces 0 to 8 are paid
// exactly once each, to the re-posted recipients, and the deleted
// withdrawals never.
func TestRollbackPaysOnlyStandingWithdrawals(t *testing.T) {
	e, s := newPayoutEnv(t)
	e.bond(eth(10))
	e.advanceTo(4)
	b0 := e.nextBatch(3, 0) // blocks 1-3: nonces 0, 1, 2
	e.addWithdrawals(b0, 0xa0, 1, 1, 1)
	e.mustSubmit(b0)
	e.endBlock()
	b1 := e.nextBatch(4, 0) // blocks 4-7: nonces 3 (4), 4 and 5 (5), 6 (6), 7 (7)
	e.addWithdrawals(b1, 0xa0, 1, 2, 1, 1)
	e.mustSubmit(b1)
	e.endBlock()
	b2 := e.nextBatch(2, 0) // blocks 8-9: nonces 8, 9
	e.addWithdrawals(b2, 0xa0, 1, 1)
	e.mustSubmit(b2)
	e.endBlock()

	parent := blockOf(t, b1, 5)
	input, err := s.abi.Pack("testSettle", uint64(6), [32]byte(parent.BlockHash), parent.Time, uint64(parent.Origin))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.run(stranger, nil, input); err != nil {
		t.Fatal(err)
	}
	rec, err := ReadBatch(e.st, 1)
	if err != nil || rec.BlockCount != 2 || rec.WithdrawalCount != 3 || rec.FirstWithdrawal != 3 || rec.PostedWithdrawals != 5 || ReadBatchCount(e.st) != 2 {
		t.Fatalf("truncated batch %+v (%v), %d batches", rec, err, ReadBatchCount(e.st))
	}
	if accepted, _, _, _ := ReadWithdrawalCounts(e.st); accepted != 6 {
		t.Fatalf("%d withdrawals accepted after the rollback, want 6", accepted)
	}
	for n := uint64(6); n < 10; n++ {
		if st := e.status(n).Status; st != WithdrawalUnknown {
			t.Fatalf("deleted withdrawal %d is %s", n, st)
		}
	}
	if e.status(5).Status != WithdrawalAccepted {
		t.Fatal("standing withdrawal 5 lost")
	}
	// Re-bond and re-post blocks 6-9 with other withdrawals on nonces 6-8.
	e.bond(eth(10))
	e.endBlock()
	re := e.nextBatch(4, 0)
	e.addWithdrawals(re, 0xb0, 1, 0, 2, 0)
	reposted := e.block
	e.mustSubmit(re)
	tag := func(n uint64) byte {
		if n >= 6 {
			return 0xb0
		}
		return 0xa0
	}
	var paid []bridge.WithdrawalPaid
	for e.block <= reposted+window {
		_, logs := e.hook()
		paid = append(paid, paidLogs(t, logs)...)
	}
	checkPaid(t, paid, 0, 9, tag)
	for n := uint64(6); n < 10; n++ {
		if e.st.GetBalance(recipient(0xa0, n)).Sign() != 0 {
			t.Fatalf("deleted withdrawal %d was paid", n)
		}
	}
	if got, want := e.st.GetBalance(bridge.Address), new(uint256.Int).Sub(eth(10), sumAmounts(0, 9)); !got.Eq(want) {
		t.Fatalf("bridge holds %s, want %s", got, want)
	}
	if e.status(9).Status != WithdrawalUnknown || e.status(8).Status != WithdrawalPaid {
		t.Fatal("final statuses")
	}
	for range 3 {
		if _, logs := e.hook(); len(paidLogs(t, logs)) != 0 {
			t.Fatal("paid again")
		}
	}
}
