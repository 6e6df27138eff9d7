package contract

import (
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// Issue 13, acceptance 2: a mutated withdrawal list is refused at
// submission or proven wrong before its window closes, and nothing is paid
// from it.
//
// "The root forged to match the list": a batch carries no withdrawals root
// of its own. The contract computes each block's output root from the
// block's posted list (protocol.OutputRoot over protocol.WithdrawalsRoot of
// the list), and the batch's Merkle root and withdrawals root from those,
// so every forged list arrives with a root that matches it by
// construction: the forger cannot post a list whose root disagrees, and
// forging the root is the same as forging the list. The only question is
// whether the list is what re-execution of the block yields; so every
// mutation that passes the nonce rule is case (b) below, and each such
// subtest checks that the accepted batch's roots are the forged list's.

// withdrawalPlan is how many withdrawal transactions each L2 block of the
// mutation tests carries (blocks 1-9, origins and batches as the fraud
// scenario's: batches 1-3, 4-7, 8-9). Block 6, the first with origin 4,
// also applies a forced withdrawal made on L1 in block 4, before its
// transactions: nonces 0 (block 2), 1 (5), 2 forced and 3-5 (6), 6 (7),
// 7 (8) and 8 (9).
var withdrawalPlan = map[block.L2Number]int{2: 1, 5: 1, 6: 3, 7: 1, 8: 1, 9: 1}

// forcedAmount is the forced withdrawal's amount.
var forcedAmount = big.NewInt(25e16)

// thief is an L1 account no honest withdrawal pays.
var thief = common.HexToAddress("0x7777000000000000000000000000000000007777")

// l1Recipient is the honest L1 recipient of withdrawal nonce.
func l1Recipient(nonce uint64) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte("l1 recipient"), new(big.Int).SetUint64(nonce).Bytes()))
}

// withdrawalAmount is the honest amount of withdrawal nonce: (nonce+1)/10
// ETH plus nonce gwei, so no two are equal.
func withdrawalAmount(nonce uint64) *big.Int {
	a := new(big.Int).Mul(big.NewInt(int64(nonce+1)), big.NewInt(1e17))
	return a.Add(a, new(big.Int).Mul(big.NewInt(int64(nonce)), big.NewInt(1e9)))
}

// withdrawalTx returns a signed L2 call of the withdrawal queue's
// initiateWithdrawal(to) with amount, from the next key round-robin, and
// the key's address.
func (f *l2env) withdrawalTx(to common.Address, amount *big.Int) (*types.Transaction, common.Address) {
	f.t.Helper()
	i := f.next % len(f.keys)
	f.next++
	queue := withdrawalqueue.Address
	tx, err := types.SignNewTx(f.keys[i], types.LatestSignerForChainID(big.NewInt(1338)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1338), Nonce: f.nonces[i], Gas: 100_000, To: &queue, Value: amount,
		Data: withdrawalqueue.PackInitiate(to), GasFeeCap: big.NewInt(100e9), GasTipCap: big.NewInt(1)})
	if err != nil {
		f.t.Fatal(err)
	}
	f.nonces[i]++
	return tx, f.addrs[i]
}

// withdrawalWorld is the fraud tests' L2 (l2env) whose blocks 1-9 also
// initiate real withdrawals (withdrawalPlan), with what the honest chain
// says of them.
type withdrawalWorld struct {
	*l2env
	// honest are the honest batches of blocks 1-3, 4-7 and 8-9.
	honest [3]*protocol.Batch
	// byNonce are the withdrawals the L2 initiated, by nonce, and l2Of the
	// block of each.
	byNonce []protocol.Withdrawal
	l2Of    []block.L2Number
	// bridgeStart is the L1 bridge's balance before any payout.
	bridgeStart *uint256.Int
}

