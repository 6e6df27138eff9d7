package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
)

// OperationFailed is the status rollup_depositStatus gives a forced
// operation that the L2 applied and recorded as failed (its sender's L2
// balance could not cover it): it changed nothing on the L2.
const OperationFailed = "failed"

// Kinds of the L1 bridge's forced operations, as rollup_depositStatus and
// the summaries name them.
var (
	KindForceWithdrawal = block.OpForceWithdrawal.String()
	KindForceTransfer   = block.OpForceTransfer.String()
)

// ErrNotAnOperation is returned when a receipt holds no log of the bridge
// operation looked for.
var ErrNotAnOperation = errors.New("no such bridge operation in this transaction")

// ErrOperationNotApplied is returned when a forced operation is not
// applied on the L2 before the wait times out.
var ErrOperationNotApplied = errors.New("forced operation not applied on L2")

// OperationLog is an L1 bridge operation (a deposit or a forced
// operation) as the bridge logged it.
type OperationLog struct {
	DepositID
	// Kind is "deposit", KindForceWithdrawal or KindForceTransfer.
	Kind   string
	From   common.Address
	To     common.Address
	Amount *big.Int
}

// OperationFromReceipt returns the bridge operation of kind (a
// block.OpKind name: KindForceWithdrawal, KindForceTransfer or "deposit")
// logged in receipt r.
func OperationFromReceipt(r *types.Receipt, kind string) (OperationLog, error) {
	for _, l := range r.Logs {
		if l.Address != bridge.Address {
			continue
		}
		op, err := bridge.ParseOperation(l)
		if err != nil || op.Kind.String() != kind {
			continue
		}
		return OperationLog{DepositID: DepositID{L1Block: uint64(op.L1Block), Index: op.Index}, Kind: kind,
			From: op.From, To: op.To, Amount: op.Amount}, nil
	}
	return OperationLog{}, fmt.Errorf("%w: %s has %d logs, none a %s of the bridge %s", ErrNotAnOperation, r.TxHash, len(r.Logs), kind, bridge.Address)
}

// OperationStatus is where the L2 sequencer says an L1 bridge operation is
// (rollup_depositStatus), forced operations and their failures included.
type OperationStatus struct {
	DepositID
	// Kind is the operation's kind, once the sequencer has seen it.
	Kind string `json:"kind,omitempty"`
	// Status is DepositApplied, OperationFailed, DepositPending or
	// DepositUnknown.
	Status string `json:"status"`
	// Reason says why a failed operation failed.
	Reason string `json:"reason,omitempty"`
	// L2Block and L2BlockHash name the L2 block that applied it.
	L2Block     *uint64      `json:"l2Block,omitempty"`
	L2BlockHash *common.Hash `json:"l2BlockHash,omitempty"`
	// L2Origin is the L1 origin of the sequencer's head, L1Head the newest
	// L1 block it has read.
	L2Origin uint64 `json:"l2Origin"`
	L1Head   uint64 `json:"l1Head"`
}

// operationStatusJSON is the rollup_depositStatus result.
type operationStatusJSON struct {
	Status      string          `json:"status"`
	Kind        string          `json:"kind"`
	Reason      string          `json:"reason"`
	L2Block     *hexutil.Uint64 `json:"l2Block"`
	L2BlockHash *common.Hash    `json:"l2BlockHash"`
	L2Origin    hexutil.Uint64  `json:"l2Origin"`
	L1Head      hexutil.Uint64  `json:"l1Head"`
}

// OperationStatus asks the L2 sequencer at c where the bridge operation id
// is: applied, failed (with the reason), pending or unknown.
func (c *Client) OperationStatus(ctx context.Context, id DepositID) (*OperationStatus, error) {
	var res operationStatusJSON
	if err := c.rollupCall(ctx, &res, fmt.Sprintf("read the status of operation %s", id), "rollup_depositStatus",
		hexutil.Uint64(id.L1Block), hexutil.Uint64(id.Index)); err != nil {
		return nil, err
	}
	st := &OperationStatus{DepositID: id, Kind: res.Kind, Status: res.Status, Reason: res.Reason, L2Block: optU64(res.L2Block),
		L2BlockHash: res.L2BlockHash, L2Origin: uint64(res.L2Origin), L1Head: uint64(res.L1Head)}
	switch st.Status {
	case DepositApplied, OperationFailed:
		if st.L2Block == nil || st.L2BlockHash == nil {
			return nil, fmt.Errorf("operation %s: %s says %s but names no L2 block", id, c.url, st.Status)
		}
	case DepositPending, DepositUnknown:
	default:
		return nil, fmt.Errorf("operation %s: %s answers the unknown status %q", id, c.url, st.Status)
	}
	return st, nil
}

