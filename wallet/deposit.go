package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Deposit statuses, as rollup_depositStatus reports them, and the one the
// wallet reports when it did not wait for the L2.
const (
	// DepositApplied: the deposit is in an L2 block.
	DepositApplied = "applied"
	// DepositPending: the sequencer has seen the deposit on L1; its L2
	// origin has not reached the deposit's L1 block yet.
	DepositPending = "pending"
	// DepositUnknown: the sequencer has not read the deposit's L1 block yet.
	DepositUnknown = "unknown"
	// DepositOnL1 is the wallet's status of a deposit whose L1 transaction
	// succeeded when it did not wait for the L2 (deposit --no-wait).
	DepositOnL1 = "l1-included"
)

// ErrNotADeposit is returned when a receipt holds no bridge Deposit log.
var ErrNotADeposit = errors.New("no bridge deposit in this transaction")

// ErrDepositNotApplied is returned when a deposit is not applied on the L2
// before the wait times out.
var ErrDepositNotApplied = errors.New("deposit not applied on L2")

// ErrNotAnL2 is returned when the node asked for a deposit's status does
// not serve the rollup_ namespace.
var ErrNotAnL2 = errors.New("not an L2 sequencer")

// DepositID names an L1 bridge operation: its L1 block and its index among
// that block's operations.
type DepositID struct {
	L1Block uint64 `json:"l1Block"`
	Index   uint64 `json:"index"`
}

// String reads "L1 block 12, index 0".
func (id DepositID) String() string {
	return fmt.Sprintf("L1 block %d, index %d", id.L1Block, id.Index)
}

// DepositLog is a deposit as the L1 bridge recorded it.
type DepositLog struct {
	DepositID
	From   common.Address
	To     common.Address
	Amount *big.Int
}

// DepositFromReceipt returns the deposit that the bridge recorded in the
// receipt of a deposit(l2Recipient) transaction.
func DepositFromReceipt(r *types.Receipt) (DepositLog, error) {
	for _, log := range r.Logs {
		if log.Address != bridge.Address {
			continue
		}
		op, err := bridge.ParseDeposit(log)
		if err != nil {
			continue // another bridge event
		}
		return DepositLog{DepositID: DepositID{L1Block: uint64(op.L1Block), Index: op.Index},
			From: op.From, To: op.To, Amount: op.Amount}, nil
	}
	return DepositLog{}, fmt.Errorf("%w: %s has %d logs, none a Deposit of %s", ErrNotADeposit, r.TxHash, len(r.Logs), bridge.Address)
}

// DepositStatus is where the L2 sequencer says a deposit is
// (rollup_depositStatus).
type DepositStatus struct {
	DepositID
	// Status is DepositApplied, DepositPending, DepositUnknown or, for a
	// forced operation the L2 balance could not cover, OperationFailed.
	Status string `json:"status"`
	// Reason says why a failed operation failed.
	Reason string `json:"reason,omitempty"`
	// L2Block and L2BlockHash name the L2 block that applied it (once
	// applied).
	L2Block     *uint64      `json:"l2Block,omitempty"`
	L2BlockHash *common.Hash `json:"l2BlockHash,omitempty"`
	// L2Origin is the L1 origin of the sequencer's head: the deposit is
	// applied once it reaches the deposit's L1 block.
	L2Origin uint64 `json:"l2Origin"`
	// L1Head is the newest L1 block the sequencer has read.
	L1Head uint64 `json:"l1Head"`
}

// Text renders the status for people.
func (st *DepositStatus) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-10s %s\n", "id", st.DepositID)
	switch {
	case st.Status == DepositApplied && st.L2Block != nil && st.L2BlockHash != nil:
		fmt.Fprintf(&b, "%-10s applied in L2 block %d (%s)\n", "status", *st.L2Block, *st.L2BlockHash)
	case st.Status == OperationFailed && st.L2Block != nil:
		fmt.Fprintf(&b, "%-10s failed in L2 block %d, nothing moved: %s\n", "status", *st.L2Block, st.Reason)
	case st.Status == DepositPending:
		fmt.Fprintf(&b, "%-10s pending: seen on L1, applied when the L2 origin (now %d) reaches L1 block %d\n", "status", st.L2Origin, st.L1Block)
	default:
		fmt.Fprintf(&b, "%-10s unknown to the sequencer (it has read the L1 up to block %d)\n", "status", st.L1Head)
	}
	fmt.Fprintf(&b, "%-10s L1 head %d, L2 origin %d\n", "sequencer", st.L1Head, st.L2Origin)
	return b.String()
}

