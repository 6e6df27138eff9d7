package l2_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/dispute"
	"github.com/bilayer/bilayer/wallet"
)

// badOutputAt is the L2 block whose output the sequencer of
// TestFraudProofWins posts wrong (once): small, so the test is fast.
// The bad output is posted a few L1 blocks after the sequencer starts;
// the challenge window, fraudChallengeWindow, leaves the late-started
// challenger time to prove it.
const badOutputAt = 12

// fraudChallengeWindow is the challenge window, in L1 blocks, of
// TestFraudProofWins's cluster: the devnet's, longer than
// cluster.RollupWindow.
const fraudChallengeWindow = 30

// TestFraudProofWins: a cluster of its own (a validator, a full node) whose
// sequencer posts a wrong state root for L2 block badOutputAt once, and
// whose challenger holds development account 9's key, under a bounded
// stream of L2 transfers (the challenger starts once three have
// receipts). The challenger proves the output wrong: the
// contract records one dispute, naming that block and the challenger, with
// a posted state root that differs from the sequencer's block and a
// computed one that equals it; the challenger logs "Fraud proof won". The
// contract's balance falls by the whole bond in the dispute's L1 block and
// the challenger's rises by more than 0.4 × bond (half of it minus gas):
// the other half is burned. `wallet dispute show` against the sequencer's
// L2 RPC explains it (the bad block, stateRoot as the field that differs,
// the bond split, the L1 transactions), and the challenger's
// rollup_dispute gives the same report for the challenge's L1
// transaction. The sequencer bonds again (bondOf is the
// genesis bond) and posts again: every transfer that had a receipt before
// the dispute was seen has a successful one afterwards (same block or
// not), the sequencer's safe head and the contract's last accepted block
// pass the disputed block and the transfers' blocks, the sequencer's
// output of the disputed block is the correct one, the two chains agree
// block by block, and the challenger agrees again: firstDisagreement null,
// more than badOutputAt outputs agreed, checked past the disputed block.
func TestFraudProofWins(t *testing.T) {
	skipShort(t)
	start := time.Now()
	// Build the challenger before the L1 blocks start counting down its
	// window (New builds the validator and the sequencer).
	if _, err := cluster.Binary("challenger"); err != nil {
		t.Fatal(err)
	}
	walletBin, err := cluster.Binary("wallet") // explains the dispute at the end
	if err != nil {
		t.Fatal(err)
	}
	chDev := devAccount(t, devnet.ChallengerAccount)
	c := cluster.New(t, cluster.Options{Validators: 1, FullNodes: 1, BlockTime: l1BlockTime,
		Sequencer: true, SequencerArgs: []string{"--dev.bad-output-at", fmt.Sprint(badOutputAt)},
		ChallengerKey: chDev.Key,
		// The devnet's window: room for the challenger, started after the
		// first transfers, to prove the output on a loaded machine.
		EditGenesis: func(g *genesis.Genesis) { g.Rollup.ChallengeWindow = fraudChallengeWindow }})
	r := c.Genesis.Rollup
	e := &env{c: c, l1: c.Node(0), seq: c.Sequencer(),
		l1Signer: types.LatestSignerForChainID(new(big.Int).SetUint64(c.Genesis.ChainID)),
		l2Signer: types.LatestSignerForChainID(new(big.Int).SetUint64(r.L2ChainID))}
	bond := r.SequencerBond.Big()
	seqAddr := crypto.PubkeyToAddress(c.SequencerKey.PublicKey)
	ctx := testCtx(t, 2*time.Minute)

	// A bounded stream of transfers, one at a time, through the dispute;
	// the challenger starts once some have receipts, so that the dispute
	// surely comes after them.
	p := &pauseStream{}
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	done := make(chan struct{})
	go func() { defer close(done); p.run(streamCtx, e, devAccount(t, 3)) }()
	cluster.Await(t, 30*time.Second, func() error {
		p.mu.Lock()
		n, err := len(p.confirmed), p.err
		p.mu.Unlock()
		if err != nil {
			t.Fatalf("transfer stream: %v", err)
		}
		if n < 3 {
			return fmt.Errorf("%d transfers confirmed, want 3 before the challenger starts", n)
		}
		return nil
	})
	ch, err := c.StartChallenger()
	if err != nil {
		t.Fatal(err)
	}
	e.ch = ch
	h0, err := e.l1.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sequencer up, then the challenger in %s (L1 head %d)", time.Since(start).Round(time.Millisecond), h0)

	// The challenger wins: one dispute, naming the bad block and itself.
	// preRoot is the sequencer's state root of the disputed block, read
	// before the dispute (the sequencer may re-sequence from it after).
	var d contract.Dispute
	var preRoot common.Hash
	cluster.Await(t, 60*time.Second, func() error {
		h, err := e.l2().HeaderByNumber(ctx, big64(badOutputAt))
		if err != nil && !isNotFound(err) {
			return err
		}
		ret, err := e.rollupView(ctx, contract.PackDisputeCount(), nil)
		if err != nil {
			return err
		}
		n, err := contract.UnpackDisputeCount(ret)
		if err != nil {
			return err
		}
		if n == 0 {
			if h != nil {
				preRoot = h.Root
			}
			la, err := e.lastAccepted(ctx, nil)
			return fmt.Errorf("no dispute yet (the contract accepted up to L2 block %d, err %v)", la.Number, err)
		}
		if n != 1 {
			t.Fatalf("disputeCount = %d, want 1", n)
		}
		if ret, err = e.rollupView(ctx, contract.PackDispute(0), nil); err != nil {
			return err
		}
		d, err = contract.UnpackDispute(0, ret)
		return err
	})
	before := p.stopAfter(3)
	t.Logf("dispute at %s: L2 block %d, batch %d, L1 block %d, reward %s, burned %s; %d transfers confirmed before it was seen",
		time.Since(start).Round(time.Millisecond), d.L2Block, d.BatchIndex, d.L1Block, d.Reward, d.Burned, len(before))
	if uint64(d.L2Block) != badOutputAt || d.Challenger != chDev.Address {
		t.Fatalf("dispute(0) names L2 block %d and challenger %s, want %d and %s", d.L2Block, d.Challenger, badOutputAt, chDev.Address)
	}
	if sum := new(big.Int).Add(d.Reward, d.Burned); sum.Cmp(bond) != 0 || d.Reward.Cmp(d.Burned) > 0 {
		t.Fatalf("dispute(0): reward %s + burned %s, want half each of the bond %s", d.Reward, d.Burned, bond)
	}
	if d.Computed.StateRoot != preRoot || d.Posted.StateRoot == preRoot {
		t.Fatalf("dispute(0): posted state root %s, computed %s; the sequencer's block %d had %s before the dispute (want computed equal, posted different)",
			d.Posted.StateRoot, d.Computed.StateRoot, badOutputAt, preRoot)
	}
	cluster.Await(t, 10*time.Second, func() error {
		logs, err := e.ch.Logs()
		if err != nil {
			return err
		}
		if !strings.Contains(logs, "Fraud proof won") {
			return errors.New(`the challenger's log does not say "Fraud proof won"`)
		}
		return nil
	})

	// The bond left the contract in the dispute's block: half to the
	// challenger (minus the challenge's gas), half burned.
	at, prev := big64(uint64(d.L1Block)), big64(uint64(d.L1Block)-1)
	balDelta := func(who fmt.Stringer, get func(*big.Int) (*big.Int, error)) *big.Int {
		b0, err := get(prev)
		if err != nil {
			t.Fatalf("balance of %s at L1 block %d: %v", who, prev, err)
		}
		b1, err := get(at)
		if err != nil {
			t.Fatalf("balance of %s at L1 block %d: %v", who, at, err)
		}
		return new(big.Int).Sub(b1, b0)
	}
	chGain := balDelta(chDev.Address, func(n *big.Int) (*big.Int, error) { return e.l1c().BalanceAt(ctx, chDev.Address, n) })
	if floor := new(big.Int).Div(new(big.Int).Mul(bond, big.NewInt(4)), big.NewInt(10)); chGain.Cmp(floor) <= 0 || chGain.Cmp(d.Reward) > 0 {
		t.Fatalf("the challenger's L1 balance changed by %s in L1 block %d, want more than 0.4 × bond (%s) and at most the reward %s", chGain, at, floor, d.Reward)
	}
	contractDelta := balDelta(contract.Address, func(n *big.Int) (*big.Int, error) { return e.l1c().BalanceAt(ctx, contract.Address, n) })
	if want := new(big.Int).Neg(bond); contractDelta.Cmp(want) != 0 {
		t.Fatalf("the rollup contract's L1 balance changed by %s in L1 block %d, want −bond (%s): half to the challenger, half burned", contractDelta, at, want)
	}

	// The dispute explained: the wallet asks the sequencer's rollup_dispute
	// for the bad block; the challenger's RPC explains the challenge's L1
	// transaction the same way.
	explainDispute(t, ctx, e, walletBin, d, preRoot, bond, seqAddr)

	// The sequencer bonds again.
	cluster.Await(t, 30*time.Second, func() error {
		ret, err := e.rollupView(ctx, contract.PackBondOf(seqAddr), nil)
		if err != nil {
			return err
		}
		b, err := contract.UnpackBondOf(ret)
		if err != nil {
			return err
		}
		if b.Cmp(bond) != 0 {
			return fmt.Errorf("bondOf(sequencer) = %s, want the genesis bond %s again", b, bond)
		}
		return nil
	})

	// The sequencer posts again from the disputed block: by then it has
	// rewound its chain (and re-sequenced it, if it had to).
	cluster.Await(t, 30*time.Second, func() error {
		la, err := e.lastAccepted(ctx, nil)
		if err != nil {
			return err
		}
		if la.Number < badOutputAt {
			return fmt.Errorf("the contract accepts up to L2 block %d, want the sequencer to post %d again", la.Number, badOutputAt)
		}
		return nil
	})

	// Every transfer confirmed before the dispute keeps a receipt.
	cluster.Await(t, 30*time.Second, func() error {
		select {
		case <-done:
			return nil
		default:
			return errors.New("the transfer stream goes on")
		}
	})
	if p.err != nil {
		t.Fatalf("transfer stream: %v", p.err)
	}
	if len(before) == 0 {
		t.Fatal("no transfer got a receipt before the dispute")
	}
	target := uint64(badOutputAt)
	moved := 0
	for _, cf := range before {
		var rc *types.Receipt
		cluster.Await(t, 30*time.Second, func() error {
			var err error
			if rc, err = e.l2().TransactionReceipt(ctx, cf.tx); err != nil {
				return fmt.Errorf("receipt of %s (block %d before the dispute): %w", cf.tx, cf.number, err)
			}
			return nil
		})
		if rc.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("transfer %s failed after the dispute", cf.tx)
		}
		if rc.BlockHash != cf.block {
			moved++
		}
		target = max(target, rc.BlockNumber.Uint64())
	}
	target++ // past the disputed block and every transfer's block

	// The sequencer's safe head and the contract pass them again, with the
	// correct output; the challenger agrees again.
	safe := e.waitSequencerSafe(t, ctx, target, 45*time.Second)
	la, err := e.lastAccepted(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if uint64(la.Number) < badOutputAt {
		t.Fatalf("the contract accepts up to L2 block %d, want at least %d again", la.Number, badOutputAt)
	}
	var out cluster.Output
	if err := e.seq.Call(ctx, &out, "rollup_outputAtBlock", hexutil.Uint64(badOutputAt)); err != nil {
		t.Fatal(err)
	}
	now, err := e.l2().HeaderByNumber(ctx, big64(badOutputAt))
	if err != nil {
		t.Fatal(err)
	}
	if out.StateRoot != now.Root || out.BlockHash != now.Hash() || out.Status == "unsafe" {
		t.Fatalf("the sequencer's output of L2 block %d: state root %s, block %s, status %s; its block has state root %s, hash %s",
			badOutputAt, out.StateRoot, out.BlockHash, out.Status, now.Root, now.Hash())
	}
	var st cluster.SyncStatus
	cluster.Await(t, 45*time.Second, func() error {
		var err error
		if st, err = e.ch.SyncStatus(ctx); err != nil {
			return err
		}
		v := st.Verification
		if v == nil {
			return errors.New("the challenger's rollup_syncStatus has no verification")
		}
		if d := v.FirstDisagreement; d != nil {
			return fmt.Errorf("the challenger still disagrees with the posted output of L2 block %d: %v differ", d.Number, d.Fields)
		}
		if uint64(v.CheckedL2) < safe || uint64(st.SafeL2.Number) < safe || uint64(v.Agreed) <= badOutputAt {
			return fmt.Errorf("the challenger derived to %d, checked to %d (%d agreed), want %d and more than %d agreed",
				st.SafeL2.Number, v.CheckedL2, v.Agreed, safe, badOutputAt)
		}
		return nil
	})
	if err := e.compareChains(ctx, 1, safe); err != nil {
		t.Fatal(err)
	}
	t.Logf("block %d re-sequenced: %v; challenger gained %s (reward %s), contract −%s; %d transfers confirmed before the dispute, %d moved; safe %d, contract accepts %d, %d outputs agreed; %s in all",
		badOutputAt, now.Root != preRoot, chGain, d.Reward, bond, len(before), moved, safe, la.Number, st.Verification.Agreed, time.Since(start).Round(time.Millisecond))
}

