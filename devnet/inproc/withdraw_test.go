package inproc_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// TestWithdrawalPaidExactlyAfterTheWindow (issue 13): a user sends one L2
// withdrawal to itself and no L1 transaction; the L1 pays it once, by an
// end-of-block hook W to W+2 L1 blocks after its batch's acceptance and
// not one block earlier (accepted up to acceptance + W − 1, not paid at
// the block before the payout); the user's L1 balance rises by exactly
// the amount in the payout block and its L1 nonce does not move.
func TestWithdrawalPaidExactlyAfterTheWindow(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a rollup and waits out the challenge window")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r := startWith(t, ctx, inproc.FastOptions())
	if err := r.StartBatcher(inproc.BadOutput{}); err != nil {
		t.Fatal(err)
	}
	user := account(t, ctx, r, 1, false)
	l1Nonce, err := r.L1.NonceAt(ctx, user.Address, nil)
	if err != nil {
		t.Fatal(err)
	}
	amount := new(big.Int).Add(milliEther(250), big.NewInt(12_345))
	w := withdrawTo(t, ctx, user, user.Address, amount)

	p := waitPaid(t, ctx, r, w.Nonce, 30*time.Second)
	if p.To != user.Address || p.Amount.Cmp(amount) != 0 {
		t.Fatalf("withdrawal %d paid %s wei to %s; want %s to %s", w.Nonce, p.Amount, p.To, amount, user.Address)
	}
	a := checkPaidInWindow(t, ctx, r, w, p.L1Block)
	if got := balanceDelta(t, ctx, r, user.Address, p.L1Block); got.Cmp(amount) != 0 {
		t.Fatalf("the user's L1 balance changed by %s in the payout block %d, want %s", got, p.L1Block, amount)
	}
	// Paid once: two more blocks show no second payout.
	waitfor.Until(t, 10*time.Second, func() error {
		if h := r.L1Head(); h < p.L1Block+2 {
			return fmt.Errorf("L1 head %d, want %d", h, p.L1Block+2)
		}
		return nil
	})
	paid, _ := paidByNonce(t, ctx, r)
	if len(paid[w.Nonce]) != 1 {
		t.Fatalf("withdrawal %d paid %d times: %+v", w.Nonce, len(paid[w.Nonce]), paid[w.Nonce])
	}
	if n, err := r.L1.NonceAt(ctx, user.Address, nil); err != nil || n != l1Nonce {
		t.Fatalf("the user's L1 nonce is %d (%v), was %d: it sent no L1 transaction", n, err, l1Nonce)
	}
	if _, err := r.CheckConservation(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("withdrawal %d (L2 block %d): batch accepted in L1 block %d, paid in L1 block %d (W = %d); %s in all",
		w.Nonce, w.L2Block, a, p.L1Block, r.Config.ChallengeWindow, time.Since(start).Round(time.Millisecond))
}

// TestWithdrawalsPaidOnceAcrossARollback (issue 13, "Replay: after a
// rollback and re-post, each withdrawal is paid exactly once"): the
// sequencer will post a wrong output (a flipped state-root byte) for L2
// block N, a few seconds ahead. L2 withdrawals go in before N (one at a
// time, paid before N is even produced), in and around N (a stream, one
// every 20 ms from N−2 until N+1 exists, so N holds some) and after N;
// the challenger holds its proof until a later batch is accepted, then
// wins, which deletes the outputs from N on; the sequencer re-posts.
//
//   - Before the rollback, only withdrawals before N were paid (every
//     payout up to the challenge's L1 block has a nonce below N's
//     first), and those of N on that the L1 held were accepted, not
//     final, with the L2's recipients and amounts; the challenge makes
//     them unknown until re-posted.
//   - Once the chain finalizes, every withdrawal the final chain initiated
//     (its WithdrawalInitiated logs) is paid exactly once, to its
//     recipient, with its amount; the bridge's totalWithdrawn is their
//     sum and each recipient's L1 balance rose by exactly its withdrawals.
func TestWithdrawalsPaidOnceAcrossARollback(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a rollup, disputes an output and waits out the challenge window")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	o := inproc.FastOptions()
	o.HoldChallenge = true
	r := startWith(t, ctx, o)
	users := make([]*inproc.Account, 4)
	for i := range users {
		users[i] = account(t, ctx, r, i, false)
	}
	recipients := []common.Address{inproc.Recipient(500), inproc.Recipient(501), inproc.Recipient(502)}
	sent := 0
	sign := func() (*inproc.Account, *types.Transaction) {
		sent++
		u := users[sent%len(users)]
		tx, err := u.Withdraw(recipients[sent%len(recipients)], new(big.Int).Add(milliEther(10), big.NewInt(int64(sent))))
		if err != nil {
			t.Fatal(err)
		}
		return u, tx
	}
	l2Head := func() block.L2Number { return block.L2Number(r.SequencerChain.Head().Number()) }

	// N leaves time for the withdrawals before it to be posted, to
	// outlive the window and to be paid (L1 and L2 blocks are both 250 ms).
	w := block.L2Number(r.Config.ChallengeWindow)
	bad := inproc.BadOutput{At: l2Head() + w + 16, Kind: sequencer.BadStateRootByte}
	if err := r.StartBatcher(bad); err != nil {
		t.Fatal(err)
	}

	// Before N: one at a time, paid before N is produced.
	var before inproc.Initiated
	for range 3 {
		u, tx := sign()
		before = parseInitiated(t, sendAndWait(t, ctx, u, tx, nil))
	}
	waitPaid(t, ctx, r, before.Nonce, 20*time.Second)
	if h := l2Head(); h+2 >= bad.At {
		t.Fatalf("the withdrawals before L2 block %d were paid only once the L2 reached %d", bad.At, h)
	}

	// Around N: a withdrawal every tick from N−2 until N+1 exists.
	waitfor.Until(t, 20*time.Second, func() error {
		if h := l2Head(); h+2 < bad.At {
			return fmt.Errorf("L2 head %d, want %d", h, bad.At-2)
		}
		return nil
	})
	var stream []*types.Transaction
	tick := time.NewTicker(waitfor.Poll)
	for l2Head() <= bad.At && len(stream) < 100 {
		u, tx := sign()
		if err := u.Send(ctx, tx); err != nil {
			t.Fatal(err)
		}
		stream = append(stream, tx)
		<-tick.C
	}
	tick.Stop()
	for _, tx := range stream {
		if _, err := users[0].Receipt(ctx, tx.Hash(), 30*time.Second); err != nil { // any L2 account reads receipts
			t.Fatal(err)
		}
	}
	// After N: one at a time, into the later batches the challenge deletes.
	for range 3 {
		u, tx := sign()
		sendAndWait(t, ctx, u, tx, nil)
	}

	d, err := r.WaitDispute(ctx, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d.L2Block != bad.At {
		t.Fatalf("the challenge proved L2 block %d wrong, the switch falsified %d", d.L2Block, bad.At)
	}
	head := uint64(l2Head())
	initiated, err := r.InitiatedWithdrawals(ctx, 0, head)
	if err != nil {
		t.Fatal(err)
	}
	if len(initiated) != sent {
		t.Fatalf("the L2 initiated %d withdrawals, the test sent %d", len(initiated), sent)
	}
	firstBad, inN := uint64(len(initiated)), 0
	for i, w := range initiated {
		if w.Nonce != uint64(i) {
			t.Fatalf("withdrawal #%d of the L2 has nonce %d", i, w.Nonce)
		}
		if w.L2Block >= uint64(d.L2Block) && firstBad == uint64(len(initiated)) {
			firstBad = w.Nonce
		}
		if w.L2Block == uint64(d.L2Block) {
			inN++
		}
	}
	if inN == 0 {
		t.Fatalf("no withdrawal in the disputed L2 block %d (the stream of %d went into blocks %d to %d)",
			d.L2Block, len(stream), initiated[firstBad-1].L2Block, initiated[firstBad].L2Block)
	}

	// Before the rollback: payouts of withdrawals before N only; those of
	// N on were accepted, not final, as the L2 has them.
	pre := d.L1Block - 1
	paidPre, err := r.PaidWithdrawals(ctx, &pre)
	if err != nil {
		t.Fatal(err)
	}
	if paidPre > firstBad || paidPre <= before.Nonce {
		t.Fatalf("before the challenge (L1 block %d) %d withdrawals were paid; want at least the %d before the stream and none of L2 block %d on (nonce %d on)",
			pre, paidPre, before.Nonce+1, d.L2Block, firstBad)
	}
	acceptedPre := firstBad
	for n := firstBad; n < uint64(len(initiated)); n++ {
		st, err := r.WithdrawalStatus(ctx, n, &pre)
		if err != nil {
			t.Fatal(err)
		}
		switch st.Status {
		case contract.WithdrawalUnknown: // not posted before the challenge
		case contract.WithdrawalAccepted:
			w := initiated[n]
			if st.To != w.To || st.Amount.Cmp(w.Amount) != 0 || uint64(st.L2Block) != w.L2Block {
				t.Fatalf("withdrawal %d as accepted before the challenge: %+v in L2 block %d; the L2 has %+v in %d", n, st.Withdrawal, st.L2Block, w.Withdrawal, w.L2Block)
			}
			acceptedPre = n + 1
		default:
			t.Fatalf("withdrawal %d (L2 block %d, at or after the disputed %d) was %s before the challenge", n, initiated[n].L2Block, d.L2Block, st.Status)
		}
	}
	if acceptedPre <= firstBad {
		t.Fatalf("before the challenge no withdrawal of L2 block %d or later was accepted", d.L2Block)
	}
	for n := firstBad; n < acceptedPre; n++ {
		if st, err := r.WithdrawalStatus(ctx, n, &d.L1Block); err != nil || st.Status != contract.WithdrawalUnknown {
			t.Fatalf("withdrawal %d after the challenge (L1 block %d): %s (%v); want unknown until re-posted", n, d.L1Block, st.Status, err)
		}
	}
	early, err := r.WithdrawalPaidLogs(ctx, 0, d.L1Block)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range early {
		if p.Nonce >= firstBad {
			t.Fatalf("withdrawal %d (of the deleted outputs) was paid in L1 block %d, before the rollback in %d", p.Nonce, p.L1Block, d.L1Block)
		}
	}

	// After the re-post: every withdrawal of the final chain paid once.
	if _, err := r.WaitWithdrawalsPaid(ctx, uint64(len(initiated)), 45*time.Second); err != nil {
		t.Fatal(err)
	}
	final, err := r.InitiatedWithdrawals(ctx, 0, head)
	if err != nil {
		t.Fatal(err)
	}
	if len(final) != len(initiated) {
		t.Fatalf("the final chain initiated %d withdrawals up to L2 block %d, %d before", len(final), head, len(initiated))
	}
	for i := range final {
		if final[i].Withdrawal.To != initiated[i].To || final[i].Amount.Cmp(initiated[i].Amount) != 0 || final[i].L2BlockHash != initiated[i].L2BlockHash {
			t.Fatalf("withdrawal %d changed: %+v, then %+v", i, initiated[i], final[i])
		}
	}
	checkPaidOnce(t, ctx, r, final)
	if _, err := r.CheckConservation(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d withdrawals: %d before the disputed L2 block %d (%d paid before the challenge in L1 block %d), %d in it, %d of it and later deleted and re-posted; each paid once; %s in all",
		len(final), firstBad, d.L2Block, len(early), d.L1Block, inN, acceptedPre-firstBad, time.Since(start).Round(time.Millisecond))
}

// checkPaidOnce checks that every withdrawal of list was paid exactly
// once, as initiated, that nothing else was paid, that the bridge's
// totalWithdrawn is their sum and that each recipient's L1 balance is its
// withdrawals' sum (the recipients hold nothing else).
func checkPaidOnce(t *testing.T, ctx context.Context, r *inproc.Rollup, list []inproc.Initiated) {
	t.Helper()
	paid, at := paidByNonce(t, ctx, r)
	sum := new(big.Int)
	byRecipient := map[common.Address]*big.Int{}
	for _, w := range list {
		ps := paid[w.Nonce]
		if len(ps) != 1 || ps[0].To != w.To || ps[0].Amount.Cmp(w.Amount) != 0 {
			t.Fatalf("withdrawal %d (%s wei to %s, L2 block %d): payouts %+v; want exactly one", w.Nonce, w.Amount, w.To, w.L2Block, ps)
		}
		sum.Add(sum, w.Amount)
		if byRecipient[w.To] == nil {
			byRecipient[w.To] = new(big.Int)
		}
		byRecipient[w.To].Add(byRecipient[w.To], w.Amount)
	}
	if len(paid) != len(list) {
		t.Fatalf("%d nonces paid, the L2 initiated %d", len(paid), len(list))
	}
	_, withdrawn, err := r.BridgeTotals(ctx, &at)
	if err != nil {
		t.Fatal(err)
	}
	if withdrawn.Cmp(sum) != 0 {
		t.Fatalf("the bridge's totalWithdrawn is %s at L1 block %d, the withdrawals sum to %s", withdrawn, at, sum)
	}
	for to, want := range byRecipient {
		if got, err := r.L1Balance(ctx, to, &at); err != nil || got.Cmp(want) != 0 {
			t.Fatalf("recipient %s holds %v wei on L1 (%v), its withdrawals sum to %s", to, got, err, want)
		}
	}
}

// TestThousandDepositsAndWithdrawals (issue 13, "1,000 deposits and
// withdrawals interleaved with transfers: conservation holds at every
// block; every deposit is credited once and every withdrawal paid
// once"): in rounds, one per L1 block, five L1 accounts deposit (500 in
// all, distinct amounts, to four L2 accounts) while five L2 accounts
// withdraw (500 in all, distinct amounts, to four fresh L1 accounts) and
// transfer (200 in all), each burst sent with explicit nonces in JSON-RPC
// batches. Once every withdrawal is paid:
//
//   - every Deposit log is applied in exactly one L2 block, as logged
//     (the L2 blocks' operations, through CheckConservation) and
//     rollup_depositStatus says so with the block that holds it;
//   - the L2 initiated exactly the 500 withdrawals sent, nonces 0–499, and
//     the L1 paid each exactly once, as initiated (checkPaidOnce);
//   - CheckConservation: the bridge's balance equals the L2 supply plus
//     the unpaid withdrawals after every L2 block (so after every L1 block
//     up to the L2 head's origin), and genesis + deposited − withdrawn
//     after every L1 block up to the L1 head;
//   - the verifier, deriving the L2 from the L1, agrees with every output.
func TestThousandDepositsAndWithdrawals(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 bridge operations on a rollup of its own")
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	r := startWith(t, ctx, inproc.FastOptions())
	if err := r.StartBatcher(inproc.BadOutput{}); err != nil {
		t.Fatal(err)
	}
	const (
		rounds              = 10
		depositors          = 5 // Users[0:5] on L1
		withdrawers         = 5 // Users[3:8] on L2
		depositsPerRound    = 10
		withdrawalsPerRound = 10
		transfersPerRound   = 4
		totalDeposits       = rounds * depositors * depositsPerRound
		totalWithdrawals    = rounds * withdrawers * withdrawalsPerRound
		firstWithdrawer     = 3
		depositRecipients   = 4
		withdrawRecipients  = 4
	)
	l1s := make([]*inproc.Account, depositors)
	for i := range l1s {
		l1s[i] = account(t, ctx, r, i, true)
	}
	l2s := make([]*inproc.Account, withdrawers)
	for i := range l2s {
		l2s[i] = account(t, ctx, r, firstWithdrawer+i, false)
	}
	l2To := []common.Address{r.Users[5].Address, r.Users[6].Address, inproc.Recipient(900), inproc.Recipient(901)}[:depositRecipients]
	l1To := make([]common.Address, withdrawRecipients)
	for i := range l1To {
		l1To[i] = inproc.Recipient(800 + i)
	}
	transferTo := []common.Address{r.Users[0].Address, inproc.Recipient(900), inproc.Recipient(902)}

	type op struct {
		from, to common.Address
		amount   string
	}
	wantDeposits := map[op]int{}
	wantWithdrawals := map[op]int{}
	nd, nw, nt := 0, 0, 0
	for round := range rounds {
		h1, h2 := r.L1Head(), r.SequencerChain.Head().Number()
		var l1txs, l2txs []*types.Transaction
		for _, a := range l1s {
			for range depositsPerRound {
				to, amount := l2To[nd%len(l2To)], new(big.Int).Add(milliEther(1), big.NewInt(int64(nd)))
				tx, err := a.Deposit(to, amount)
				if err != nil {
					t.Fatal(err)
				}
				l1txs = append(l1txs, tx)
				wantDeposits[op{a.Address, to, amount.String()}]++
				nd++
			}
		}
		for _, a := range l2s {
			for k := range withdrawalsPerRound + transfersPerRound {
				var tx *types.Transaction
				var err error
				if k%3 == 2 && k/3 < transfersPerRound { // interleaved: w, w, t, w, w, t, ...
					tx, err = a.Transfer(transferTo[nt%len(transferTo)], big.NewInt(1e14+int64(nt)))
					nt++
				} else {
					to, amount := l1To[nw%len(l1To)], new(big.Int).Add(milliEther(2), big.NewInt(int64(nw)))
					tx, err = a.Withdraw(to, amount)
					wantWithdrawals[op{a.Address, to, amount.String()}]++
					nw++
				}
				if err != nil {
					t.Fatal(err)
				}
				l2txs = append(l2txs, tx)
			}
		}
		if err := inproc.SendTransactions(ctx, r.L1.RPC(), l1txs); err != nil {
			t.Fatalf("round %d: L1: %v", round, err)
		}
		if err := inproc.SendTransactions(ctx, r.L2.Client(), l2txs); err != nil {
			t.Fatalf("round %d: L2: %v", round, err)
		}
		// The next round in the next L1 and L2 blocks.
		waitfor.Until(t, 10*time.Second, func() error {
			if err := r.Err(); err != nil {
				return err
			}
			if a, b := r.L1Head(), r.SequencerChain.Head().Number(); a <= h1 || b <= h2 {
				return fmt.Errorf("round %d: L1 head %d, L2 head %d; want past %d and %d", round, a, b, h1, h2)
			}
			return nil
		})
	}
	if nd != totalDeposits || nw != totalWithdrawals {
		t.Fatalf("sent %d deposits and %d withdrawals, want %d and %d", nd, nw, totalDeposits, totalWithdrawals)
	}
	for _, a := range append(append([]*inproc.Account{}, l1s...), l2s...) {
		if err := a.WaitIncluded(ctx, 20*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	sent := time.Since(start)

	// Every withdrawal initiated, as sent, then paid once.
	l2Head, err := r.L2.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	initiated, err := r.InitiatedWithdrawals(ctx, 0, l2Head)
	if err != nil {
		t.Fatal(err)
	}
	if len(initiated) != totalWithdrawals {
		t.Fatalf("the L2 initiated %d withdrawals, the test sent %d", len(initiated), totalWithdrawals)
	}
	for i, w := range initiated {
		k := op{w.From, w.To, w.Amount.String()}
		if w.Nonce != uint64(i) || wantWithdrawals[k] != 1 || w.TxHash == (common.Hash{}) {
			t.Fatalf("withdrawal #%d of the L2: %+v (sent %d like it)", i, w, wantWithdrawals[k])
		}
		wantWithdrawals[k]--
	}
	paidAt, err := r.WaitWithdrawalsPaid(ctx, totalWithdrawals, 45*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	paidIn := time.Since(start)
	checkPaidOnce(t, ctx, r, initiated)

	// Every deposit credited once, in the block rollup_depositStatus names.
	logged, err := r.OperationLogs(ctx, 0, paidAt)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != totalDeposits {
		t.Fatalf("the bridge logged %d operations, the test sent %d deposits", len(logged), totalDeposits)
	}
	blocks := map[uint64]bool{}
	for _, d := range logged {
		k := op{d.From, d.To, d.Amount.String()}
		if d.Kind != block.OpDeposit || wantDeposits[k] != 1 {
			t.Fatalf("L1 operation %+v (sent %d like it)", d, wantDeposits[k])
		}
		wantDeposits[k]--
		st, err := r.DepositStatus(ctx, d.L1Block, d.Index)
		if err != nil {
			t.Fatal(err)
		}
		if st.Status != sequencer.StatusApplied || st.L2Block == nil || *st.To != d.To || st.Amount.ToInt().Cmp(d.Amount) != 0 {
			t.Fatalf("deposit %d/%d: rollup_depositStatus %+v", d.L1Block, d.Index, st)
		}
		b, err := r.SequencerChain.BlockByNumber(block.L2Number(*st.L2Block))
		if err != nil {
			t.Fatal(err)
		}
		if b.Hash() != *st.L2BlockHash || b.L2.Origin.Number != d.L1Block {
			t.Fatalf("deposit %d/%d: rollup_depositStatus names L2 block %d (%s), which has origin %d", d.L1Block, d.Index, *st.L2Block, *st.L2BlockHash, b.L2.Origin.Number)
		}
		blocks[uint64(*st.L2Block)] = true
	}

	// Conservation at every block; the verifier agrees.
	c, err := r.CheckConservation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.Operations != totalDeposits || c.Withdrawals != totalWithdrawals {
		t.Fatalf("conservation checked %d operations and %d withdrawals; want %d and %d", c.Operations, c.Withdrawals, totalDeposits, totalWithdrawals)
	}
	if st := r.Verifier.Status(); st.FirstDisagreement != nil || len(st.Open) > 0 || st.Checked == 0 {
		t.Fatalf("the verifier: %+v", st)
	}
	t.Logf("%d deposits (in %d L2 blocks), %d withdrawals, %d transfers sent in %s; all paid by L1 block %d at %s; conservation held at L2 blocks 0-%d (origin %d) and L1 blocks 0-%d over %d L2 accounts; %s in all",
		nd, len(blocks), nw, nt, sent.Round(time.Millisecond), paidAt, paidIn.Round(time.Millisecond), c.L2Head, c.Origin, c.L1Head, c.Addresses,
		time.Since(start).Round(time.Millisecond))
}