// depositStatusJSON is the rollup_depositStatus result.
type depositStatusJSON struct {
	Status      string          `json:"status"`
	L2Block     *hexutil.Uint64 `json:"l2Block"`
	L2BlockHash *common.Hash    `json:"l2BlockHash"`
	L2Origin    hexutil.Uint64  `json:"l2Origin"`
	L1Head      hexutil.Uint64  `json:"l1Head"`
	Reason      string          `json:"reason"`
}

// DepositStatus asks the L2 sequencer at c where deposit id is.
func (c *Client) DepositStatus(ctx context.Context, id DepositID) (*DepositStatus, error) {
	var res depositStatusJSON
	err := c.rpc.CallContext(ctx, &res, "rollup_depositStatus", hexutil.Uint64(id.L1Block), hexutil.Uint64(id.Index))
	if rpcErr, ok := errors.AsType[rpc.Error](err); ok && rpcErr.ErrorCode() == -32601 {
		return nil, fmt.Errorf("%w: %s does not serve rollup_depositStatus: point --l2-rpc at the sequencer's L2 RPC", ErrNotAnL2, c.url)
	}
	if err != nil {
		return nil, c.wrap(fmt.Sprintf("read the status of deposit %s", id), err)
	}
	st := &DepositStatus{DepositID: id, Status: res.Status, Reason: res.Reason, L2BlockHash: res.L2BlockHash, L2Origin: uint64(res.L2Origin), L1Head: uint64(res.L1Head)}
	if res.L2Block != nil {
		n := uint64(*res.L2Block)
		st.L2Block = &n
	}
	switch st.Status {
	case DepositApplied, OperationFailed:
		if st.L2Block == nil || st.L2BlockHash == nil {
			return nil, fmt.Errorf("deposit %s: %s says applied but names no L2 block", id, c.url)
		}
	case DepositPending, DepositUnknown:
	default:
		return nil, fmt.Errorf("deposit %s: %s answers the unknown status %q", id, c.url, st.Status)
	}
	return st, nil
}

// DepositProgress is what a wait for a deposit reports while it waits.
type DepositProgress struct {
	// ID is the deposit waited for.
	ID DepositID
	// Waited is the time waited so far; Left the time before the wait
	// gives up.
	Waited, Left time.Duration
	// Last is the sequencer's last answer (nil before the first).
	Last *DepositStatus
}

// Text is a one-line progress report: the time waited and left, the L1
// head against the deposit's L1 block, and the L2 origin.
func (p DepositProgress) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "waiting for the L2 to apply the deposit: %s (%s left); deposit in L1 block %d",
		p.Waited.Round(100*time.Millisecond), p.Left.Round(time.Second), p.ID.L1Block)
	if p.Last == nil {
		b.WriteString(", no answer from the sequencer yet")
		return b.String()
	}
	fmt.Fprintf(&b, ", L1 head %d, L2 origin %d", p.Last.L1Head, p.Last.L2Origin)
	switch {
	case p.Last.Status == DepositUnknown && p.Last.L1Head < p.ID.L1Block:
		b.WriteString(" (the sequencer has not read that L1 block yet)")
	case p.Last.Status == DepositPending:
		fmt.Fprintf(&b, " (applied when the origin reaches %d)", p.ID.L1Block)
	}
	return b.String()
}

// DepositWaitOptions tunes WaitDeposit.
type DepositWaitOptions struct {
	// Timeout bounds the wait (required, > 0).
	Timeout time.Duration
	// Poll is how often to ask the sequencer (default 250ms).
	Poll time.Duration
	// Progress, if set, is called every ProgressEvery (default 1s).
	Progress      func(DepositProgress)
	ProgressEvery time.Duration
}

