package wallet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
)

// Withdrawal statuses, as rollup_withdrawalStatus reports them, in the
// order a withdrawal goes through them.
const (
	// WithdrawalInitiated: in an unsafe L2 block; not posted to the L1 yet.
	WithdrawalInitiated = "initiated"
	// WithdrawalSafe: its batch is accepted on L1, in its challenge window.
	WithdrawalSafe = "safe"
	// WithdrawalFinalized: its batch is final; the L1 pays it at the end
	// of this or the next blocks.
	WithdrawalFinalized = "finalized"
	// WithdrawalPaid: the L1 bridge paid it.
	WithdrawalPaid = "paid"
)

// ErrNotAWithdrawal is returned when a receipt holds no WithdrawalInitiated
// log of the withdrawal queue.
var ErrNotAWithdrawal = errors.New("no withdrawal in this transaction")

// ErrWithdrawalNotPaid is returned when a withdrawal is not paid before
// the wait times out.
var ErrWithdrawalNotPaid = errors.New("withdrawal not paid yet")

// DefaultWithdrawalWait bounds a wait for a payout when no status tells
// how long it takes.
const DefaultWithdrawalWait = 5 * time.Minute

// WithdrawalRef names a withdrawal: exactly one of the L2 transaction that
// initiated it, its nonce, or the L1 operation of the forced withdrawal
// that did.
type WithdrawalRef struct {
	TxHash    *common.Hash
	Nonce     *uint64
	Operation *DepositID
}

// NonceRef names withdrawal nonce.
func NonceRef(nonce uint64) WithdrawalRef { return WithdrawalRef{Nonce: &nonce} }

// ParseWithdrawalRef reads what `wallet withdrawal status` takes: an L2
// transaction hash (0x and 64 hex digits), a nonce (decimal or 0x hex), or
// L1-BLOCK:INDEX for a forced withdrawal.
func ParseWithdrawalRef(s string) (WithdrawalRef, error) {
	if b, i, ok := strings.Cut(s, ":"); ok {
		block, err1 := strconv.ParseUint(b, 0, 64)
		index, err2 := strconv.ParseUint(i, 0, 64)
		if err1 != nil || err2 != nil {
			return WithdrawalRef{}, fmt.Errorf("%q is not L1-BLOCK:INDEX (two numbers, as `wallet force-withdraw` prints them)", s)
		}
		return WithdrawalRef{Operation: &DepositID{L1Block: block, Index: index}}, nil
	}
	if (strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X")) && len(s) == 2+2*common.HashLength {
		raw, err := hexutil.Decode(s)
		if err != nil {
			return WithdrawalRef{}, fmt.Errorf("%q is not a transaction hash: %w", s, err)
		}
		h := common.BytesToHash(raw)
		return WithdrawalRef{TxHash: &h}, nil
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return WithdrawalRef{}, fmt.Errorf("%q is neither an L2 transaction hash (0x and 64 hex digits), a withdrawal nonce, nor L1-BLOCK:INDEX", s)
	}
	return NonceRef(n), nil
}

// String names the withdrawal for messages.
func (r WithdrawalRef) String() string {
	switch {
	case r.TxHash != nil:
		return "the withdrawal of L2 transaction " + r.TxHash.Hex()
	case r.Nonce != nil:
		return fmt.Sprintf("withdrawal %d", *r.Nonce)
	case r.Operation != nil:
		return "the forced withdrawal at " + r.Operation.String()
	}
	return "no withdrawal"
}

// Arg is the reference as the command line takes it back.
func (r WithdrawalRef) Arg() string {
	switch {
	case r.TxHash != nil:
		return r.TxHash.Hex()
	case r.Nonce != nil:
		return strconv.FormatUint(*r.Nonce, 10)
	case r.Operation != nil:
		return fmt.Sprintf("%d:%d", r.Operation.L1Block, r.Operation.Index)
	}
	return ""
}

