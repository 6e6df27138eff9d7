package l1

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"sync"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
)

// Sender defaults.
const (
	// DefaultResendAfter is how many L1 blocks a transaction may stay out
	// of the chain before Wait re-sends it with bumped fees.
	DefaultResendAfter = 3
	// DefaultMaxFeeCapGwei is the default bound on a transaction's fee
	// cap, in gwei per gas.
	DefaultMaxFeeCapGwei = 1000
	// FeeBumpPermille is how much a re-send raises both the tip and the
	// fee cap, in thousandths: 12.5 %, above the 10 % the pool requires of
	// a replacement.
	FeeBumpPermille = 125
	// maxNonceResyncs bounds how often one Send moves past nonces used by
	// other transactions from the same key before giving up.
	maxNonceResyncs = 3
)

// SenderConfig configures a Sender.
type SenderConfig struct {
	// Key signs every transaction; the Sender sends from its address.
	Key *ecdsa.PrivateKey
	// ChainID is the L1 chain id. If nil it is read from the node; if set,
	// NewSender checks that the node serves it.
	ChainID *big.Int
	// ResendAfter is how many L1 blocks Wait lets a transaction stay out
	// of the chain before it re-sends it with bumped fees (0 means
	// DefaultResendAfter).
	ResendAfter uint64
	// MaxFeeCap bounds the fee cap of every transaction and bump, in wei
	// per gas (nil means DefaultMaxFeeCapGwei).
	MaxFeeCap *big.Int
	// GasMarginPercent is added to eth_estimateGas's answer when Send
	// estimates the gas limit (0: system contracts have fixed costs, so
	// the estimate is exact).
	GasMarginPercent uint64
	// Logger receives fee bumps and nonce resyncs (nil means
	// slog.Default()).
	Logger *slog.Logger
}

// Sender sends transactions from one key. It tracks the key's nonce
// locally, serialises sends with a mutex, and never signs two different
// transactions with one nonce: only fee bumps of the same transaction
// share a nonce. It is safe for concurrent use.
type Sender struct {
	c           *Client
	key         *ecdsa.PrivateKey
	addr        common.Address
	chainID     *big.Int
	signer      types.Signer
	resendAfter uint64
	maxFeeCap   *big.Int
	margin      uint64
	log         *slog.Logger

	mu    sync.Mutex // serialises signing and submission; guards next and limbo
	next  uint64     // nonce of the next new transaction
	limbo *types.Transaction
}

// NewSender checks the chain id and initialises the nonce from the
// node's pending nonce of the key's address.
func NewSender(ctx context.Context, c *Client, cfg SenderConfig) (*Sender, error) {
	if cfg.Key == nil {
		return nil, errors.New("l1: new sender: no key")
	}
	addr := crypto.PubkeyToAddress(cfg.Key.PublicKey)
	id, err := c.ChainID(ctx)
	if err != nil {
		return nil, wrap("new sender for "+addr.Hex(), err)
	}
	if cfg.ChainID != nil && cfg.ChainID.Cmp(id) != 0 {
		return nil, fmt.Errorf("l1: new sender for %s: %w: node serves chain %s, want %s", addr, ErrWrongChain, id, cfg.ChainID)
	}
	nonce, err := c.PendingNonceAt(ctx, addr)
	if err != nil {
		return nil, wrap("new sender for "+addr.Hex(), err)
	}
	s := &Sender{
		c: c, key: cfg.Key, addr: addr, chainID: id, signer: types.LatestSignerForChainID(id),
		resendAfter: cfg.ResendAfter, maxFeeCap: cfg.MaxFeeCap, margin: cfg.GasMarginPercent,
		log: cfg.Logger, next: nonce,
	}
	if s.resendAfter == 0 {
		s.resendAfter = DefaultResendAfter
	}
	if s.maxFeeCap == nil {
		s.maxFeeCap = new(big.Int).Mul(big.NewInt(DefaultMaxFeeCapGwei), big.NewInt(params.GWei))
	} else {
		s.maxFeeCap = new(big.Int).Set(s.maxFeeCap)
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "l1-sender", "from", addr)
	return s, nil
}