// Where is a one-line account of the operation's status.
func (st *OperationStatus) Where() string {
	switch st.Status {
	case DepositApplied:
		return fmt.Sprintf("applied in L2 block %d (%s)", *st.L2Block, *st.L2BlockHash)
	case OperationFailed:
		return fmt.Sprintf("failed in L2 block %d: %s", *st.L2Block, st.Reason)
	case DepositPending:
		return fmt.Sprintf("pending: seen on L1, applied when the L2 origin (now %d) reaches L1 block %d", st.L2Origin, st.L1Block)
	}
	return fmt.Sprintf("unknown to the sequencer (it has read the L1 up to block %d)", st.L1Head)
}

// OperationProgress is what a wait for a forced operation reports.
type OperationProgress struct {
	// ID is the operation waited for.
	ID DepositID
	// Waited is the time waited so far; Left the time before the wait
	// gives up.
	Waited, Left time.Duration
	// Last is the sequencer's last answer (nil before the first).
	Last *OperationStatus
}

// Text is a one-line progress report.
func (p OperationProgress) Text() string {
	where := "no answer from the sequencer yet"
	if p.Last != nil {
		where = p.Last.Where()
	}
	return fmt.Sprintf("waiting for the L2 to apply the operation at %s: %s (waited %s, giving up in %s)",
		p.ID, where, p.Waited.Round(time.Second), p.Left.Round(time.Second))
}

// OperationWaitOptions tunes WaitOperation.
type OperationWaitOptions struct {
	// Timeout bounds the wait (required, > 0).
	Timeout time.Duration
	// Poll is how often to ask the sequencer (default 250ms).
	Poll time.Duration
	// Progress, if set, is called every ProgressEvery (default 1s).
	Progress      func(OperationProgress)
	ProgressEvery time.Duration
}

// WaitOperation polls the L2 sequencer at c until it reports the bridge
// operation id applied or failed (a failure is an answer, not an error:
// the status carries the reason), ctx ends or opts.Timeout passes (an
// error wrapping ErrOperationNotApplied that says where it was).
func (c *Client) WaitOperation(ctx context.Context, id DepositID, opts OperationWaitOptions) (*OperationStatus, error) {
	return waitOperation(ctx, id, opts, func(ctx context.Context) (*OperationStatus, error) { return c.OperationStatus(ctx, id) })
}