// rpcArg is the reference as rollup_withdrawalStatus takes it.
func (r WithdrawalRef) rpcArg() any {
	switch {
	case r.TxHash != nil:
		return *r.TxHash
	case r.Nonce != nil:
		return hexutil.Uint64(*r.Nonce)
	case r.Operation != nil:
		return map[string]hexutil.Uint64{"l1Block": hexutil.Uint64(r.Operation.L1Block), "index": hexutil.Uint64(r.Operation.Index)}
	}
	return nil
}

// WithdrawalLog is a withdrawal as the L2 withdrawal queue logged it.
type WithdrawalLog struct {
	Nonce  uint64
	From   common.Address
	To     common.Address
	Amount *big.Int
}

// WithdrawalFromReceipt returns the (first) withdrawal the queue logged in
// the receipt of an initiateWithdrawal transaction.
func WithdrawalFromReceipt(r *types.Receipt) (WithdrawalLog, error) {
	for _, l := range r.Logs {
		if l.Address != withdrawalqueue.Address || len(l.Topics) == 0 || l.Topics[0] != withdrawalqueue.InitiatedTopic() {
			continue
		}
		w, err := withdrawalqueue.ParseInitiated(l)
		if err != nil {
			return WithdrawalLog{}, fmt.Errorf("withdrawal log of %s: %w", r.TxHash, err)
		}
		return WithdrawalLog{Nonce: w.Nonce, From: w.From, To: w.To, Amount: w.Amount}, nil
	}
	return WithdrawalLog{}, fmt.Errorf("%w: %s has %d logs, none a WithdrawalInitiated of %s", ErrNotAWithdrawal, r.TxHash, len(r.Logs),
		withdrawalqueue.Address)
}

// WithdrawalStatus is where the L2 sequencer says a withdrawal is
// (rollup_withdrawalStatus). Optional numbers are absent until known.
type WithdrawalStatus struct {
	Nonce     uint64         `json:"nonce"`
	From      common.Address `json:"from"`
	To        common.Address `json:"to"`
	Amount    string         `json:"amount"`
	AmountEth string         `json:"amountEth"`
	// L2Block and L2BlockHash name the L2 block that initiated it, L2TxHash
	// its transaction, or L1Operation the forced withdrawal that made it.
	L2Block     uint64       `json:"l2Block"`
	L2BlockHash common.Hash  `json:"l2BlockHash"`
	L2TxHash    *common.Hash `json:"l2TxHash,omitempty"`
	L1Operation *DepositID   `json:"l1Operation,omitempty"`
	// Status is WithdrawalInitiated, WithdrawalSafe, WithdrawalFinalized or
	// WithdrawalPaid.
	Status string `json:"status"`
	// BatchIndex and AcceptedL1Block name its L1 batch once posted.
	BatchIndex      *uint64 `json:"batchIndex,omitempty"`
	AcceptedL1Block *uint64 `json:"acceptedL1Block,omitempty"`
	// ChallengeWindow is W in L1 blocks (unknown until a batch finalized).
	ChallengeWindow *uint64 `json:"challengeWindow,omitempty"`
	// PayoutL1Block is the L1 block whose end-of-block hook pays it.
	PayoutL1Block *uint64 `json:"payoutL1Block,omitempty"`
	// L1Head is the L1 block the answer was read at; L1BlockTimeMs the L1
	// block time measured over the last blocks.
	L1Head        uint64 `json:"l1Head"`
	L1BlockTimeMs uint64 `json:"l1BlockTimeMs"`
	// BlocksLeft and SecondsLeft count down to the payout (a lower bound
	// while initiated).
	BlocksLeft  *uint64 `json:"blocksLeft,omitempty"`
	SecondsLeft *uint64 `json:"secondsLeft,omitempty"`
	// PaidL1Block and PaidL1BlockHash name the L1 block that paid it (by its
	// end-of-block hook: a payout has no transaction).
	PaidL1Block     *uint64      `json:"paidL1Block,omitempty"`
	PaidL1BlockHash *common.Hash `json:"paidL1BlockHash,omitempty"`
}