// Address is the address the Sender sends from.
func (s *Sender) Address() common.Address { return s.addr }

// NextNonce is the nonce the next new transaction will get, as far as the
// Sender knows (a send may move it past nonces used by other senders of
// the same key).
func (s *Sender) NextNonce() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// Send signs and submits a dynamic-fee transaction with the next nonce:
// tip from eth_maxPriorityFeePerGas, fee cap 2 × the head's base fee + tip
// (bounded by MaxFeeCap), gas limit from eth_estimateGas if gasLimit is 0
// (a revert there is an error carrying its reason). If the node says the
// nonce is used (an external transaction from the same key), it moves to
// the node's pending nonce and retries. An error wrapping
// ErrOutcomeUnknown means the transaction may still be included.
func (s *Sender) Send(ctx context.Context, to common.Address, value *big.Int, data []byte, gasLimit uint64) (*Pending, error) {
	what := "send to " + to.Hex()
	if value == nil {
		value = new(big.Int)
	}
	if gasLimit == 0 {
		gas, err := s.c.EstimateGas(ctx, ethereum.CallMsg{From: s.addr, To: &to, Value: value, Data: data})
		if err != nil {
			return nil, wrap(what, err)
		}
		gasLimit = gas + gas*s.margin/100
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.settleLimbo(ctx); err != nil {
		return nil, wrap(what, err)
	}
	head, err := s.c.HeadHeader(ctx)
	if err != nil {
		return nil, wrap(what, err)
	}
	tip, err := s.c.SuggestTip(ctx)
	if err != nil {
		return nil, wrap(what, err)
	}
	tip, feeCap, err := initialFees(baseFeeOf(head), tip, s.maxFeeCap)
	if err != nil {
		return nil, wrap(what, err)
	}
	p := &Pending{s: s, to: to, value: new(big.Int).Set(value), data: common.CopyBytes(data), gas: gasLimit,
		sentAt: block.L1Number(head.Number.Uint64())}
	for resyncs := 0; ; resyncs++ {
		tx, err := s.sign(s.next, p, tip, feeCap)
		if err != nil {
			return nil, wrap(what, err)
		}
		err = s.c.SendTransaction(ctx, tx)
		switch classifySend(err) {
		case sentOK:
			s.next++
			p.nonce = tx.Nonce()
			p.txs = []*types.Transaction{tx}
			return p, nil
		case sentNonceUsed, sentReplace:
			if resyncs >= maxNonceResyncs {
				return nil, wrap(what, err)
			}
			moved, rerr := s.resync(ctx)
			if rerr != nil {
				return nil, wrap(what, fmt.Errorf("%w; then %w", err, rerr))
			}
			if !moved {
				return nil, wrap(what, err)
			}
		case sentRejected:
			return nil, wrap(what, err)
		default:
			s.limbo = tx
			return nil, wrap(what, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err))
		}
	}
}

// SendAndWait sends a transaction and waits for its receipt, bumping its
// fees as Pending.Wait does. A failed (status 0) transaction returns its
// receipt and an error wrapping a *TxFailedError.
func (s *Sender) SendAndWait(ctx context.Context, to common.Address, value *big.Int, data []byte, gasLimit uint64) (*types.Receipt, error) {
	p, err := s.Send(ctx, to, value, data, gasLimit)
	if err != nil {
		return nil, err
	}
	return p.Wait(ctx)
}

// resync moves the local nonce forward to the node's pending nonce; it
// never moves it back, so no nonce is handed out twice. s.mu is held.
func (s *Sender) resync(ctx context.Context) (bool, error) {
	pending, err := s.c.PendingNonceAt(ctx, s.addr)
	if err != nil {
		return false, err
	}
	if pending <= s.next {
		return false, nil
	}
	s.log.Info("l1: nonce resynced from the node", "local", s.next, "node", pending)
	s.next = pending
	return true, nil
}

