package main

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/wallet"
)

// defaultReceiptTimeout bounds the wait for a transaction's receipt when
// --timeout is not given (the flag's default).
const defaultReceiptTimeout = 60 * time.Second

// hintForceL2 is what to check when the L2 does not answer before a
// forced operation is sent.
const hintForceL2 = "is the L2 sequencer running? (make devnet starts it; or send it anyway with --no-wait)"

// How long the waits take, for the help texts.
var (
	withdrawWaitText = "The payout comes W L1 blocks (the challenge window: 30 on the devnet, ~30 s at 1 s blocks) after the\n" +
		"L1 accepts the batch holding the withdrawal, which the sequencer posts within a few L1 blocks: about\n" +
		"35 s on the devnet."
	timeoutText = "--timeout bounds the whole wait; by default it is the time the sequencer says is left plus a minute\n" +
		"(plus one more while the batch is not posted), or " + wallet.DefaultWithdrawalWait.String() + " if it cannot say."
)

// withdrawCommands are the exit commands: withdraw, withdrawal status,
// force-withdraw and force-transfer.
func (e *env) withdrawCommands() []*cli.Command {
	amountFlag := func(what string) cli.Flag {
		return &cli.StringFlag{Name: "amount", Required: true, Usage: "`AMOUNT` to " + what + ": ether with decimals (1.5), or with a unit (2gwei)"}
	}
	noWait := func(what string) cli.Flag {
		return &cli.BoolFlag{Name: "no-wait", Usage: "return once the transaction is included, without waiting for " + what}
	}
	return []*cli.Command{
		{Name: "withdraw", Usage: "move ether from the L2 to the L1: one L2 transaction; the L1 pays it out by itself",
			Description: "Sends one L2 transaction (at --l2-rpc): initiateWithdrawal(to) to the withdrawal queue " + withdrawalqueue.Address.Hex() + ",\n" +
				"with --amount as its value (burned on the L2), and prints the withdrawal's nonce. Nothing is sent on the L1:\n" +
				"when the batch holding the withdrawal is final, the L1 bridge pays --to automatically. Meanwhile it asks\n" +
				"the sequencer with rollup_withdrawalStatus and counts down, on stderr when it is a terminal, the L1 blocks\n" +
				"and seconds left: initiated (in an unsafe L2 block) -> safe (batch accepted on L1) -> finalized -> paid.\n" +
				withdrawWaitText + "\n" + timeoutText + "\n" +
				"With --no-wait it returns once the L2 transaction is in (a quarter of a second); `wallet withdrawal status\n" +
				"NONCE` follows it later.",
			Flags: []cli.Flag{amountFlag("withdraw"),
				&cli.StringFlag{Name: "to", Usage: "L1 recipient `ADDR` (default: the sender, same key on both layers)"},
				noWait("the L1 payout")},
			Action: e.withdraw},
		{Name: "withdrawal", Usage: "follow L2 -> L1 withdrawals",
			Subcommands: []*cli.Command{
				{Name: "status", Usage: "show where a withdrawal is and the time left until the L1 pays it", ArgsUsage: "TX|NONCE|L1-BLOCK:INDEX",
					Description: "Asks the L2 sequencer (at --l2-rpc) with rollup_withdrawalStatus where a withdrawal is: initiated (in an\n" +
						"unsafe L2 block), safe (its batch accepted on L1), finalized (its batch final; paid at the end of this or the\n" +
						"next L1 block) or paid (in which L1 block), with its batch, the L1 block of the payout and the L1 blocks and\n" +
						"seconds left. Name it by the L2 transaction that initiated it (0x and 64 hex digits), by its nonce, or, for\n" +
						"a forced withdrawal, by L1-BLOCK:INDEX as `wallet force-withdraw` prints it.",
					Action: e.withdrawalStatus},
			}},
		{Name: "force-withdraw", Usage: "withdraw from your L2 account through the L1 bridge, past a censoring sequencer",
			Description: "Sends one L1 transaction (at --rpc): forceWithdrawal(amount) to the bridge " + bridge.Address.Hex() + ". It acts on\n" +
				"the L2 account of the same key and pays the same address on L1. The L2 must apply it, like a deposit, in the\n" +
				"first L2 block whose origin reaches its L1 block (a few seconds; at most the sequencing window, 20 L1\n" +
				"blocks on the devnet, even when the sequencer ignores it): it burns the amount on L2 and queues a\n" +
				"withdrawal, or records the operation as failed when the L2 balance cannot cover it (nothing moves). The\n" +
				"wallet waits for that (rollup_depositStatus at --l2-rpc), then for the L1 payout as `wallet withdraw` does.\n" +
				withdrawWaitText + "\n" + timeoutText + "\n" +
				"With --no-wait it returns once the L1 transaction is in; `wallet deposit-status L1-BLOCK INDEX` and\n" +
				"`wallet withdrawal status L1-BLOCK:INDEX` follow it later.",
			Flags:  []cli.Flag{amountFlag("withdraw"), noWait("the L2 and the payout")},
			Action: e.forceWithdraw},
		{Name: "force-transfer", Usage: "transfer from your L2 account through the L1 bridge, past a censoring sequencer",
			Description: "Sends one L1 transaction (at --rpc): forceTransfer(to, amount) to the bridge " + bridge.Address.Hex() + ". It moves\n" +
				"--amount from the L2 account of the same key to the L2 account --to. The L2 must apply it, like a deposit, in\n" +
				"the first L2 block whose origin reaches its L1 block (a few seconds; at most the sequencing window, 20 L1\n" +
				"blocks on the devnet, even when the sequencer ignores it), or record it as failed when the L2 balance\n" +
				"cannot cover it. The wallet waits for that (rollup_depositStatus at --l2-rpc), up to --timeout (default\n" +
				defaultDepositTimeout.String() + " after the L1 receipt), and prints applied, or failed with the reason.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "to", Required: true, Usage: "L2 recipient `ADDR`"},
				amountFlag("transfer"), noWait("the L2")},
			Action: e.forceTransfer},
	}
}