// withdrawalStatusJSON is the rollup_withdrawalStatus result.
type withdrawalStatusJSON struct {
	Nonce       hexutil.Uint64 `json:"nonce"`
	From        common.Address `json:"from"`
	To          common.Address `json:"to"`
	Amount      *hexutil.Big   `json:"amount"`
	L2Block     hexutil.Uint64 `json:"l2Block"`
	L2BlockHash common.Hash    `json:"l2BlockHash"`
	L2TxHash    *common.Hash   `json:"l2TxHash"`
	L1Operation *struct {
		L1Block hexutil.Uint64 `json:"l1Block"`
		Index   hexutil.Uint64 `json:"index"`
	} `json:"l1Operation"`
	Status          string          `json:"status"`
	BatchIndex      *hexutil.Uint64 `json:"batchIndex"`
	AcceptedL1Block *hexutil.Uint64 `json:"acceptedL1Block"`
	ChallengeWindow *hexutil.Uint64 `json:"challengeWindow"`
	PayoutL1Block   *hexutil.Uint64 `json:"payoutL1Block"`
	L1Head          hexutil.Uint64  `json:"l1Head"`
	L1BlockTimeMs   hexutil.Uint64  `json:"l1BlockTimeMs"`
	BlocksLeft      *hexutil.Uint64 `json:"blocksLeft"`
	SecondsLeft     *hexutil.Uint64 `json:"secondsLeft"`
	PaidL1Block     *hexutil.Uint64 `json:"paidL1Block"`
	PaidL1BlockHash *common.Hash    `json:"paidL1BlockHash"`
}

func optU64(v *hexutil.Uint64) *uint64 {
	if v == nil {
		return nil
	}
	n := uint64(*v)
	return &n
}

// status turns the RPC answer into a WithdrawalStatus.
func (j *withdrawalStatusJSON) status() *WithdrawalStatus {
	amount := new(big.Int)
	if j.Amount != nil {
		amount = j.Amount.ToInt()
	}
	st := &WithdrawalStatus{Nonce: uint64(j.Nonce), From: j.From, To: j.To, Amount: amount.String(), AmountEth: EtherDecimal(amount),
		L2Block: uint64(j.L2Block), L2BlockHash: j.L2BlockHash, L2TxHash: j.L2TxHash, Status: j.Status,
		BatchIndex: optU64(j.BatchIndex), AcceptedL1Block: optU64(j.AcceptedL1Block), ChallengeWindow: optU64(j.ChallengeWindow),
		PayoutL1Block: optU64(j.PayoutL1Block), L1Head: uint64(j.L1Head), L1BlockTimeMs: uint64(j.L1BlockTimeMs),
		BlocksLeft: optU64(j.BlocksLeft), SecondsLeft: optU64(j.SecondsLeft), PaidL1Block: optU64(j.PaidL1Block),
		PaidL1BlockHash: j.PaidL1BlockHash}
	if op := j.L1Operation; op != nil {
		st.L1Operation = &DepositID{L1Block: uint64(op.L1Block), Index: uint64(op.Index)}
	}
	return st
}

// rollupCall calls a rollup_ method of the sequencer at c; a node without
// it is ErrNotAnL2, one that reads no L1 is told so.
func (c *Client) rollupCall(ctx context.Context, result any, what, method string, args ...any) error {
	err := c.rpc.CallContext(ctx, result, method, args...)
	if rpcErr, ok := errors.AsType[rpc.Error](err); ok && rpcErr.ErrorCode() == -32601 {
		return fmt.Errorf("%w: %s does not serve %s: point --l2-rpc at the sequencer's L2 RPC", ErrNotAnL2, c.url, method)
	}
	if err != nil && strings.Contains(err.Error(), "does not read the L1") {
		return fmt.Errorf("%w: %s: %s reads no L1, so it cannot say where a withdrawal is: point --l2-rpc at the sequencer's L2 RPC",
			ErrNotAnL2, what, c.url)
	}
	if err != nil {
		return c.wrap(what, err)
	}
	return nil
}