// newWithdrawalWorld builds the fraud scenario's history (deposits in L1
// blocks 2 and 4, L2 blocks 1-9 with origins 1,2,3,3,3,4,4,4,4) with, in
// each block, its planned withdrawal transactions and one transfer, and a
// forced withdrawal from L2 account 7 (to itself on L1) in L1 block 4.
// Nothing is posted; the current L1 block is 5.
func newWithdrawalWorld(t *testing.T) *withdrawalWorld {
	t.Helper()
	f := newL2Env(t, 8, 8, 4)
	f.bond(eth(10))
	f.endBlock()
	f.deposit(f.addrs[0], eth(3))
	f.advanceTo(4)
	f.deposit(common.HexToAddress("0xf2e5"), eth(2))
	forcer := f.addrs[7]
	if _, _, err := f.reg.Run(f.st, f.info(), forcer, bridge.Address, nil,
		bridge.PackForceWithdrawal(uint256.MustFromBig(forcedAmount)), 1_000_000); err != nil {
		t.Fatal(err)
	}
	f.advanceTo(5)
	w := &withdrawalWorld{l2env: f}
	for i, o := range []block.L1Number{1, 2, 3, 3, 3, 4, 4, 4, 4} {
		n := block.L2Number(i + 1)
		if n == 6 { // the first block with origin 4 applies the forced withdrawal first
			w.byNonce = append(w.byNonce, protocol.Withdrawal{Nonce: uint64(len(w.byNonce)), From: forcer, To: forcer, Amount: forcedAmount})
			w.l2Of = append(w.l2Of, n)
		}
		var txs types.Transactions
		for range withdrawalPlan[n] {
			nonce := uint64(len(w.byNonce))
			to, amount := l1Recipient(nonce), withdrawalAmount(nonce)
			tx, from := f.withdrawalTx(to, amount)
			txs = append(txs, tx)
			w.byNonce = append(w.byNonce, protocol.Withdrawal{Nonce: nonce, From: from, To: to, Amount: amount})
			w.l2Of = append(w.l2Of, n)
		}
		txs = append(txs, f.transfers(1)...)
		f.l2Block(o, txs)
	}
	// The L2 initiated exactly the planned withdrawals: the state
	// transition's list, stored beside each block, is the honest one.
	for n := block.L2Number(1); n <= 9; n++ {
		got, err := f.chain.Withdrawals(f.l2(n))
		if err != nil {
			t.Fatal(err)
		}
		if want := w.honestOf(n); !sameWithdrawals(got, want) {
			t.Fatalf("L2 block %d initiated %v, planned %v", n, got, want)
		}
	}
	for i, r := range scenarioBatches {
		w.honest[i] = f.claims(r[0], r[1])
	}
	w.bridgeStart = f.st.GetBalance(bridge.Address).Clone()
	return w
}

// honestOf returns the withdrawals the L2 initiated in block n.
func (w *withdrawalWorld) honestOf(n block.L2Number) []protocol.Withdrawal {
	var out []protocol.Withdrawal
	for i, m := range w.l2Of {
		if m == n {
			out = append(out, w.byNonce[i])
		}
	}
	return out
}

// honestBefore is the number of withdrawals the L2 initiated before block
// n: the nonces that stand after block n's output is deleted.
func (w *withdrawalWorld) honestBefore(n block.L2Number) uint64 {
	var k uint64
	for _, m := range w.l2Of {
		if m < n {
			k++
		}
	}
	return k
}

// withdrawalsTotal is the sum of the honest amounts of nonces [0, to).
func (w *withdrawalWorld) withdrawalsTotal(to uint64) *uint256.Int {
	total := new(big.Int)
	for _, wd := range w.byNonce[:to] {
		total.Add(total, wd.Amount)
	}
	return uint256.MustFromBig(total)
}

func sameWithdrawals(a, b []protocol.Withdrawal) bool {
	return slices.EqualFunc(a, b, func(x, y protocol.Withdrawal) bool {
		return x.Nonce == y.Nonce && x.From == y.From && x.To == y.To && x.Amount.Cmp(y.Amount) == 0
	})
}

// runHooks ends L1 blocks until the current block is past last and returns
// the WithdrawalPaid logs of their hooks.
func (w *withdrawalWorld) runHooks(last uint64) []bridge.WithdrawalPaid {
	w.t.Helper()
	var paid []bridge.WithdrawalPaid
	for w.block <= last {
		_, logs := w.hook()
		paid = append(paid, paidLogs(w.t, logs)...)
	}
	return paid
}