// budget is the time --timeout allows for a command's waits, when given.
type budget struct {
	given bool
	end   time.Time
}

// budgetOf starts the --timeout budget.
func budgetOf(c *cli.Context) budget {
	if !given(c, flagTimeout) {
		return budget{}
	}
	return budget{given: true, end: time.Now().Add(at(c, flagTimeout).Duration(flagTimeout))}
}

// or is what is left of the budget, or def when --timeout was not given.
func (b budget) or(def time.Duration) time.Duration {
	if !b.given {
		return def
	}
	return max(time.Until(b.end), time.Millisecond)
}

// liveLine rewrites one line of a terminal's stderr; on anything else it
// writes nothing.
type liveLine struct {
	e    *env
	used bool
}

// show writes text over the line.
func (l *liveLine) show(text string) {
	fmt.Fprintf(l.e.io.err, "\r%s\033[K", text)
	l.used = true
}

// end ends the line, if anything was shown.
func (l *liveLine) end() {
	if l.used {
		fmt.Fprintln(l.e.io.err)
		l.used = false
	}
}

// onTerminal reports whether progress goes to stderr.
func (e *env) onTerminal() bool { return isTerminal(e.io.err) }

// parseAmount reads --amount: more than 0 ETH, at most 2^256-1 wei.
func parseAmount(c *cli.Context, what string) (*big.Int, error) {
	value, err := wallet.ParseEther(c.String("amount"))
	if err != nil {
		return nil, fmt.Errorf("--amount: %w", err)
	}
	if value.Sign() <= 0 {
		return nil, fmt.Errorf("--amount %s: a %s must move more than 0 ETH", c.String("amount"), what)
	}
	if value.BitLen() > 256 {
		return nil, fmt.Errorf("--amount %s: more wei than 256 bits hold", c.String("amount"))
	}
	return value, nil
}

