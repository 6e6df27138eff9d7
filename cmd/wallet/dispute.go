package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/rollup/dispute"
	"github.com/bilayer/bilayer/wallet"
)

// defaultDisputeList is how many disputes `wallet dispute list` shows
// unless --limit says otherwise.
const defaultDisputeList = 20

// hintDispute is what to check when the L2 RPC asked about disputes does
// not answer.
const hintDispute = "is the L2 sequencer (or the challenger) running? (make devnet starts both)"

// disputeCommands are the fraud-proof commands: dispute show and dispute
// list.
func (e *env) disputeCommands() []*cli.Command {
	return []*cli.Command{{
		Name:  "dispute",
		Usage: "explain the rollup's fraud-proof disputes: what was claimed, what was wrong, who paid (L2 RPC)",
		Subcommands: []*cli.Command{
			{Name: "show", Usage: "explain one dispute (default: the newest)",
				Description: "Asks the L2 RPC at --l2-rpc (the sequencer's, or the challenger's) with rollup_dispute, which reads\n" +
					"the L1 rollup contract's dispute record and transactions, and explains: the claim (the output the\n" +
					"sequencer posted, and the L1 transaction that posted it), the first wrong L2 block, the output\n" +
					"fields that differ from the contract's re-execution, the verdict, the bond flow (slashed, to the\n" +
					"challenger, burned) and the challenge's L1 transaction. --tx also explains a challenge the contract\n" +
					"refused (the posted output was correct, or the challenge invalid), with its revert reason.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "l2-block", Usage: "the newest dispute naming L2 block `N` (decimal or 0x hex)"},
					&cli.StringFlag{Name: "tx", Usage: "the challenge in L1 transaction `HASH` (a dispute, or a refused challenge)"},
					&cli.StringFlag{Name: "index", Usage: "the rollup contract's dispute record number `I`"},
				},
				Action: e.disputeShow},
			{Name: "list", Usage: "list the newest disputes, newest first",
				Description: "Asks the L2 RPC at --l2-rpc with rollup_disputes: one line per dispute the L1 rollup contract\n" +
					"recorded (its L2 block, batch, the fields that differ, the bond slashed, the challenger).",
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "limit", Value: defaultDisputeList, Usage: fmt.Sprintf("show at most `N` disputes (1 to %d)", dispute.MaxList)},
				},
				Action: e.disputeList},
		},
	}}
}

// disputeSelector reads show's flags: at most one of --l2-block, --tx and
// --index.
func disputeSelector(c *cli.Context) (dispute.Selector, error) {
	var sel dispute.Selector
	var given []string
	if s := c.String("l2-block"); c.IsSet("l2-block") {
		n, err := parseUint(s)
		if err != nil {
			return sel, fmt.Errorf("--l2-block %q is not a block number: %w", s, err)
		}
		sel = dispute.ByL2Block(n)
		given = append(given, "--l2-block")
	}
	if s := c.String("tx"); c.IsSet("tx") {
		raw, err := hexutil.Decode(s)
		if err != nil || len(raw) != common.HashLength {
			return sel, fmt.Errorf("--tx %q is not a transaction hash: want 0x followed by 64 hex digits", s)
		}
		sel = dispute.ByL1Tx(common.BytesToHash(raw))
		given = append(given, "--tx")
	}
	if s := c.String("index"); c.IsSet("index") {
		n, err := parseUint(s)
		if err != nil {
			return sel, fmt.Errorf("--index %q is not a dispute number: %w", s, err)
		}
		sel = dispute.ByIndex(n)
		given = append(given, "--index")
	}
	if len(given) > 1 {
		return sel, fmt.Errorf("%s each pick a dispute: use one", strings.Join(given, " and "))
	}
	return sel, nil
}

// parseUint reads a decimal or 0x-hex number.
func parseUint(s string) (uint64, error) {
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, errors.Unwrap(err)
	}
	return n, nil
}

