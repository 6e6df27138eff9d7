package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"
)

// defaultDepositTimeout bounds a deposit's wait (L1 inclusion and the L2
// applying it) when --timeout is not given.
const defaultDepositTimeout = 2 * time.Minute

// hintDepositL2 is what to check when the L2 does not answer before a
// deposit is sent.
const hintDepositL2 = "is the L2 sequencer running? (make devnet starts it; or deposit anyway with --no-wait)"

// depositCommands are the bridge commands: deposit and deposit-status.
func (e *env) depositCommands() []*cli.Command {
	return []*cli.Command{
		{Name: "deposit", Usage: "move ether from the L1 to the L2 through the bridge, and wait until the L2 applies it",
			Description: "Sends one L1 transaction (at --rpc): deposit(to) to the bridge " + bridge.Address.Hex() + ",\n" +
				"with --amount as its value. Waits for its receipt, then asks the L2 sequencer (at --l2-rpc) with\n" +
				"rollup_depositStatus until the deposit is applied in an L2 block, with progress on stderr when it is a\n" +
				"terminal: the time waited and left, the L1 head against the deposit's L1 block, and the L2 origin.\n" +
				"The whole wait is bounded by --timeout (default " + defaultDepositTimeout.String() + "). Nothing is sent on the L2: the\n" +
				"sequencer mints the deposit in the first L2 block whose L1 origin reaches the deposit's L1 block.",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "amount", Required: true,
					Usage: "`AMOUNT` to deposit: ether with decimals (1.5), or with a unit (2gwei)"},
				&cli.StringFlag{Name: "to", Usage: "L2 recipient `ADDR` (default: the sender, same key on both layers)"},
				&cli.BoolFlag{Name: "no-wait", Usage: "return once the L1 transaction is included, without waiting for the L2"},
			},
			Action: e.deposit},
		{Name: "deposit-status", Usage: "show whether the L2 has applied a deposit", ArgsUsage: "L1-BLOCK INDEX",
			Description: "Asks the L2 sequencer (at --l2-rpc) where the deposit numbered INDEX in L1 block L1-BLOCK is\n" +
				"(both printed by `wallet deposit`): applied (in which L2 block), pending, or unknown.",
			Action: e.depositStatus},
	}
}

// deposit sends a bridge deposit on L1 and waits until the L2 applies it.
func (e *env) deposit(c *cli.Context) error {
	if given(c, flagLayer) && !strings.EqualFold(at(c, flagLayer).String(flagLayer), "l1") {
		return errors.New("deposit sends its transaction on the L1 and waits on the L2: --layer does not apply (--rpc names the L1 node, --l2-rpc the L2's)")
	}
	value, err := wallet.ParseEther(c.String("amount"))
	if err != nil {
		return fmt.Errorf("--amount: %w", err)
	}
	if value.Sign() <= 0 {
		return fmt.Errorf("--amount %s: a deposit must move more than 0 ETH", c.String("amount"))
	}
	from, err := e.signingAccount(c)
	if err != nil {
		return err
	}
	to := from.address
	if s := c.String("to"); s != "" {
		if !common.IsHexAddress(s) {
			return fmt.Errorf("--to %q is not an address: want 0x followed by 40 hex digits", s)
		}
		to = common.HexToAddress(s)
	}
	timeout := defaultDepositTimeout
	if given(c, flagTimeout) {
		timeout = at(c, flagTimeout).Duration(flagTimeout)
	}
	wait := !c.Bool("no-wait")

	var l2 *wallet.Client
	if wait {
		// Ask the L2 before anything is sent, so a deposit is not left
		// waiting on a sequencer that is not there.
		if l2, err = e.dialL2(c, hintDepositL2); err != nil {
			return err
		}
		defer l2.Close()
		if _, err := l2.DepositStatus(c.Context, wallet.DepositID{}); err != nil {
			return err
		}
	}
	l1, err := e.dialL1(c)
	if err != nil {
		return err
	}
	defer l1.Close()
	plan, err := l1.PlanCall(c.Context, from.address, bridge.Address, value, bridge.PackDeposit(to))
	if err != nil {
		return err
	}
	start := time.Now()
	sum, r, err := e.sendAndWait(c, l1, from, plan, timeout)
	if err != nil {
		return err
	}
	if !sum.Succeeded() {
		if err := e.print(c, sum, sum.Text()); err != nil {
			return err
		}
		return fmt.Errorf("deposit transaction %s failed in L1 block %d: nothing was deposited, the fee was paid", sum.Hash, sum.Receipt.BlockNumber)
	}
	d, err := wallet.DepositFromReceipt(r.Receipt)
	if err != nil {
		return err
	}
	if !wait {
		out := wallet.NewDepositSummary(sum, d, nil, time.Since(start))
		return e.print(c, out, out.Text())
	}
	opts := wallet.DepositWaitOptions{Timeout: max(timeout-time.Since(start), 0), ProgressEvery: 500 * time.Millisecond}
	updating := false
	if isTerminal(e.io.err) {
		fmt.Fprintf(e.io.err, "deposit included on L1 (%s); waiting for the L2 at %s\n", d.DepositID, l2.URL())
		opts.Progress = func(p wallet.DepositProgress) {
			p.Waited = time.Since(start) // the whole wait, L1 inclusion included
			fmt.Fprintf(e.io.err, "\r%s\033[K", p.Text())
			updating = true
		}
	}
	st, err := l2.WaitDeposit(c.Context, d.DepositID, opts)
	if updating {
		fmt.Fprintln(e.io.err) // end the line progress kept rewriting
	}
	if err != nil {
		return err
	}
	out := wallet.NewDepositSummary(sum, d, st, time.Since(start))
	return e.print(c, out, out.Text())
}

// depositStatus prints where the L2 says a deposit is.
func (e *env) depositStatus(c *cli.Context) error {
	if c.NArg() != 2 {
		return usageError(c, "wallet deposit-status L1-BLOCK INDEX")
	}
	var nums [2]uint64
	for i, s := range c.Args().Slice() {
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number: usage: wallet deposit-status L1-BLOCK INDEX", s)
		}
		nums[i] = n
	}
	l2, err := e.dialL2(c, hintL2)
	if err != nil {
		return err
	}
	defer l2.Close()
	st, err := l2.DepositStatus(c.Context, wallet.DepositID{L1Block: nums[0], Index: nums[1]})
	if err != nil {
		return err
	}
	return e.print(c, st, st.Text())
}