// checkHonestPayouts checks that paid pays, in order and once each, the
// honest withdrawals with nonces [from, to), and that the contract and the
// bridge agree: paidWithdrawals() is to, the bridge paid exactly the honest
// amounts of [0, to) since bridgeStart, each honest recipient holds its
// amount if paid and nothing otherwise, and the thief holds nothing.
func (w *withdrawalWorld) checkHonestPayouts(paid []bridge.WithdrawalPaid, from, to uint64) {
	w.t.Helper()
	t := w.t
	var nonces []uint64
	for _, p := range paid {
		nonces = append(nonces, p.Nonce)
	}
	if uint64(len(paid)) != to-from {
		t.Fatalf("WithdrawalPaid for nonces %v, want nonces [%d, %d) once each", nonces, from, to)
	}
	for i, p := range paid {
		want := w.byNonce[from+uint64(i)]
		if p.Nonce != want.Nonce || p.To != want.To || p.Amount.Cmp(want.Amount) != 0 {
			t.Fatalf("payout #%d is nonce %d to %s of %s wei, the L2 initiated nonce %d to %s of %s wei (payouts %v)",
				i, p.Nonce, p.To, p.Amount, want.Nonce, want.To, want.Amount, nonces)
		}
	}
	if got := ReadPaidWithdrawals(w.st); got != to {
		t.Fatalf("paidWithdrawals() = %d, want %d", got, to)
	}
	ret, err := w.view(PackPaidWithdrawals())
	if got, uerr := UnpackPaidWithdrawals(ret); err != nil || uerr != nil || got != to {
		t.Fatalf("paidWithdrawals view = %d (%v, %v), want %d", got, err, uerr, to)
	}
	want := new(uint256.Int).Sub(w.bridgeStart, w.withdrawalsTotal(to))
	if got := w.st.GetBalance(bridge.Address); !got.Eq(want) {
		t.Fatalf("the bridge holds %s wei, want %s (start %s minus the honest withdrawals [0, %d))", got, want, w.bridgeStart, to)
	}
	for _, wd := range w.byNonce {
		want := new(big.Int)
		if wd.Nonce < to {
			want = wd.Amount
		}
		if got := w.st.GetBalance(wd.To); got.ToBig().Cmp(want) != 0 {
			t.Fatalf("the recipient of withdrawal %d holds %s wei, want %s", wd.Nonce, got, want)
		}
	}
	if got := w.st.GetBalance(thief); !got.IsZero() {
		t.Fatalf("the thief holds %s wei", got)
	}
}

// TestWithdrawalListMutations: each mutation of a batch's withdrawal list
// (recipient, amount, sender, nonce, an extra, a missing, a duplicate, two
// swapped) of a real L2 chain whose blocks initiate real withdrawals is
// either (a) refused at submission (ErrRefused wrapping ErrWithdrawalNonce)
// with the contract's state unchanged, or (b) accepted — its roots those of
// the forged list — and then proven wrong by the challenger's real fraud
// proof of the first wrong block, which deletes the outputs from it on.
// Either way, once every window has closed, each withdrawal the L2 really
// initiated has been paid exactly once, to its recipient, of its amount,
// and nothing from the mutated list.
func TestWithdrawalListMutations(t *testing.T) {
	for _, m := range listMutations {
		t.Run(m.name, func(t *testing.T) { testListMutation(t, m) })
	}
}

func testListMutation(t *testing.T, m listMutation) {
	if (m.refused >= 0) == (m.wrong != 0) {
		t.Fatalf("a case is either refused (a batch index) or proven (its first wrong block): %+v", m)
	}
	w := newWithdrawalWorld(t)
	f := w.l2env
	var s [3]*protocol.Batch
	for i, r := range scenarioBatches {
		s[i] = f.claims(r[0], r[1])
	}
	m.mutate(f, &s)
	if m.renumber {
		renumber(&s)
	}
	var changed []int
	for i := range s {
		if expectedRoot(t, s[i]) != expectedRoot(t, w.honest[i]) {
			changed = append(changed, i)
		}
	}
	if len(changed) == 0 {
		t.Fatal("the mutation changed no batch")
	}
	if m.refused >= 0 {
		testRefusedMutation(t, w, &s, m, changed)
	} else {
		testProvenMutation(t, w, &s, m)
	}
}