// WithdrawalStatus asks the L2 sequencer at c where withdrawal ref is.
func (c *Client) WithdrawalStatus(ctx context.Context, ref WithdrawalRef) (*WithdrawalStatus, error) {
	var res withdrawalStatusJSON
	if err := c.rollupCall(ctx, &res, "read the status of "+ref.String(), "rollup_withdrawalStatus", ref.rpcArg()); err != nil {
		return nil, err
	}
	switch res.Status {
	case WithdrawalInitiated, WithdrawalSafe, WithdrawalFinalized, WithdrawalPaid:
	default:
		return nil, fmt.Errorf("%s: %s answers the unknown status %q", ref, c.url, res.Status)
	}
	return res.status(), nil
}

// blocks renders a count of L1 blocks.
func blocks(n uint64) string {
	if n == 1 {
		return "1 block"
	}
	return fmt.Sprintf("%d blocks", n)
}

// left renders the blocks and seconds left, "27 blocks, ~54s left".
func (st *WithdrawalStatus) left(atLeast bool) string {
	if st.BlocksLeft == nil {
		return ""
	}
	s := blocks(*st.BlocksLeft)
	if atLeast {
		s = "at least " + s
	}
	if st.SecondsLeft != nil {
		s += fmt.Sprintf(", ~%s", time.Duration(*st.SecondsLeft)*time.Second)
	}
	return s + " left"
}

// Where is a one-line account of where the withdrawal is and the time left.
func (st *WithdrawalStatus) Where() string {
	batch := "its batch"
	if st.BatchIndex != nil {
		batch = fmt.Sprintf("batch %d", *st.BatchIndex)
	}
	accepted := ""
	if st.AcceptedL1Block != nil {
		accepted = fmt.Sprintf(" accepted at L1 block %d", *st.AcceptedL1Block)
	}
	switch st.Status {
	case WithdrawalInitiated:
		s := "initiated: in an unsafe L2 block; the sequencer posts it to the L1 within a few blocks, then the challenge window"
		if st.ChallengeWindow != nil {
			s += fmt.Sprintf(" of %s", blocks(*st.ChallengeWindow))
		}
		s += " runs"
		if l := st.left(true); l != "" {
			s += " — " + l
		}
		return s
	case WithdrawalSafe:
		s := "safe: " + batch + accepted
		if st.PayoutL1Block == nil {
			return s + "; paid when its challenge window ends (its length shows once a first batch has finalized)"
		}
		return s + fmt.Sprintf("; payout at L1 block %d — %s", *st.PayoutL1Block, st.left(false))
	case WithdrawalFinalized:
		s := "finalized: " + batch + " is final"
		if st.PayoutL1Block != nil {
			s += fmt.Sprintf("; payouts are queued, this one comes with L1 block %d — %s", *st.PayoutL1Block, st.left(false))
		}
		return s
	case WithdrawalPaid:
		s := "paid"
		if st.PaidL1Block != nil {
			s += fmt.Sprintf(" in L1 block %d by its end-of-block payout", *st.PaidL1Block)
		}
		if st.BatchIndex != nil {
			s += " (" + batch + accepted
			if st.AcceptedL1Block != nil && st.ChallengeWindow != nil {
				s += fmt.Sprintf(", final at L1 block %d", *st.AcceptedL1Block+*st.ChallengeWindow)
			}
			s += ")"
		}
		return s
	}
	return st.Status
}

// Headline reads "withdrawal 3: 1.5 ETH from 0x… (L2) to 0x… (L1)".
func (st *WithdrawalStatus) Headline() string {
	return fmt.Sprintf("withdrawal %d: %s ETH from %s (L2) to %s (L1)", st.Nonce, st.AmountEth, st.From, st.To)
}

// origin says what initiated the withdrawal.
func (st *WithdrawalStatus) origin() string {
	s := fmt.Sprintf("in L2 block %d (%s)", st.L2Block, st.L2BlockHash)
	switch {
	case st.L2TxHash != nil:
		s += " by L2 tx " + st.L2TxHash.Hex()
	case st.L1Operation != nil:
		s += " by the forced withdrawal at " + st.L1Operation.String()
	}
	return s
}