// disputeShow prints one dispute's explanation.
func (e *env) disputeShow(c *cli.Context) error {
	if c.NArg() != 0 {
		return usageError(c, "wallet dispute show [--l2-block N | --tx HASH | --index I]")
	}
	sel, err := disputeSelector(c)
	if err != nil {
		return err
	}
	var rep dispute.Report
	if err := e.rollupCall(c, &rep, "rollup_dispute", sel); err != nil {
		return err
	}
	return e.print(c, &rep, disputeText(&rep))
}

// disputeList prints the newest disputes.
func (e *env) disputeList(c *cli.Context) error {
	if c.NArg() != 0 {
		return usageError(c, "wallet dispute list [--limit N]")
	}
	limit := c.Int("limit")
	if limit < 1 || limit > dispute.MaxList {
		return fmt.Errorf("--limit %d: want 1 to %d", limit, dispute.MaxList)
	}
	var reps []*dispute.Report
	if err := e.rollupCall(c, &reps, "rollup_disputes", hexutil.Uint64(limit)); err != nil {
		return err
	}
	if reps == nil {
		reps = []*dispute.Report{} // --json prints [], not null
	}
	return e.print(c, reps, disputeListText(reps))
}

// rollupCall calls a rollup_ method of the L2 RPC (--l2-rpc). A node that
// does not answer is an *wallet.UnreachableError; one without the method
// is told to be the wrong node.
func (e *env) rollupCall(c *cli.Context, result any, method string, args ...any) error {
	url := at(c, flagL2RPC).String(flagL2RPC)
	rc, err := rpc.DialContext(c.Context, url)
	if err != nil {
		return rollupError(url, "connect", err)
	}
	defer rc.Close()
	err = rc.CallContext(c.Context, result, method, args...)
	if rpcErr, ok := errors.AsType[rpc.Error](err); ok && rpcErr.ErrorCode() == -32601 {
		return fmt.Errorf("%w: %s does not serve %s: point --l2-rpc at the sequencer's L2 RPC (port 9545 on the devnet) or the challenger's (9546)",
			wallet.ErrNotAnL2, url, method)
	}
	if err != nil {
		return rollupError(url, method, err)
	}
	return nil
}

// rollupError turns a transport failure into an *wallet.UnreachableError
// and adds context to everything else.
func rollupError(url, what string, err error) error {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &opErr) || errors.As(err, &dnsErr) {
		return fmt.Errorf("%s: %w", what, &wallet.UnreachableError{URL: url, Hint: hintDispute, Err: err})
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s (node %s): no answer in time: %w", what, url, err)
	}
	return fmt.Errorf("%s (node %s): %w", what, url, err)
}

// fieldLabels name the output fields for people.
var fieldLabels = map[string]string{
	dispute.FieldOutputRoot:      "output",
	dispute.FieldStateRoot:       "state root",
	dispute.FieldWithdrawalsRoot: "withdrawals root",
	dispute.FieldBlockHash:       "block hash",
}