// testRefusedMutation: the batches before the mutated one are accepted, the
// mutated one is refused and changes nothing, the honest one and the rest
// are accepted; no dispute; every withdrawal is paid once, honestly.
func testRefusedMutation(t *testing.T, w *withdrawalWorld, s *[3]*protocol.Batch, m listMutation, changed []int) {
	f := w.l2env
	if !slices.Equal(changed, []int{m.refused}) {
		t.Fatalf("the mutation changed batches %v, the case expects only batch %d to differ", changed, m.refused)
	}
	submitAt := [3]uint64{5, 5, 6} // the scenario's L1 blocks
	last := submitAt[2]
	for i := range s {
		f.advanceTo(submitAt[i])
		if i != m.refused {
			f.mustSubmit(w.honest[i])
			continue
		}
		before, count, head := f.root(), ReadBatchCount(f.st), f.head()
		_, _, err := f.submit(s[i])
		want := m.refusedBy
		if want == nil {
			want = ErrWithdrawalNonce
		}
		if !errors.Is(err, ErrRefused) || !errors.Is(err, want) {
			t.Fatalf("the mutated batch %d: submitBatch returned %v, want ErrRefused wrapping %v", i, err, want)
		}
		if f.root() != before || ReadBatchCount(f.st) != count || f.head() != head {
			t.Fatalf("the refused batch %d changed the state (batches %d -> %d, head %+v -> %+v)",
				i, count, ReadBatchCount(f.st), head, f.head())
		}
		if accepted, _, _, err := ReadWithdrawalCounts(f.st); err != nil || accepted != w.honestBefore(scenarioBatches[i][0]) {
			t.Fatalf("after the refusal %d withdrawals are accepted (%v), want %d", accepted, err, w.honestBefore(scenarioBatches[i][0]))
		}
		f.mustSubmit(w.honest[i]) // the honest batch goes in its place
	}
	paid := w.runHooks(last + window)
	w.checkHonestPayouts(paid, 0, uint64(len(w.byNonce)))
	if n := ReadDisputeCount(f.st); n != 0 {
		t.Fatalf("%d disputes", n)
	}
	if ReadFinalizedBatchCount(f.st) != 3 || ReadBatchCount(f.st) != 3 {
		t.Fatalf("%d of %d batches final, want 3 of 3", ReadFinalizedBatchCount(f.st), ReadBatchCount(f.st))
	}
	w.checkNoMorePayouts()
}