// WaitDeposit polls the L2 sequencer at c until it reports deposit id
// applied, ctx ends or opts.Timeout passes. A sequencer that does not
// answer for a moment is asked again; one that is not an L2 fails the
// wait at once. On timeout the error wraps ErrDepositNotApplied, says
// where the deposit was and how to check again.
func (c *Client) WaitDeposit(ctx context.Context, id DepositID, opts DepositWaitOptions) (*DepositStatus, error) {
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	poll := time.NewTicker(opts.Poll)
	defer poll.Stop()
	progress := time.NewTicker(opts.ProgressEvery)
	defer progress.Stop()
	var last *DepositStatus
	var lastErr error
	for {
		st, err := c.DepositStatus(ctx, id)
		switch {
		case err == nil:
			last, lastErr = st, nil
			if st.Status == DepositApplied || st.Status == OperationFailed {
				return st, nil // applied either way: a failed one is final too
			}
		case errors.Is(err, ErrNotAnL2):
			return nil, err
		case ctx.Err() == nil:
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return last, depositTimeout(id, opts.Timeout, last, lastErr)
			}
			return last, fmt.Errorf("wait for deposit %s: %w", id, ctx.Err())
		case <-progress.C:
			if opts.Progress != nil {
				waited := time.Since(start)
				opts.Progress(DepositProgress{ID: id, Waited: waited, Left: max(opts.Timeout-waited, 0), Last: last})
			}
		case <-poll.C:
		}
	}
}

// depositTimeout explains a deposit wait that timed out.
func depositTimeout(id DepositID, timeout time.Duration, last *DepositStatus, lastErr error) error {
	where := "the sequencer never answered"
	if last != nil {
		where = fmt.Sprintf("last status %s: L2 origin %d, sequencer's L1 head %d", last.Status, last.L2Origin, last.L1Head)
	}
	if lastErr != nil {
		where += fmt.Sprintf(" (last error: %v)", lastErr)
	}
	return fmt.Errorf("%w after %s (%s; %s). The funds are locked in the L1 bridge and the L2 applies the deposit "+
		"once it reaches L1 block %d: check with `wallet deposit-status %d %d`",
		ErrDepositNotApplied, timeout, id, where, id.L1Block, id.L1Block, id.Index)
}

// DepositSummary is what the wallet prints about a deposit, in text or as
// JSON.
type DepositSummary struct {
	// L1Tx is the L1 transaction that made the deposit, with its receipt.
	L1Tx *TxSummary `json:"l1Tx"`
	DepositID
	From common.Address `json:"from"`
	// To is the L2 recipient.
	To        common.Address `json:"to"`
	Amount    string         `json:"amount"`
	AmountEth string         `json:"amountEth"`
	// Status is DepositApplied, or DepositOnL1 when the wallet did not
	// wait for the L2.
	Status string `json:"status"`
	// L2Block and L2BlockHash name the L2 block that applied the deposit.
	L2Block     *uint64      `json:"l2Block,omitempty"`
	L2BlockHash *common.Hash `json:"l2BlockHash,omitempty"`
	// Waited is how long the deposit took from sending the L1 transaction
	// to the answer ("1.8s").
	Waited string `json:"waited"`
}

// NewDepositSummary describes deposit d made by the L1 transaction l1Tx.
// st is its L2 status once applied, or nil when the wallet did not wait.
func NewDepositSummary(l1Tx *TxSummary, d DepositLog, st *DepositStatus, waited time.Duration) *DepositSummary {
	s := &DepositSummary{L1Tx: l1Tx, DepositID: d.DepositID, From: d.From, To: d.To,
		Amount: d.Amount.String(), AmountEth: EtherDecimal(d.Amount), Status: DepositOnL1,
		Waited: waited.Round(100 * time.Millisecond).String()}
	if st != nil {
		s.Status, s.L2Block, s.L2BlockHash = st.Status, st.L2Block, st.L2BlockHash
	}
	return s
}

// Text renders the summary for people.
func (s *DepositSummary) Text() string {
	var b strings.Builder
	line := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-10s %s\n", name, fmt.Sprintf(format, args...))
	}
	line("deposit", "%s ETH from %s (L1) to %s (L2)", s.AmountEth, s.From, s.To)
	if t := s.L1Tx; t != nil && t.Receipt != nil {
		line("l1 tx", "%s in L1 block %d, fee %s ETH", t.Hash, t.Receipt.BlockNumber, t.Receipt.FeeEth)
	}
	line("id", "%s", s.DepositID)
	switch {
	case s.Status == DepositApplied && s.L2Block != nil && s.L2BlockHash != nil:
		line("status", "applied in L2 block %d (%s), %s after sending", *s.L2Block, *s.L2BlockHash, s.Waited)
	case s.Status == DepositOnL1:
		line("status", "included on L1; the L2 applies it within seconds: `wallet deposit-status %d %d`", s.L1Block, s.Index)
	default:
		line("status", "%s", s.Status)
	}
	return b.String()
}