// Text renders the status for people.
func (st *WithdrawalStatus) Text() string {
	var b strings.Builder
	fmt.Fprintln(&b, st.Headline())
	fmt.Fprintf(&b, "%-10s %s\n", "initiated", st.origin())
	fmt.Fprintf(&b, "%-10s %s\n", "status", st.Where())
	fmt.Fprintf(&b, "%-10s L1 head %d, L1 blocks every %s\n", "l1", st.L1Head, time.Duration(st.L1BlockTimeMs)*time.Millisecond)
	return b.String()
}

// DefaultWithdrawalTimeout is how long to wait for a payout from status
// st: the seconds it says are left, plus a minute (plus one more while the
// batch is not posted); DefaultWithdrawalWait when st does not say.
func DefaultWithdrawalTimeout(st *WithdrawalStatus) time.Duration {
	if st == nil || st.SecondsLeft == nil {
		return DefaultWithdrawalWait
	}
	d := time.Duration(*st.SecondsLeft)*time.Second + time.Minute
	if st.Status == WithdrawalInitiated {
		d += time.Minute
	}
	return d
}

// WithdrawalProgress is what a wait for a payout reports while it waits.
type WithdrawalProgress struct {
	// Ref is the withdrawal waited for.
	Ref WithdrawalRef
	// Waited is the time waited so far; Left the time before the wait
	// gives up.
	Waited, Left time.Duration
	// Last is the sequencer's last answer (nil before the first); LastErr
	// the failure of the asks since.
	Last    *WithdrawalStatus
	LastErr error
}

// Text is a one-line progress report: the status, the blocks and seconds
// left, and how long the wait has gone on.
func (p WithdrawalProgress) Text() string {
	var b strings.Builder
	if p.Last == nil {
		fmt.Fprintf(&b, "%s: no answer from the sequencer yet", p.Ref)
	} else {
		fmt.Fprintf(&b, "withdrawal %d %s", p.Last.Nonce, p.Last.Where())
	}
	fmt.Fprintf(&b, " (waited %s, giving up in %s)", p.Waited.Round(time.Second), p.Left.Round(time.Second))
	if p.LastErr != nil {
		fmt.Fprintf(&b, " [last ask failed: %v]", p.LastErr)
	}
	return b.String()
}

// WithdrawalWaitOptions tunes WaitWithdrawal.
type WithdrawalWaitOptions struct {
	// Timeout bounds the wait (required, > 0; DefaultWithdrawalTimeout
	// picks one from a first status).
	Timeout time.Duration
	// Poll is how often to ask the sequencer (default 1s).
	Poll time.Duration
	// Progress, if set, is called every ProgressEvery (default 1s).
	Progress      func(WithdrawalProgress)
	ProgressEvery time.Duration
}

// WaitWithdrawal polls the L2 sequencer at c until it reports withdrawal
// ref paid, ctx ends or opts.Timeout passes. A sequencer that does not
// answer for a moment is asked again; one that is not an L2 (or reads no
// L1) fails the wait at once. On timeout the error wraps
// ErrWithdrawalNotPaid and says where the withdrawal was.
func (c *Client) WaitWithdrawal(ctx context.Context, ref WithdrawalRef, opts WithdrawalWaitOptions) (*WithdrawalStatus, error) {
	return waitWithdrawal(ctx, ref, opts, func(ctx context.Context) (*WithdrawalStatus, error) { return c.WithdrawalStatus(ctx, ref) })
}

