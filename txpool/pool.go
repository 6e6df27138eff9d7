package txpool

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// Config bounds the pool.
type Config struct {
	// MaxTxs is the most transactions the pool holds.
	MaxTxs int
	// MaxSubmittedTxs, when set below MaxTxs, is the most transactions
	// the pool holds when one submitted to this node is checked
	// (CheckSubmitRoom): the room above it is kept for transactions
	// peers gossip, which their own pools already hold. 0 means MaxTxs.
	MaxSubmittedTxs int
	// MaxBytes is the most encoded transaction bytes the pool holds.
	MaxBytes uint64
	// MaxFuturePerSender is the most gapped (future) transactions one
	// sender may have pooled: those whose nonce does not follow the state
	// nonce and the sender's other pooled transactions without a gap.
	// Executable transactions (consecutive nonces from the state nonce)
	// have no per-sender limit: only MaxTxs and MaxBytes bound them.
	MaxFuturePerSender int
	// MaxNonceGap is how far above the sender's pending nonce (the state
	// nonce plus its consecutive pooled transactions) a future
	// transaction's nonce may be; it waits for the gap to fill.
	MaxNonceGap uint64
	// PriceBump is the percentage by which a replacement must raise both
	// the tip cap and the fee cap.
	PriceBump uint64
}

// DefaultConfig returns bounds suited to a devnet validator.
func DefaultConfig() Config {
	return Config{MaxTxs: 20_000, MaxBytes: 64 << 20, MaxFuturePerSender: 64, MaxNonceGap: 256, PriceBump: 10}
}

// StateView is the state the pool validates against; *state.StateDB
// satisfies it.
type StateView interface {
	GetNonce(common.Address) uint64
	GetBalance(common.Address) *uint256.Int
}

// ValidateFunc checks that tx from sender could be included on top of st
// with the given base fee. It must accept nonces above the state nonce (the
// pool queues those) and must refuse nonces below it. The balance st
// reports for sender is already reduced by the cost (value + gas × fee
// cap) of the sender's other pooled transactions, so a balance check
// against the transaction's own cost checks the sum.
type ValidateFunc func(tx *types.Transaction, sender common.Address, st StateView, baseFee *big.Int) error

type entry struct {
	tx     *types.Transaction
	sender common.Address
	size   uint64
	seq    uint64 // arrival order, to break price ties deterministically
	// feeCap and tipCap are the transaction's caps, copied once: the
	// transaction's accessors allocate a copy on every call, and the
	// block builder's ordering compares them constantly. Never modified.
	feeCap, tipCap *big.Int
	// cost is value + gas × fee cap, the most the transaction can take
	// from its sender's balance (before any chain-specific fees).
	cost *uint256.Int
}

func newEntry(tx *types.Transaction, from common.Address, seq uint64) *entry {
	cost, overflow := uint256.FromBig(tx.Cost())
	if overflow {
		cost = new(uint256.Int).SetAllOne()
	}
	return &entry{tx: tx, sender: from, size: tx.Size(), seq: seq, feeCap: tx.GasFeeCap(), tipCap: tx.GasTipCap(), cost: cost}
}

type account struct {
	stateNonce uint64
	byNonce    map[uint64]*entry
	// next caches the pending nonce: every nonce in [stateNonce, next) is
	// pooled (when next >= stateNonce). Lowered when one of them is
	// removed, recomputed from stateNonce when that changes.
	next uint64
	// cost is the sum of the pooled transactions' costs.
	cost uint256.Int
}

// pendingNonce returns the first nonce from the state nonce on that the
// account has not pooled.
func (acc *account) pendingNonce() uint64 {
	n := max(acc.next, acc.stateNonce)
	for {
		if _, ok := acc.byNonce[n]; !ok {
			break
		}
		n++
	}
	acc.next = n
	return n
}

// future returns how many of the account's pooled transactions are gapped:
// not part of the consecutive run from the state nonce.
func (acc *account) future() int {
	return max(0, len(acc.byNonce)-int(acc.pendingNonce()-acc.stateNonce))
}

// debitedState is a StateView whose balance for one sender is reduced by
// the cost of that sender's other pooled transactions (floored at zero).
type debitedState struct {
	StateView
	from  common.Address
	debit *uint256.Int
}

func (s debitedState) GetBalance(a common.Address) *uint256.Int {
	bal := s.StateView.GetBalance(a)
	if a != s.from || s.debit.IsZero() {
		return bal
	}
	if bal.Lt(s.debit) {
		return new(uint256.Int)
	}
	return new(uint256.Int).Sub(bal, s.debit)
}