// settleLimbo decides the fate of a transaction whose submission had no
// answer before its nonce can be reused: if the node's pending nonce is
// past it, the nonce is used; otherwise it is re-broadcast, and its nonce
// is free again only if the node refuses it. s.mu is held.
func (s *Sender) settleLimbo(ctx context.Context) error {
	tx := s.limbo
	if tx == nil {
		return nil
	}
	what := fmt.Sprintf("settle earlier send of %s (nonce %d)", tx.Hash(), tx.Nonce())
	pending, err := s.c.PendingNonceAt(ctx, s.addr)
	if err != nil {
		return wrap(what, err)
	}
	if pending > tx.Nonce() {
		s.limbo = nil
		s.next = max(s.next, pending)
		return nil
	}
	err = s.c.SendTransaction(ctx, tx)
	switch classifySend(err) {
	case sentOK:
		s.log.Warn("l1: re-broadcast a transaction whose send had no answer", "tx", tx.Hash(), "nonce", tx.Nonce())
		s.limbo = nil
		s.next = max(s.next, tx.Nonce()+1)
		return nil
	case sentNonceUsed, sentReplace:
		s.limbo = nil
		s.next = max(s.next, tx.Nonce()+1)
		_, err := s.resync(ctx)
		return wrapIf(what, err)
	case sentRejected:
		s.log.Warn("l1: a transaction whose send had no answer is refused; its nonce is reused", "tx", tx.Hash(), "nonce", tx.Nonce(), "err", err)
		s.limbo = nil // its nonce, still s.next, goes to the next transaction
		return nil
	}
	return wrap(what, fmt.Errorf("%w: %w", ErrOutcomeUnknown, err))
}

func (s *Sender) sign(nonce uint64, p *Pending, tip, feeCap *big.Int) (*types.Transaction, error) {
	to := p.to
	tx, err := types.SignNewTx(s.key, s.signer, &types.DynamicFeeTx{
		ChainID: s.chainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap, Gas: p.gas,
		To: &to, Value: p.value, Data: p.data,
	})
	if err != nil {
		return nil, fmt.Errorf("sign transaction with nonce %d: %w", nonce, err)
	}
	return tx, nil
}

// Pending is a sent transaction: one nonce, and every fee-bumped version
// of it sent so far.
type Pending struct {
	s     *Sender
	nonce uint64
	to    common.Address
	value *big.Int
	data  []byte
	gas   uint64

	mu     sync.Mutex
	txs    []*types.Transaction // oldest first
	sentAt block.L1Number       // head when the last version was sent
	capped bool                 // logged that the fee cap stops bumps
}

// Nonce is the transaction's nonce.
func (p *Pending) Nonce() uint64 { return p.nonce }

// Tx returns the latest version sent.
func (p *Pending) Tx() *types.Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.txs[len(p.txs)-1]
}

// Hash returns the hash of the latest version sent.
func (p *Pending) Hash() common.Hash { return p.Tx().Hash() }

// Hashes returns the hashes of every version sent, oldest first.
func (p *Pending) Hashes() []common.Hash {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]common.Hash, len(p.txs))
	for i, tx := range p.txs {
		out[i] = tx.Hash()
	}
	return out
}

// Wait polls until one version of the transaction is included and
// returns its receipt. Each time the head is ResendAfter blocks past the
// last send, it re-sends the transaction with the same nonce and tip and
// fee cap raised by FeeBumpPermille (at least), up to MaxFeeCap, logging
// each bump. A status-0 receipt is returned with an error wrapping a
// *TxFailedError, whose reason comes from re-running the transaction as a
// call on the block before it. Failed polls are retried until ctx ends.
// Call Wait from one goroutine at a time.
func (p *Pending) Wait(ctx context.Context) (*types.Receipt, error) {
	what := fmt.Sprintf("wait for transaction nonce %d to %s", p.nonce, p.to)
	var lastErr error
	for {
		r, head, err := p.poll(ctx)
		switch {
		case err != nil && (errors.Is(err, ErrNonceTaken) || ctx.Err() != nil):
			return nil, wrap(what, err)
		case err != nil:
			lastErr = err
			p.s.log.Debug("l1: poll for receipt failed", "nonce", p.nonce, "err", err)
		case r != nil:
			return p.finish(ctx, r)
		case head >= p.lastSent()+block.L1Number(p.s.resendAfter):
			p.bump(ctx, head)
		}
		if serr := p.s.c.sleep(ctx); serr != nil {
			if lastErr != nil {
				return nil, fmt.Errorf("l1: %s: %w (last poll: %v)", what, serr, lastErr)
			}
			return nil, fmt.Errorf("l1: %s: %w", what, serr)
		}
	}
}