// waitOperation is WaitOperation over any source of statuses.
func waitOperation(ctx context.Context, id DepositID, opts OperationWaitOptions,
	fetch func(context.Context) (*OperationStatus, error)) (*OperationStatus, error) {
	if opts.Timeout <= 0 {
		return nil, fmt.Errorf("wait for operation %s: no timeout given", id)
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	spec := pollSpec[*OperationStatus]{timeout: opts.Timeout, every: opts.Poll, progressEvery: opts.ProgressEvery,
		fetch: fetch, fatal: func(err error) bool { return errors.Is(err, ErrNotAnL2) },
		done: func(st *OperationStatus) bool { return st.Status == DepositApplied || st.Status == OperationFailed }}
	if opts.Progress != nil {
		spec.progress = func(waited, left time.Duration, last *OperationStatus, _ bool, _ error) {
			opts.Progress(OperationProgress{ID: id, Waited: waited, Left: left, Last: last})
		}
	}
	res, err := poll(ctx, spec)
	switch {
	case err == nil:
		return res.last, nil
	case errors.Is(err, errPollTimeout):
		where := "the sequencer never answered"
		if res.last != nil {
			where = "last status " + res.last.Where()
		}
		if res.lastErr != nil {
			where += fmt.Sprintf(" (last error: %v)", res.lastErr)
		}
		return res.last, fmt.Errorf("%w after %s (%s; %s). It is recorded on L1 and the L2 must apply it once its origin reaches "+
			"L1 block %d, sequencer or not: check with `wallet deposit-status %d %d`",
			ErrOperationNotApplied, opts.Timeout, id, where, id.L1Block, id.L1Block, id.Index)
	case errors.Is(err, ErrNotAnL2):
		return res.last, err
	}
	return res.last, fmt.Errorf("wait for operation %s: %w", id, err)
}

// Statuses of a ForcedSummary besides the L2's.
const (
	// ForcedOnL1 is the status of a forced operation whose L1 transaction
	// succeeded when the wallet did not wait for the L2 (--no-wait).
	ForcedOnL1 = "l1-included"
)

// ForcedSummary is what the wallet prints about a forced operation
// (force-withdraw, force-transfer), in text or as JSON.
type ForcedSummary struct {
	// L1Tx is the L1 transaction that recorded the operation.
	L1Tx *TxSummary `json:"l1Tx"`
	DepositID
	// Kind is KindForceWithdrawal or KindForceTransfer.
	Kind string         `json:"kind"`
	From common.Address `json:"from"`
	// To is the L2 recipient of a forced transfer, the L1 recipient (the
	// sender) of a forced withdrawal.
	To        common.Address `json:"to"`
	Amount    string         `json:"amount"`
	AmountEth string         `json:"amountEth"`
	// Status is DepositApplied, OperationFailed, or ForcedOnL1 when the
	// wallet did not wait for the L2.
	Status string `json:"status"`
	// Reason says why a failed operation failed.
	Reason string `json:"reason,omitempty"`
	// L2Block and L2BlockHash name the L2 block that applied it.
	L2Block     *uint64      `json:"l2Block,omitempty"`
	L2BlockHash *common.Hash `json:"l2BlockHash,omitempty"`
	// Withdrawal is the withdrawal a forced withdrawal initiated, with its
	// last status (paid after a full wait).
	Withdrawal *WithdrawalStatus `json:"withdrawal,omitempty"`
	// Waited is the time from sending the L1 transaction to the answer.
	Waited string `json:"waited"`
}

// NewForcedSummary describes the forced operation op made by the L1
// transaction l1Tx; st is its L2 status (nil when the wallet did not
// wait) and w the withdrawal a forced withdrawal initiated (or nil).
func NewForcedSummary(l1Tx *TxSummary, op OperationLog, st *OperationStatus, w *WithdrawalStatus, waited time.Duration) *ForcedSummary {
	s := &ForcedSummary{L1Tx: l1Tx, DepositID: op.DepositID, Kind: op.Kind, From: op.From, To: op.To,
		Amount: op.Amount.String(), AmountEth: EtherDecimal(op.Amount), Status: ForcedOnL1, Withdrawal: w,
		Waited: waited.Round(100 * time.Millisecond).String()}
	if st != nil {
		s.Status, s.Reason, s.L2Block, s.L2BlockHash = st.Status, st.Reason, st.L2Block, st.L2BlockHash
	}
	return s
}

// Text renders the summary for people.
func (s *ForcedSummary) Text() string {
	var b strings.Builder
	line := func(name, format string, args ...any) {
		fmt.Fprintf(&b, "%-10s %s\n", name, fmt.Sprintf(format, args...))
	}
	switch s.Kind {
	case KindForceWithdrawal:
		line("forced", "withdrawal of %s ETH from %s (L2) to %s (L1)", s.AmountEth, s.From, s.To)
	default:
		line("forced", "transfer of %s ETH from %s to %s (L2)", s.AmountEth, s.From, s.To)
	}
	if t := s.L1Tx; t != nil && t.Receipt != nil {
		line("l1 tx", "%s in L1 block %d, fee %s ETH", t.Hash, t.Receipt.BlockNumber, t.Receipt.FeeEth)
	}
	line("id", "%s", s.DepositID)
	switch {
	case s.Status == DepositApplied && s.L2Block != nil:
		line("status", "applied in L2 block %d (%s)", *s.L2Block, *s.L2BlockHash)
	case s.Status == OperationFailed && s.L2Block != nil:
		line("status", "failed in L2 block %d: %s", *s.L2Block, s.Reason)
		line("", "nothing moved on the L2; the L1 fee was paid")
	case s.Status == ForcedOnL1:
		line("status", "included on L1; the L2 must apply it once its origin reaches L1 block %d: `wallet deposit-status %d %d`",
			s.L1Block, s.L1Block, s.Index)
		if s.Kind == KindForceWithdrawal {
			line("", "then the L1 pays it by itself once its batch is final: `wallet withdrawal status %d:%d`", s.L1Block, s.Index)
		}
	default:
		line("status", "%s", s.Status)
	}
	if w := s.Withdrawal; w != nil {
		line("withdrawal", "nonce %d: %s", w.Nonce, w.Where())
		if w.Status != WithdrawalPaid {
			line("", "check with `wallet withdrawal status %d`", w.Nonce)
		}
	}
	if s.Status != ForcedOnL1 {
		line("waited", "%s after sending", s.Waited)
	}
	return b.String()
}