// validateDebited runs the injected validation with the sender's balance
// reduced by debit, the cost of n of its other pooled transactions, and
// says so in a rejection.
func (p *Pool) validateDebited(tx *types.Transaction, from common.Address, st StateView, baseFee *big.Int, debit *uint256.Int, n int) error {
	if debit.IsZero() {
		return p.validate(tx, from, st, baseFee)
	}
	err := p.validate(tx, from, debitedState{StateView: st, from: from, debit: debit}, baseFee)
	if err != nil {
		return fmt.Errorf("%w (the balance counted is what is left after the sender's %d other pooled transactions, which may cost up to %s wei)",
			err, n, debit)
	}
	return nil
}

// Pool is the transaction pool. Create it with New.
type Pool struct {
	cfg      Config
	signer   types.Signer
	validate ValidateFunc

	mu       sync.Mutex
	st       StateView
	baseFee  *big.Int
	byHash   map[common.Hash]*entry
	accounts map[common.Address]*account
	bytes    uint64
	seq      uint64
	// gapped are the accounts with transactions behind a nonce gap, and
	// floor bounds every pooled transaction's caps from below (floor.go).
	gapped map[common.Address]*account
	floor  tipBound
	// deciding is the block being decided (deciding.go).
	deciding decidingSet
}

// New returns an empty pool validating against st at baseFee.
func New(cfg Config, signer types.Signer, validate ValidateFunc, st StateView, baseFee *big.Int) *Pool {
	return &Pool{
		cfg: cfg, signer: signer, validate: validate, st: st, baseFee: new(big.Int).Set(baseFee),
		byHash: make(map[common.Hash]*entry), accounts: make(map[common.Address]*account),
		gapped: make(map[common.Address]*account),
	}
}