// disputeText explains a report for people.
func disputeText(r *dispute.Report) string {
	var b strings.Builder
	row := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "  %-10s %s\n", label, fmt.Sprintf(format, args...))
	}
	if r.Verdict == dispute.VerdictRefused {
		head := "the transaction reverted"
		switch {
		case strings.Contains(r.Reason, "output is correct"):
			head = "the posted output is correct"
		case strings.Contains(r.Reason, "invalid challenge"):
			head = "the challenge was invalid"
		}
		fmt.Fprintf(&b, "Challenge of L2 block %d refused — %s\n", uint64(r.L2Block), head)
		row("challenger", "%s", r.Challenger.Hex())
		if r.Reason != "" {
			row("reason", "%s", r.Reason)
		}
		row("verdict", "%s", r.Explanation)
		if t := r.ChallengeTx; t != nil {
			row("challenge", "L1 tx %s in L1 block %d (reverted)", t.Hash.Hex(), uint64(t.L1Block))
		}
		for _, n := range r.Notes {
			row("note", "%s", n)
		}
		return b.String()
	}

	head := fmt.Sprintf("L2 block %d", uint64(r.L2Block))
	if r.BatchIndex != nil {
		head += fmt.Sprintf(" (batch %d)", uint64(*r.BatchIndex))
	}
	if r.Dispute != nil {
		head = fmt.Sprintf("Dispute %d: %s", uint64(*r.Dispute), head)
	}
	fmt.Fprintf(&b, "%s — the sequencer's output was proven wrong\n", head)
	shown := []string{dispute.FieldOutputRoot}
	for _, f := range r.Differs {
		if f != dispute.FieldOutputRoot {
			shown = append(shown, f)
		}
	}
	outputRows := func(label string, o *dispute.Output) {
		for i, f := range shown {
			v, _ := o.Field(f)
			if i > 0 {
				label = ""
			}
			row(label, "%-10s %s", fieldLabels[f], v.Hex())
		}
	}
	if r.Claim != nil {
		outputRows("claim", r.Claim)
		if t := r.BatchTx; t != nil {
			by := "the sequencer"
			if t.From != nil {
				by += " " + t.From.Hex()
			}
			row("", "posted by %s in L1 tx %s (L1 block %d)", by, t.Hash.Hex(), uint64(t.L1Block))
		}
	}
	if r.Computed != nil {
		outputRows("computed", r.Computed)
	}
	if len(r.Differs) > 0 {
		row("differs", "%s", strings.Join(r.Differs, ", "))
	}
	if bd := r.Bond; bd != nil {
		slashed := bd.Slashed.ToInt()
		if slashed.Sign() > 0 {
			row("verdict", "outputs from L2 block %d on deleted; the batch's poster must re-bond before it posts again", uint64(r.L2Block))
			from := ""
			if bd.Sequencer != nil {
				from = " from the poster " + bd.Sequencer.Hex()
			}
			row("bond", "%s slashed%s: %s to challenger %s, %s burned", wallet.FormatEther(slashed), from,
				wallet.FormatEther(bigOf(bd.Reward)), r.Challenger.Hex(), wallet.FormatEther(bigOf(bd.Burned)))
		} else {
			row("verdict", "outputs from L2 block %d on deleted", uint64(r.L2Block))
			row("bond", "none left to slash (the sequencer had not re-bonded since an earlier dispute); challenger %s", r.Challenger.Hex())
		}
	} else {
		row("verdict", "%s", r.Explanation)
	}
	if t := r.ChallengeTx; t != nil {
		row("challenge", "L1 tx %s in L1 block %d", t.Hash.Hex(), uint64(t.L1Block))
	}
	for _, n := range r.Notes {
		row("note", "%s", n)
	}
	return b.String()
}

func bigOf(v *hexutil.Big) *big.Int {
	if v == nil {
		return new(big.Int)
	}
	return v.ToInt()
}

// disputeListText is one line per dispute, newest first.
func disputeListText(reps []*dispute.Report) string {
	if len(reps) == 0 {
		return "no disputes: no challenge has succeeded\n"
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DISPUTE\tL2 BLOCK\tBATCH\tDIFFERS\tSLASHED\tCHALLENGER\tL1 BLOCK")
	for _, r := range reps {
		idx, batch, slashed, l1 := "-", "-", "-", "-"
		if r.Dispute != nil {
			idx = strconv.FormatUint(uint64(*r.Dispute), 10)
		}
		if r.BatchIndex != nil {
			batch = strconv.FormatUint(uint64(*r.BatchIndex), 10)
		}
		if r.Bond != nil {
			slashed = wallet.FormatEther(bigOf(r.Bond.Slashed))
		}
		if r.ChallengeTx != nil {
			l1 = strconv.FormatUint(uint64(r.ChallengeTx.L1Block), 10)
		}
		differs := strings.Join(r.Differs, ",")
		if differs == "" {
			differs = "-"
		}
		fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", idx, uint64(r.L2Block), batch, differs, slashed, r.Challenger.Hex(), l1)
	}
	w.Flush()
	return b.String()
}