// waitWithdrawal is WaitWithdrawal over any source of statuses.
func waitWithdrawal(ctx context.Context, ref WithdrawalRef, opts WithdrawalWaitOptions,
	fetch func(context.Context) (*WithdrawalStatus, error)) (*WithdrawalStatus, error) {
	if opts.Timeout <= 0 {
		return nil, fmt.Errorf("wait for %s: no timeout given", ref)
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	spec := pollSpec[*WithdrawalStatus]{timeout: opts.Timeout, every: opts.Poll, progressEvery: opts.ProgressEvery,
		fetch: fetch, fatal: func(err error) bool { return errors.Is(err, ErrNotAnL2) },
		done: func(st *WithdrawalStatus) bool { return st.Status == WithdrawalPaid }}
	if opts.Progress != nil {
		spec.progress = func(waited, left time.Duration, last *WithdrawalStatus, _ bool, lastErr error) {
			opts.Progress(WithdrawalProgress{Ref: ref, Waited: waited, Left: left, Last: last, LastErr: lastErr})
		}
	}
	res, err := poll(ctx, spec)
	switch {
	case err == nil:
		return res.last, nil
	case errors.Is(err, errPollTimeout):
		return res.last, withdrawalTimeout(ref, opts.Timeout, res.last, res.lastErr)
	case errors.Is(err, ErrNotAnL2):
		return res.last, err
	}
	return res.last, fmt.Errorf("wait for %s: %w", ref, err)
}

// withdrawalTimeout explains a payout wait that timed out.
func withdrawalTimeout(ref WithdrawalRef, timeout time.Duration, last *WithdrawalStatus, lastErr error) error {
	where := "the sequencer never answered"
	check := ref.Arg()
	if last != nil {
		where = "last status " + last.Where()
		check = strconv.FormatUint(last.Nonce, 10)
	}
	if lastErr != nil {
		where += fmt.Sprintf(" (last error: %v)", lastErr)
	}
	return fmt.Errorf("%w after %s: %s (%s). Nothing is lost: the L1 pays it by itself once its batch is final; "+
		"check with `wallet withdrawal status %s`", ErrWithdrawalNotPaid, timeout, ref, where, check)
}

// WithdrawalSummary is what `wallet withdraw` prints, in text or as JSON.
type WithdrawalSummary struct {
	// L2Tx is the L2 transaction that initiated the withdrawal, with its
	// receipt.
	L2Tx *TxSummary `json:"l2Tx"`
	// Withdrawal is its last status: paid after a wait, initiated with
	// --no-wait.
	Withdrawal *WithdrawalStatus `json:"withdrawal"`
	// Waited is the time from sending the L2 transaction to the answer.
	Waited string `json:"waited"`
}

// InitiatedStatus is the status of withdrawal w, initiated by the L2
// transaction with receipt r, as the wallet knows it without asking.
func InitiatedStatus(w WithdrawalLog, r *types.Receipt) *WithdrawalStatus {
	st := &WithdrawalStatus{Nonce: w.Nonce, From: w.From, To: w.To, Amount: w.Amount.String(), AmountEth: EtherDecimal(w.Amount),
		L2BlockHash: r.BlockHash, Status: WithdrawalInitiated}
	if r.BlockNumber != nil {
		st.L2Block = r.BlockNumber.Uint64()
	}
	h := r.TxHash
	st.L2TxHash = &h
	return st
}

// NewWithdrawalSummary describes withdrawal st made by the L2 transaction
// l2Tx, waited for as long as waited.
func NewWithdrawalSummary(l2Tx *TxSummary, st *WithdrawalStatus, waited time.Duration) *WithdrawalSummary {
	return &WithdrawalSummary{L2Tx: l2Tx, Withdrawal: st, Waited: waited.Round(100 * time.Millisecond).String()}
}

// Text renders the summary for people.
func (s *WithdrawalSummary) Text() string {
	var b strings.Builder
	st := s.Withdrawal
	fmt.Fprintln(&b, st.Headline())
	if t := s.L2Tx; t != nil && t.Receipt != nil {
		fee := t.Receipt.FeeEth
		if t.Receipt.TotalFeeEth != "" {
			fee = t.Receipt.TotalFeeEth
		}
		fmt.Fprintf(&b, "%-10s %s in L2 block %d, fee %s ETH\n", "l2 tx", t.Hash, t.Receipt.BlockNumber, fee)
	}
	switch st.Status {
	case WithdrawalPaid:
		fmt.Fprintf(&b, "%-10s %s, %s after sending\n", "status", st.Where(), s.Waited)
	case WithdrawalInitiated:
		fmt.Fprintf(&b, "%-10s initiated; the L1 pays it by itself once its batch is posted and final: `wallet withdrawal status %d`\n",
			"status", st.Nonce)
	default:
		fmt.Fprintf(&b, "%-10s %s\n", "status", st.Where())
	}
	return b.String()
}