// Add validates and pools each transaction, returning one error (or nil)
// per transaction, in order.
func (p *Pool) Add(txs ...*types.Transaction) []error {
	errs := make([]error, len(txs))
	// Recover senders before taking the lock: recovery is the expensive
	// part and the signer caches the result in the transaction.
	senders := make([]common.Address, len(txs))
	for i, tx := range txs {
		if tx == nil {
			errs[i] = ErrNotTransaction
			continue
		}
		from, err := types.Sender(p.signer, tx)
		if err != nil {
			errs[i] = fmt.Errorf("invalid sender: %w", err)
			continue
		}
		senders[i] = from
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, tx := range txs {
		if errs[i] != nil {
			continue
		}
		errs[i] = p.addLocked(tx, senders[i])
	}
	return errs
}

func (p *Pool) addLocked(tx *types.Transaction, from common.Address) error {
	hash := tx.Hash()
	if _, ok := p.byHash[hash]; ok {
		return fmt.Errorf("%w: %s", ErrAlreadyKnown, hash)
	}
	nonce := tx.Nonce()
	// The sender's balance must cover this transaction and every other
	// one it has pooled (a replaced one excepted), as in Ethereum.
	debit, others := new(uint256.Int), 0
	if acc, ok := p.accounts[from]; ok {
		debit.Set(&acc.cost)
		others = len(acc.byNonce)
		if old, ok := acc.byNonce[nonce]; ok {
			debit.Sub(debit, old.cost)
			others--
		}
	}
	if err := p.validateDebited(tx, from, p.st, p.baseFee, debit, others); err != nil {
		return err
	}
	acc := p.account(from)
	defer p.dropEmpty(from) // an account that ends up with nothing pooled is forgotten
	e := newEntry(tx, from, p.seq)
	old, replacing := acc.byNonce[nonce]
	future := false
	if replacing {
		if err := p.checkReplacement(old.tx, tx); err != nil {
			return err
		}
	} else if pending := acc.pendingNonce(); nonce > pending {
		future = true
		// A future transaction: its nonce leaves a gap. Executable ones
		// (nonce == pending) are bounded only by the pool's size.
		if nonce > pending+p.cfg.MaxNonceGap {
			return fmt.Errorf("%w: nonce %d, next nonce is %d, at most %d ahead of it are pooled",
				ErrNonceGap, nonce, pending, p.cfg.MaxNonceGap)
		}
		if n := acc.future(); n >= p.cfg.MaxFuturePerSender {
			return fmt.Errorf("%w: %d pooled behind a nonce gap (next nonce is %d, tx has %d), limit %d",
				ErrSenderLimit, n, pending, nonce, p.cfg.MaxFuturePerSender)
		}
		// Gapped transactions take the pool's slack only: past three
		// quarters full they are refused, so that under a load above
		// what the chain takes the pool holds executable transactions,
		// and a full pool can refuse before recovering a sender
		// (CheckRoom) instead of after.
		if limit := futureRoom(p.cfg.MaxTxs); len(p.byHash) >= limit {
			return fmt.Errorf("%w: %d transactions; nonce %d leaves a gap (next nonce is %d), and gapped transactions are pooled only below %d",
				ErrPoolFull, len(p.byHash), nonce, pending, limit)
		}
	}
	if replacing {
		p.remove(old)
	}
	if err := p.makeRoom(e, future); err != nil {
		if replacing {
			p.insert(acc, old)
		}
		return err
	}
	p.seq++
	p.insert(acc, e)
	return nil
}

// futureRoom is how many transactions a pool of maxTxs may hold for a
// gapped one to enter: three quarters of it, at least one.
func futureRoom(maxTxs int) int { return max(maxTxs*3/4, 1) }

func (p *Pool) insert(acc *account, e *entry) {
	acc.byNonce[e.tx.Nonce()] = e
	acc.cost.Add(&acc.cost, e.cost)
	p.byHash[e.tx.Hash()] = e
	p.deciding.inserted(e.tx.Hash())
	p.bytes += e.size
	p.floor.add(e)
	p.markGaps(e.sender, acc)
}

func (p *Pool) account(from common.Address) *account {
	acc, ok := p.accounts[from]
	if !ok {
		n := p.st.GetNonce(from)
		acc = &account{stateNonce: n, next: n, byNonce: make(map[uint64]*entry)}
		p.accounts[from] = acc
	}
	return acc
}

func (p *Pool) dropEmpty(from common.Address) {
	if acc, ok := p.accounts[from]; ok && len(acc.byNonce) == 0 {
		delete(p.accounts, from)
		delete(p.gapped, from)
	}
}

// checkReplacement requires both caps of the replacement to be at least
// PriceBump percent above the old ones.
func (p *Pool) checkReplacement(old, repl *types.Transaction) error {
	minTip := bumped(old.GasTipCap(), p.cfg.PriceBump)
	minFee := bumped(old.GasFeeCap(), p.cfg.PriceBump)
	if repl.GasTipCap().Cmp(minTip) < 0 || repl.GasFeeCap().Cmp(minFee) < 0 {
		return fmt.Errorf("%w: a replacement needs a tip of at least %s wei and a fee cap of at least %s wei",
			ErrReplaceUnderpriced, minTip, minFee)
	}
	return nil
}

func bumped(x *big.Int, percent uint64) *big.Int {
	v := new(big.Int).Mul(x, new(big.Int).SetUint64(100+percent))
	// Round up, so a bump of a small value is never zero.
	v.Add(v, big.NewInt(99))
	return v.Quo(v, big.NewInt(100))
}

// remove deletes e from every index.
func (p *Pool) remove(e *entry) {
	delete(p.byHash, e.tx.Hash())
	p.deciding.removed(e.tx.Hash())
	if acc, ok := p.accounts[e.sender]; ok {
		if cur, ok := acc.byNonce[e.tx.Nonce()]; ok && cur == e {
			delete(acc.byNonce, e.tx.Nonce())
			acc.cost.Sub(&acc.cost, e.cost)
			if e.tx.Nonce() < acc.next {
				acc.next = e.tx.Nonce()
			}
			p.markGaps(e.sender, acc)
		}
	}
	p.bytes -= e.size
	p.floor.remove(e)
}

// Counts returns how many pooled transactions are pending (each sender's
// run of consecutive nonces from its account nonce, whatever their fee
// caps) and how many wait behind a nonce gap, without listing them: the
// bench and wallets poll txpool_status while a pool drains, and listing
// a full pool in nonce order for a count cost a validator 2 % of a core
// under load (issue 17).
func (p *Pool) Counts() (pending, queued int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, acc := range p.accounts {
		gapped := acc.future()
		pending += len(acc.byNonce) - gapped
		queued += gapped
	}
	return pending, queued
}

// Content returns the pooled transactions by sender, each sender's in
// nonce order, split as Counts splits them: pending (each sender's run of
// consecutive nonces from its account nonce, whatever their fee caps) and
// queued (behind a nonce gap), what geth lists in txpool_content. Both are
// read under one lock, so a transaction added or dropped meanwhile is in
// neither or in one, never in both or counted twice.
func (p *Pool) Content() (pending, queued map[common.Address][]*types.Transaction) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pending = make(map[common.Address][]*types.Transaction)
	queued = make(map[common.Address][]*types.Transaction)
	byNonce := func(a, b *types.Transaction) int { return cmp.Compare(a.Nonce(), b.Nonce()) }
	for from, acc := range p.accounts {
		run := acc.pendingNonce() // the first nonce missing after the run
		var ready, gapped []*types.Transaction
		for nonce, e := range acc.byNonce {
			if nonce < run {
				ready = append(ready, e.tx)
			} else {
				gapped = append(gapped, e.tx)
			}
		}
		if len(ready) > 0 {
			slices.SortFunc(ready, byNonce)
			pending[from] = ready
		}
		if len(gapped) > 0 {
			slices.SortFunc(gapped, byNonce)
			queued[from] = gapped
		}
	}
	return pending, queued
}