// parseTo reads an address flag, default def.
func parseTo(c *cli.Context, def common.Address) (common.Address, error) {
	s := c.String("to")
	if s == "" {
		return def, nil
	}
	if !common.IsHexAddress(s) {
		return common.Address{}, fmt.Errorf("--to %q is not an address: want 0x followed by 40 hex digits", s)
	}
	return common.HexToAddress(s), nil
}

// withdraw sends initiateWithdrawal on the L2 and waits for the L1 payout.
func (e *env) withdraw(c *cli.Context) error {
	l2Layer := given(c, flagLayer) && strings.EqualFold(at(c, flagLayer).String(flagLayer), "l2")
	if given(c, flagLayer) && !l2Layer {
		return errors.New("withdraw sends its transaction on the L2 (at --l2-rpc) and the L1 pays it out by itself: --layer l1 does not apply")
	}
	value, err := parseAmount(c, "withdrawal")
	if err != nil {
		return err
	}
	from, err := e.signingAccount(c)
	if err != nil {
		return err
	}
	to, err := parseTo(c, from.address)
	if err != nil {
		return err
	}
	b := budgetOf(c)
	var l2 *wallet.Client
	if l2Layer {
		l2, err = e.dial(c) // --rpc given with --layer l2 names the L2
	} else {
		l2, err = e.dialL2(c, hintL2)
	}
	if err != nil {
		return err
	}
	defer l2.Close()
	plan, err := l2.PlanCall(c.Context, from.address, withdrawalqueue.Address, value, withdrawalqueue.PackInitiate(to))
	if err != nil {
		return err
	}
	start := time.Now()
	sum, r, err := e.sendAndWait(c, l2, from, plan, b.or(defaultReceiptTimeout))
	if err != nil {
		return err
	}
	if !sum.Succeeded() {
		if err := e.print(c, sum, sum.Text()); err != nil {
			return err
		}
		return fmt.Errorf("withdrawal transaction %s failed in L2 block %d: nothing was withdrawn, the fee was paid; see `wallet --layer l2 tx %s`",
			sum.Hash, sum.Receipt.BlockNumber, sum.Hash)
	}
	w, err := wallet.WithdrawalFromReceipt(r.Receipt)
	if err != nil {
		return err
	}
	initiated := wallet.InitiatedStatus(w, r.Receipt)
	if c.Bool("no-wait") {
		out := wallet.NewWithdrawalSummary(sum, initiated, time.Since(start))
		return e.print(c, out, out.Text())
	}
	if e.onTerminal() {
		fmt.Fprintf(e.io.err, "withdrawal %d initiated in L2 block %d; waiting for the L1 to pay it\n", w.Nonce, initiated.L2Block)
	}
	st, err := e.waitPayout(c, l2, w.Nonce, b, start)
	if err != nil {
		return fmt.Errorf("withdrawal %d is initiated (L2 tx %s) and the L1 pays it by itself, but the wait for it ended: %w", w.Nonce, sum.Hash, err)
	}
	out := wallet.NewWithdrawalSummary(sum, st, time.Since(start))
	return e.print(c, out, out.Text())
}

// waitPayout waits until the L1 pays withdrawal nonce, counting down on a
// terminal; its timeout is the budget's, or what the first status says.
func (e *env) waitPayout(c *cli.Context, l2 *wallet.Client, nonce uint64, b budget, start time.Time) (*wallet.WithdrawalStatus, error) {
	ref := wallet.NonceRef(nonce)
	first, err := l2.WithdrawalStatus(c.Context, ref)
	if errors.Is(err, wallet.ErrNotAnL2) {
		return nil, err
	}
	// Another failure may pass (the wait asks again); without a first
	// answer the timeout is the default.
	opts := wallet.WithdrawalWaitOptions{Timeout: b.or(wallet.DefaultWithdrawalTimeout(first)), ProgressEvery: 500 * time.Millisecond}
	line := &liveLine{e: e}
	if e.onTerminal() {
		line.show((wallet.WithdrawalProgress{Ref: ref, Waited: time.Since(start), Left: opts.Timeout, Last: first}).Text())
		opts.Progress = func(p wallet.WithdrawalProgress) {
			p.Waited = time.Since(start) // the whole wait, the transaction included
			line.show(p.Text())
		}
	}
	st, err := l2.WaitWithdrawal(c.Context, ref, opts)
	line.end()
	return st, err
}