// testProvenMutation: the mutated batches are accepted with the forged
// list's roots and the forged withdrawals stored; the challenger's proof of
// the first wrong block wins on the withdrawals root alone (state root and
// block hash as posted) and deletes the outputs from that block on, with
// their withdrawals; when the original batches' window has closed, only
// the standing withdrawals are paid; the honest blocks posted again are
// paid once each.
func testProvenMutation(t *testing.T, w *withdrawalWorld, s *[3]*protocol.Batch, m listMutation) {
	f := w.l2env
	f.mustSubmit(s[0])
	f.mustSubmit(s[1])
	f.endBlock()
	f.mustSubmit(s[2])
	f.endBlock()
	origLast := uint64(6) // the L1 block of the last original batch

	// The forged lists are accepted with roots that match them.
	for i := range s {
		rec, err := ReadBatch(f.st, uint64(i))
		if err != nil {
			t.Fatal(err)
		}
		ws := allWithdrawals(s[i])
		wroot := common.Hash{}
		if len(ws) > 0 {
			if wroot, err = protocol.WithdrawalsRoot(ws); err != nil {
				t.Fatal(err)
			}
		}
		if rec.Root != expectedRoot(t, s[i]) || rec.WithdrawalsRoot != wroot || rec.WithdrawalCount != uint64(len(ws)) {
			t.Fatalf("batch %d stored %+v; the forged list's Merkle root is %s, withdrawals root %s, count %d",
				i, rec, expectedRoot(t, s[i]), wroot, len(ws))
		}
		for n := s[i].Blocks[0].Number; n <= s[i].Blocks[len(s[i].Blocks)-1].Number; n++ {
			for _, wd := range blockOf(t, s[i], n).Withdrawals {
				if got := f.status(wd.Nonce); got.Status != WithdrawalAccepted || got.L2Block != n || got.To != wd.To ||
					got.From != wd.From || got.Amount.Cmp(wd.Amount) != 0 {
					t.Fatalf("posted withdrawal %+v of L2 block %d is stored as %+v", wd, n, got)
				}
			}
		}
	}
	// Block wrong is the first wrong one: the block before it (unless it
	// is the L2 genesis) is proven correct (a valid proof of it fails).
	n, bi := m.wrong, batchOf(m.wrong)
	parentBatch := func(n block.L2Number) *protocol.Batch {
		if n == 1 {
			return nil
		}
		return s[batchOf(n-1)]
	}
	if n > 1 {
		prev := encodeProof(t, f.mustProof(n-1, s[batchOf(n-1)], parentBatch(n-1)))
		if err := f.simulate(n-1, prev); !errors.Is(err, ErrOutputCorrect) {
			t.Fatalf("a proof of L2 block %d, before the first wrong one: %v, want ErrOutputCorrect", n-1, err)
		}
	}

	// The challenger's proof, from the honest chain, wins.
	proof := encodeProof(t, f.mustProof(n, s[bi], parentBatch(n)))
	logsBefore := len(f.st.Logs())
	if _, _, err := f.challenge(n, proof); err != nil {
		t.Fatalf("challenge of L2 block %d: %v", n, err)
	}
	var challenged []Challenged
	for _, lg := range f.st.Logs()[logsBefore:] {
		if len(lg.Topics) > 0 && lg.Topics[0] == ChallengedTopic() {
			ev, err := ParseChallenged(lg)
			if err != nil {
				t.Fatal(err)
			}
			challenged = append(challenged, ev)
		}
	}
	if len(challenged) != 1 || challenged[0].L2Block != n || challenged[0].BatchIndex != uint64(bi) {
		t.Fatalf("Challenged logs %+v, want one for L2 block %d of batch %d", challenged, n, bi)
	}
	forged, err := protocol.WithdrawalsRoot(blockOf(t, s[bi], n).Withdrawals)
	if err != nil {
		t.Fatal(err)
	}
	honestRoot, err := protocol.WithdrawalsRoot(w.honestOf(n))
	if err != nil {
		t.Fatal(err)
	}
	d, err := ReadDispute(f.st, 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.L2Block != n || d.Posted.WithdrawalsRoot != forged || d.Computed.WithdrawalsRoot != honestRoot ||
		d.Posted.StateRoot != d.Computed.StateRoot || d.Posted.BlockHash != d.Computed.BlockHash ||
		d.Posted.Root != challenged[0].PostedOutput || d.Computed.Root != challenged[0].ComputedOutput {
		t.Fatalf("dispute %+v: want L2 block %d, posted withdrawals root %s (the forged list), computed %s (the L2's), "+
			"state root and block hash as posted", d, n, forged, honestRoot)
	}
	// The outputs from n on, and their withdrawals, are gone.
	k := w.honestBefore(n)
	if accepted, _, _, err := ReadWithdrawalCounts(f.st); err != nil || accepted != k {
		t.Fatalf("after the challenge %d withdrawals are accepted (%v), want %d (those before L2 block %d)", accepted, err, k, n)
	}
	for nonce := k; nonce < k+8; nonce++ {
		if st := f.status(nonce).Status; st != WithdrawalUnknown {
			t.Fatalf("withdrawal %d after the challenge is %s, want unknown", nonce, st)
		}
	}
	for m := n; m <= 9; m++ {
		if _, err := ReadBatchOfBlock(f.st, m); !errors.Is(err, ErrNoBatch) {
			t.Fatalf("L2 block %d is still posted after the challenge: %v", m, err)
		}
	}
	if h := f.head(); h.Number != n-1 || h.Hash != f.l2(n-1).Hash() {
		t.Fatalf("last accepted %+v after the challenge, want L2 block %d", h, n-1)
	}

	// The honest blocks from n are posted again (L1 block 8: their window
	// closes after the original batches').
	f.bond(eth(10))
	f.endBlock()
	reposted := f.block
	f.mustSubmit(f.claims(n, 9))

	// The original batches' window closes: only the withdrawals before n
	// are paid, the cursor stops before n's, the re-posted ones wait.
	paid := w.runHooks(origLast + window)
	w.checkHonestPayouts(paid, 0, k)
	if k < uint64(len(w.byNonce)) {
		want := w.byNonce[k]
		if got := f.status(k); got.Status != WithdrawalAccepted || got.To != want.To || got.Amount.Cmp(want.Amount) != 0 {
			t.Fatalf("withdrawal %d when the original window closed: %+v, want the honest re-post's, accepted", k, got)
		}
	}
	// The re-post's window closes: the rest, honestly, once each.
	paid = w.runHooks(reposted + window)
	w.checkHonestPayouts(paid, k, uint64(len(w.byNonce)))
	if got, _ := ReadFinalizedBlock(f.st); got != 9 {
		t.Fatalf("finalized L2 block %d, want 9", got)
	}
	w.checkNoMorePayouts()
}

// checkNoMorePayouts: every honest withdrawal is paid and the next blocks
// pay nothing; no nonce past the L2's is known.
func (w *withdrawalWorld) checkNoMorePayouts() {
	w.t.Helper()
	total := uint64(len(w.byNonce))
	for nonce := range total {
		if st := w.status(nonce).Status; st != WithdrawalPaid {
			w.t.Fatalf("withdrawal %d is %s, want paid", nonce, st)
		}
	}
	if st := w.status(total).Status; st != WithdrawalUnknown {
		w.t.Fatalf("withdrawal %d, which the L2 never initiated, is %s", total, st)
	}
	if paid := w.runHooks(w.block + 2); len(paid) != 0 {
		w.t.Fatalf("paid again: %+v", paid)
	}
}

// TestUnprovenForgedListIsPaid is the control of TestWithdrawalListMutations:
// the same forged recipient, accepted and not challenged, is paid when its
// batch finalizes (the contract trusts an unchallenged output), so the
// checks above would see a payment from a mutated list.
func TestUnprovenForgedListIsPaid(t *testing.T) {
	w := newWithdrawalWorld(t)
	f := w.l2env
	var s [3]*protocol.Batch
	for i, r := range scenarioBatches {
		s[i] = f.claims(r[0], r[1])
	}
	stolen := (*wds(&s, 6))[1]
	(*wds(&s, 6))[1].To = thief
	f.mustSubmit(s[0])
	f.mustSubmit(s[1])
	f.endBlock()
	f.mustSubmit(s[2])
	f.endBlock()
	paid := w.runHooks(6 + window)
	var toThief []bridge.WithdrawalPaid
	for _, p := range paid {
		if p.To == thief {
			toThief = append(toThief, p)
		}
	}
	if len(paid) != len(w.byNonce) || len(toThief) != 1 || toThief[0].Nonce != stolen.Nonce || toThief[0].Amount.Cmp(stolen.Amount) != 0 ||
		f.st.GetBalance(thief).ToBig().Cmp(stolen.Amount) != 0 || f.st.GetBalance(stolen.To).Sign() != 0 {
		t.Fatalf("unchallenged: paid %+v; the thief holds %s, the honest recipient %s; want withdrawal %d (%s wei) paid to the thief",
			paid, f.st.GetBalance(thief), f.st.GetBalance(stolen.To), stolen.Nonce, stolen.Amount)
	}
}