// Signer returns the signer the pool recovers senders with.
func (p *Pool) Signer() types.Signer { return p.signer }

// Get returns the pooled transaction with the given hash, or nil.
func (p *Pool) Get(hash common.Hash) *types.Transaction {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.byHash[hash]; ok {
		return e.tx
	}
	return nil
}

// Has reports whether a transaction with the given hash is pooled.
func (p *Pool) Has(hash common.Hash) bool { return p.Get(hash) != nil }

// CountHeld returns how many of txs the pool holds (by hash), under one
// lock: e.g. how many of a block's transactions are still pooled until
// the block commits.
func (p *Pool) CountHeld(txs types.Transactions) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, tx := range txs {
		if _, ok := p.byHash[tx.Hash()]; ok {
			n++
		}
	}
	return n
}

// Len returns the number of pooled transactions.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byHash)
}

// Bytes returns the encoded size of all pooled transactions.
func (p *Pool) Bytes() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}

// PendingNonce returns the nonce the sender's next transaction should use:
// the state nonce plus the sender's pooled transactions that follow it
// without a gap.
func (p *Pool) PendingNonce(from common.Address) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	acc, ok := p.accounts[from]
	if !ok {
		return p.st.GetNonce(from)
	}
	return acc.pendingNonce()
}

// Reset adopts the state and base fee after a committed block: it drops
// transactions whose nonce the state has used, re-validates the others in
// nonce order, and drops each sender's transactions from the first one that
// is no longer valid. It returns how many transactions it dropped.
func (p *Pool) Reset(st StateView, baseFee *big.Int) int {
	return p.ResetAccounts(st, baseFee, nil)
}

// Each sender's transactions are checked in nonce order against its balance
// less the cost of the ones kept before them.
//
// ResetAccounts is Reset limited to the accounts in touched (nil: all):
// after a block only the accounts that sent its transactions can have a
// higher nonce or a lower balance, so only their transactions need
// re-validating; with a large pool this keeps the per-block cost to the
// block's own size.
func (p *Pool) ResetAccounts(st StateView, baseFee *big.Int, touched map[common.Address]bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.st = st
	p.baseFee = new(big.Int).Set(baseFee)
	dropped := 0
	for from, acc := range p.accounts {
		if touched != nil && !touched[from] {
			continue
		}
		acc.stateNonce = st.GetNonce(from)
		acc.next = acc.stateNonce
		invalidFrom := ^uint64(0)
		debit, kept := new(uint256.Int), 0
		for _, nonce := range sortedNonces(acc) {
			e := acc.byNonce[nonce]
			switch {
			case nonce < acc.stateNonce || nonce >= invalidFrom:
			case p.validateDebited(e.tx, from, st, p.baseFee, debit, kept) != nil && !belowBaseFee(e, p.baseFee):
				invalidFrom = nonce
			default:
				debit.Add(debit, e.cost)
				kept++
				continue
			}
			p.remove(e)
			dropped++
		}
		p.markGaps(from, acc)
		if len(acc.byNonce) == 0 {
			delete(p.accounts, from)
		}
	}
	return dropped
}

// belowBaseFee reports whether e only fails because its fee cap is below
// the current base fee: such a transaction stays pooled, since the base fee
// may fall again, but is not executable until it does.
func belowBaseFee(e *entry, baseFee *big.Int) bool {
	return e.feeCap.Cmp(baseFee) < 0
}