// withdrawalStatus prints where a withdrawal is.
func (e *env) withdrawalStatus(c *cli.Context) error {
	const usage = "wallet withdrawal status TX|NONCE|L1-BLOCK:INDEX"
	if c.NArg() != 1 {
		return usageError(c, usage)
	}
	ref, err := wallet.ParseWithdrawalRef(c.Args().First())
	if err != nil {
		return fmt.Errorf("%w: usage: %s", err, usage)
	}
	l2, err := e.dialL2(c, hintL2)
	if err != nil {
		return err
	}
	defer l2.Close()
	st, err := l2.WithdrawalStatus(c.Context, ref)
	if err != nil {
		return err
	}
	return e.print(c, st, st.Text())
}

// forced is one forced operation to send: its kind, its calldata to the
// bridge and the amount the L2 balance must cover.
type forced struct {
	kind   string
	data   []byte
	amount *big.Int
}

// forceWithdraw sends a forced withdrawal on L1, waits until the L2
// applies it and then for the payout.
func (e *env) forceWithdraw(c *cli.Context) error {
	amount, err := parseAmount(c, "forced withdrawal")
	if err != nil {
		return err
	}
	a, _ := uint256.FromBig(amount)
	return e.sendForced(c, forced{kind: wallet.KindForceWithdrawal, data: bridge.PackForceWithdrawal(a), amount: amount})
}

// forceTransfer sends a forced transfer on L1 and waits until the L2
// applies it.
func (e *env) forceTransfer(c *cli.Context) error {
	to, err := parseTo(c, common.Address{})
	if err != nil {
		return err
	}
	amount, err := parseAmount(c, "forced transfer")
	if err != nil {
		return err
	}
	a, _ := uint256.FromBig(amount)
	return e.sendForced(c, forced{kind: wallet.KindForceTransfer, data: bridge.PackForceTransfer(to, a), amount: amount})
}