// explainDispute runs `wallet dispute show` against the sequencer's L2 RPC
// for L2 block badOutputAt (as JSON and as text) and checks that it names
// dispute d: the bad block and its batch, the state root as the one field
// that differs (posted d's, computed the sequencer's own preRoot), the
// bond split (the whole bond slashed from the sequencer, half to the
// challenger, half burned) and the L1 transactions (the batch's before the
// challenge's, in d's L1 block). The challenger's rollup_dispute, asked
// for the challenge's L1 transaction, gives the same report.
func explainDispute(t *testing.T, ctx context.Context, e *env, walletBin string, d contract.Dispute, preRoot common.Hash, bond *big.Int, seqAddr common.Address) {
	t.Helper()
	runWallet := func(args ...string) string {
		args = append([]string{"--l2-rpc", e.seq.RPCURL(), "dispute", "show", "--l2-block", fmt.Sprint(badOutputAt)}, args...)
		out, err := exec.CommandContext(ctx, walletBin, args...).Output()
		if err != nil {
			var stderr []byte
			if ee, ok := errors.AsType[*exec.ExitError](err); ok {
				stderr = ee.Stderr
			}
			t.Fatalf("wallet %s: %v: %s", strings.Join(args, " "), err, stderr)
		}
		return string(out)
	}
	var rep dispute.Report
	if err := json.Unmarshal([]byte(runWallet("--json")), &rep); err != nil {
		t.Fatalf("wallet dispute show --json: %v", err)
	}
	if rep.Verdict != dispute.VerdictOutputWrong || rep.Dispute == nil || *rep.Dispute != 0 || uint64(rep.L2Block) != badOutputAt ||
		rep.BatchIndex == nil || uint64(*rep.BatchIndex) != d.BatchIndex || rep.Challenger != d.Challenger {
		t.Fatalf("wallet dispute show: verdict %s, dispute %v, L2 block %d, batch %v, challenger %s; want dispute 0 of L2 block %d, batch %d, by %s",
			rep.Verdict, rep.Dispute, rep.L2Block, rep.BatchIndex, rep.Challenger, badOutputAt, d.BatchIndex, d.Challenger)
	}
	if !slices.Equal(rep.Differs, []string{dispute.FieldStateRoot}) || rep.Claim == nil || rep.Computed == nil ||
		rep.Claim.StateRoot != d.Posted.StateRoot || rep.Computed.StateRoot != preRoot || rep.Claim.OutputRoot != d.Posted.Root {
		t.Fatalf("wallet dispute show: differs %v, claim %+v, computed %+v; want stateRoot, posted %s, computed %s",
			rep.Differs, rep.Claim, rep.Computed, d.Posted.StateRoot, preRoot)
	}
	b := rep.Bond
	if b == nil || b.Slashed.ToInt().Cmp(bond) != 0 || b.Reward.ToInt().Cmp(d.Reward) != 0 || b.Burned.ToInt().Cmp(d.Burned) != 0 ||
		b.Sequencer == nil || *b.Sequencer != seqAddr {
		t.Fatalf("wallet dispute show: bond %+v; want %s slashed from %s, %s to the challenger, %s burned", b, bond, seqAddr, d.Reward, d.Burned)
	}
	ct, bt := rep.ChallengeTx, rep.BatchTx
	if ct == nil || uint64(ct.L1Block) != uint64(d.L1Block) || bt == nil || bt.L1Block >= ct.L1Block || len(rep.Notes) != 0 {
		t.Fatalf("wallet dispute show: challenge tx %+v, batch tx %+v, notes %q; want the challenge in L1 block %d after the batch", ct, bt, rep.Notes, d.L1Block)
	}
	text := runWallet()
	for _, want := range []string{
		fmt.Sprintf("Dispute 0: L2 block %d (batch %d)", badOutputAt, d.BatchIndex),
		"differs    stateRoot\n",
		fmt.Sprintf("%s to challenger %s, %s burned", wallet.FormatEther(d.Reward), d.Challenger.Hex(), wallet.FormatEther(d.Burned)),
		"L1 tx " + ct.Hash.Hex(),
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("wallet dispute show does not say %q:\n%s", want, text)
		}
	}
	var viaCh dispute.Report
	if err := e.ch.Call(ctx, &viaCh, "rollup_dispute", dispute.ByL1Tx(ct.Hash)); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(viaCh)
	want, _ := json.Marshal(rep)
	if string(got) != string(want) {
		t.Fatalf("the challenger explains L1 tx %s as\n%s\nthe sequencer explains L2 block %d as\n%s", ct.Hash, got, badOutputAt, want)
	}
	t.Logf("wallet dispute show:\n%s", text)
}