func (p *Pending) lastSent() block.L1Number {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sentAt
}

// poll returns the receipt of an included version, or the head.
func (p *Pending) poll(ctx context.Context) (*types.Receipt, block.L1Number, error) {
	head, err := p.s.c.HeadNumber(ctx)
	if err != nil {
		return nil, 0, err
	}
	r, err := p.receipt(ctx)
	if r != nil || err != nil {
		return r, head, err
	}
	// Not included as of the receipt query. If the nonce is used by the
	// head, the receipt of whichever version used it is there now.
	nonce, err := p.s.c.NonceAt(ctx, p.s.addr, &head)
	if err != nil || nonce <= p.nonce {
		return nil, head, err
	}
	r, err = p.receipt(ctx)
	if r != nil || err != nil {
		return r, head, err
	}
	return nil, head, fmt.Errorf("%w: nonce %d is used as of L1 block %d, by none of %d sent versions", ErrNonceTaken, p.nonce, head, len(p.Hashes()))
}

// receipt returns the receipt of any sent version, newest first, or nil.
func (p *Pending) receipt(ctx context.Context) (*types.Receipt, error) {
	hashes := p.Hashes()
	for i := len(hashes) - 1; i >= 0; i-- {
		r, err := p.s.c.TransactionReceipt(ctx, hashes[i])
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	return nil, nil
}

// finish returns a successful receipt, or a failed one with its reason.
func (p *Pending) finish(ctx context.Context, r *types.Receipt) (*types.Receipt, error) {
	if r.Status == types.ReceiptStatusSuccessful {
		return r, nil
	}
	failed := &TxFailedError{Hash: r.TxHash, Nonce: p.nonce, Receipt: r}
	if r.BlockNumber != nil {
		failed.Block = r.BlockNumber.Uint64()
	}
	if failed.Block > 0 {
		parent := block.L1Number(failed.Block - 1)
		gas := p.gas // every version has the same gas limit
		msg := ethereum.CallMsg{From: p.s.addr, To: &p.to, Value: p.value, Data: p.data, Gas: gas}
		_, err := p.s.c.Call(ctx, msg, &parent)
		var rev *RevertError
		if errors.As(err, &rev) {
			failed.Reason = rev
		} else {
			p.s.log.Debug("l1: replaying a failed transaction did not revert", "tx", r.TxHash, "block", parent, "err", err)
		}
	}
	return r, fmt.Errorf("l1: %w", failed)
}

// bump re-sends the transaction with higher fees, unless MaxFeeCap leaves
// no room for a full bump. Failures are logged; Wait goes on.
func (p *Pending) bump(ctx context.Context, head block.L1Number) {
	old := p.Tx()
	p.mu.Lock()
	p.sentAt = head // try again ResendAfter blocks from now, whatever happens
	p.mu.Unlock()
	log := p.s.log.With("nonce", p.nonce, "head", head)
	hdr, err := p.s.c.HeadHeader(ctx)
	if err != nil {
		log.Warn("l1: cannot bump fees", "err", err)
		return
	}
	suggested, err := p.s.c.SuggestTip(ctx)
	if err != nil {
		log.Warn("l1: cannot bump fees", "err", err)
		return
	}
	tip, feeCap, ok := bumpFees(old.GasTipCap(), old.GasFeeCap(), baseFeeOf(hdr), suggested, p.s.maxFeeCap)
	if !ok {
		p.mu.Lock()
		logged := p.capped
		p.capped = true
		p.mu.Unlock()
		if !logged {
			log.Warn("l1: transaction not included and the maximum fee cap allows no further bump",
				"tx", old.Hash(), "tip", old.GasTipCap(), "feeCap", old.GasFeeCap(), "maxFeeCap", p.s.maxFeeCap)
		}
		return
	}
	p.s.mu.Lock()
	tx, err := p.s.sign(p.nonce, p, tip, feeCap)
	if err == nil {
		err = p.s.c.SendTransaction(ctx, tx)
	}
	p.s.mu.Unlock()
	if tx == nil {
		log.Warn("l1: cannot bump fees", "err", err)
		return
	}
	switch classifySend(err) {
	case sentOK, sentUnknown:
		// An unanswered send may have reached the pool: track it too.
		p.mu.Lock()
		p.txs = append(p.txs, tx)
		p.mu.Unlock()
		log.Info("l1: transaction not included; re-sent with bumped fees", "old", old.Hash(), "new", tx.Hash(),
			"tip", tip, "feeCap", feeCap, "oldTip", old.GasTipCap(), "oldFeeCap", old.GasFeeCap(), "err", err)
	case sentNonceUsed:
		log.Debug("l1: nonce already used; waiting for the receipt", "tx", old.Hash())
	default:
		log.Warn("l1: bumped transaction refused", "tx", tx.Hash(), "err", err)
	}
}

// initialFees returns the tip and fee cap of a new transaction: the
// suggested tip and 2 × base fee + tip, bounded by maxFeeCap.
func initialFees(baseFee, suggestedTip, maxFeeCap *big.Int) (tip, feeCap *big.Int, err error) {
	if maxFeeCap.Cmp(baseFee) < 0 {
		return nil, nil, fmt.Errorf("%w: maximum %s wei, base fee %s wei", ErrFeeCap, maxFeeCap, baseFee)
	}
	tip = new(big.Int).Set(suggestedTip)
	feeCap = new(big.Int).Mul(baseFee, big.NewInt(2))
	feeCap.Add(feeCap, tip)
	if feeCap.Cmp(maxFeeCap) > 0 {
		feeCap.Set(maxFeeCap)
	}
	if tip.Cmp(feeCap) > 0 {
		tip.Set(feeCap)
	}
	return tip, feeCap, nil
}

// bumpFees returns the fees of a re-send: both raised by FeeBumpPermille
// at least, the tip to the suggested one and the fee cap to 2 × base fee
// + tip if those are higher, the fee cap bounded by maxFeeCap. ok is false
// when the bound leaves no room for a full bump of both.
func bumpFees(oldTip, oldFeeCap, baseFee, suggestedTip, maxFeeCap *big.Int) (tip, feeCap *big.Int, ok bool) {
	minTip, minFeeCap := bumped(oldTip), bumped(oldFeeCap)
	tip = bigMax(minTip, suggestedTip)
	feeCap = new(big.Int).Mul(baseFee, big.NewInt(2))
	feeCap = bigMax(minFeeCap, feeCap.Add(feeCap, tip))
	if feeCap.Cmp(maxFeeCap) > 0 {
		feeCap.Set(maxFeeCap)
	}
	if tip.Cmp(feeCap) > 0 {
		tip.Set(feeCap)
	}
	return tip, feeCap, feeCap.Cmp(minFeeCap) >= 0 && tip.Cmp(minTip) >= 0
}

// bumped returns x raised by FeeBumpPermille, rounded up, and by at least 1.
func bumped(x *big.Int) *big.Int {
	out := new(big.Int).Mul(x, big.NewInt(1000+FeeBumpPermille))
	out.Add(out, big.NewInt(999))
	out.Div(out, big.NewInt(1000))
	if out.Cmp(x) <= 0 {
		out.Add(x, big.NewInt(1))
	}
	return out
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return new(big.Int).Set(a)
	}
	return new(big.Int).Set(b)
}

func baseFeeOf(h *types.Header) *big.Int {
	if h.BaseFee == nil {
		return new(big.Int)
	}
	return h.BaseFee
}

// opError adds what failed to an error, keeping one "l1: " prefix.
type opError struct {
	what string
	err  error
}

func (e *opError) Error() string {
	return "l1: " + e.what + ": " + strings.TrimPrefix(e.err.Error(), "l1: ")
}

func (e *opError) Unwrap() error { return e.err }

func wrap(what string, err error) error { return &opError{what: what, err: err} }

func wrapIf(what string, err error) error {
	if err == nil {
		return nil
	}
	return wrap(what, err)
}