// sendForced sends a forced operation to the L1 bridge, then, unless
// --no-wait, waits until the L2 applies it (and a forced withdrawal's
// payout).
func (e *env) sendForced(c *cli.Context, f forced) error {
	if given(c, flagLayer) && !strings.EqualFold(at(c, flagLayer).String(flagLayer), "l1") {
		return fmt.Errorf("%s sends its transaction on the L1 and waits on the L2: --layer does not apply (--rpc names the L1 node, --l2-rpc the L2's)",
			c.Command.Name)
	}
	from, err := e.signingAccount(c)
	if err != nil {
		return err
	}
	b := budgetOf(c)
	wait := !c.Bool("no-wait")
	var l2 *wallet.Client
	if wait {
		// Ask the L2 before anything is sent: it must be there to wait
		// on, and the L2 balance must cover the operation, or the L2
		// records it as failed and the L1 fee is lost.
		if l2, err = e.dialL2(c, hintForceL2); err != nil {
			return err
		}
		defer l2.Close()
		if _, err := l2.OperationStatus(c.Context, wallet.DepositID{}); err != nil {
			return err
		}
		bal, err := l2.Balance(c.Context, from.address)
		if err != nil {
			return err
		}
		if bal.Cmp(f.amount) < 0 {
			return fmt.Errorf("%s of %s refused before sending: %s holds %s on the L2, so the L2 would record it as failed and the L1 fee "+
				"would be lost: deposit first (wallet deposit), or lower --amount", f.kind, wallet.FormatEther(f.amount), from.address,
				wallet.FormatEther(bal))
		}
	}
	l1, err := e.dialL1(c)
	if err != nil {
		return err
	}
	defer l1.Close()
	plan, err := l1.PlanCall(c.Context, from.address, bridge.Address, new(big.Int), f.data)
	if err != nil {
		return err
	}
	start := time.Now()
	sum, r, err := e.sendAndWait(c, l1, from, plan, b.or(defaultReceiptTimeout))
	if err != nil {
		return err
	}
	if !sum.Succeeded() {
		if err := e.print(c, sum, sum.Text()); err != nil {
			return err
		}
		return fmt.Errorf("%s transaction %s failed in L1 block %d: nothing was recorded, the fee was paid; see `wallet tx %s`",
			f.kind, sum.Hash, sum.Receipt.BlockNumber, sum.Hash)
	}
	op, err := wallet.OperationFromReceipt(r.Receipt, f.kind)
	if err != nil {
		return err
	}
	if !wait {
		out := wallet.NewForcedSummary(sum, op, nil, nil, time.Since(start))
		return e.print(c, out, out.Text())
	}
	st, err := e.waitApplied(c, l2, op, b, start)
	if err != nil {
		return err
	}
	if st.Status == wallet.OperationFailed {
		out := wallet.NewForcedSummary(sum, op, st, nil, time.Since(start))
		if err := e.print(c, out, out.Text()); err != nil {
			return err
		}
		return fmt.Errorf("the L2 recorded the %s at %s as failed in L2 block %d: %s; nothing moved on the L2", f.kind, op.DepositID, *st.L2Block, st.Reason)
	}
	var w *wallet.WithdrawalStatus
	if f.kind == wallet.KindForceWithdrawal {
		if w, err = e.forcedPayout(c, l2, op, b, start); err != nil {
			return err
		}
	}
	out := wallet.NewForcedSummary(sum, op, st, w, time.Since(start))
	return e.print(c, out, out.Text())
}

// waitApplied waits until the L2 applies (or fails) the operation.
func (e *env) waitApplied(c *cli.Context, l2 *wallet.Client, op wallet.OperationLog, b budget, start time.Time) (*wallet.OperationStatus, error) {
	opts := wallet.OperationWaitOptions{Timeout: b.or(defaultDepositTimeout), ProgressEvery: 500 * time.Millisecond}
	line := &liveLine{e: e}
	if e.onTerminal() {
		fmt.Fprintf(e.io.err, "%s included on L1 (%s); waiting for the L2 at %s\n", op.Kind, op.DepositID, l2.URL())
		opts.Progress = func(p wallet.OperationProgress) {
			p.Waited = time.Since(start)
			line.show(p.Text())
		}
	}
	st, err := l2.WaitOperation(c.Context, op.DepositID, opts)
	line.end()
	return st, err
}

// forcedPayout finds the withdrawal an applied forced withdrawal initiated
// and waits for its payout.
func (e *env) forcedPayout(c *cli.Context, l2 *wallet.Client, op wallet.OperationLog, b budget, start time.Time) (*wallet.WithdrawalStatus, error) {
	first, err := l2.WithdrawalStatus(c.Context, wallet.WithdrawalRef{Operation: &op.DepositID})
	if err != nil {
		return nil, fmt.Errorf("the forced withdrawal at %s is applied on L2 and the L1 pays it by itself once its batch is final, "+
			"but reading its withdrawal failed (check with `wallet withdrawal status %d:%d`): %w", op.DepositID, op.L1Block, op.Index, err)
	}
	if e.onTerminal() {
		fmt.Fprintf(e.io.err, "forced withdrawal applied: withdrawal %d; waiting for the L1 to pay it\n", first.Nonce)
	}
	st, err := e.waitPayout(c, l2, first.Nonce, b, start)
	if err != nil {
		return nil, fmt.Errorf("withdrawal %d (the forced withdrawal at %s) is initiated and the L1 pays it by itself, but the wait for it ended: %w",
			first.Nonce, op.DepositID, err)
	}
	return st, nil
}
