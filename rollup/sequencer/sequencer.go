package sequencer

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/txpool"
)

// L1Source is the sequencer's view of the L1 (rollup/l1 over JSON-RPC in
// the binary, an in-memory L1 in tests).
type L1Source interface {
	// HeadNumber returns the newest L1 block.
	HeadNumber(ctx context.Context) (block.L1Number, error)
	// L1Block returns L1 block n with its bridge operations.
	L1Block(ctx context.Context, n block.L1Number) (*L1Block, error)
}

// Config tunes block production.
type Config struct {
	// BlockTime is the interval between blocks while transactions arrive
	// (250 ms on the devnet).
	BlockTime time.Duration
	// MinBlockTime is the interval under load, when more transactions wait
	// than one block holds (100 ms).
	MinBlockTime time.Duration
	// MaxOriginLag is how far the origin may trail the L1 head.
	MaxOriginLag uint64
	// L1PollInterval is how often the L1 head is polled.
	L1PollInterval time.Duration
	// L1Lookahead bounds how many L1 blocks past the origin are fetched.
	L1Lookahead int
	// BuildBudget bounds the time spent filling one block.
	BuildBudget time.Duration
	// SequencingWindow is the rollup's S (0: blocks never expire).
	SequencingWindow uint64
	// InclusionMargin is how many L1 blocks a posted batch may take to be
	// included: an origin whose window closes within it is treated as
	// closed (deposit-only blocks, re-sequencing).
	InclusionMargin uint64
	// Censor lists senders whose transactions are never included: a
	// development switch (--dev.censor) to show forced operations.
	Censor []common.Address
}

// DefaultConfig returns the devnet's production settings.
func DefaultConfig() Config {
	return Config{BlockTime: 250 * time.Millisecond, MinBlockTime: 100 * time.Millisecond, MaxOriginLag: 2,
		L1PollInterval: 200 * time.Millisecond, L1Lookahead: 16, BuildBudget: 150 * time.Millisecond, InclusionMargin: 2}
}

// Sequencer produces the L2 chain: it follows the L1, picks origins,
// applies their operations first, fills blocks from its pool and commits
// each block (one synced batch) before its receipts are served.
type Sequencer struct {
	cfg     Config
	chain   *l2chain.Chain
	pool    *txpool.Pool
	l1      L1Source
	log     *slog.Logger
	metrics *Metrics

	wake chan struct{} // a transaction arrived, or the L1 moved

	// prodMu serialises the producer and the batcher's re-sequencing,
	// the two writers of the chain.
	prodMu  sync.Mutex
	batcher BatcherConfig // the batcher goroutine's only

	mu          sync.Mutex
	heads       heads
	pauseUntil  block.L1Number
	badPosted   bool // the batcher's: the development switch's output was posted
	originTimes map[block.L1Number]uint64
	l1Head      block.L1Number
	queue       []*L1Block // L1 blocks after the head's origin, consecutive
	originTime  uint64     // time of the head's origin
	lastBlockAt time.Time
}

// New returns a sequencer on chain. The pool must validate with
// PoolValidator.
func New(cfg Config, chain *l2chain.Chain, pool *txpool.Pool, l1 L1Source, metrics *Metrics, log *slog.Logger) *Sequencer {
	return &Sequencer{cfg: cfg, chain: chain, pool: pool, l1: l1, log: log, metrics: metrics, wake: make(chan struct{}, 1),
		originTimes: make(map[block.L1Number]uint64)}
}

// NewPool returns the transaction pool of an L2 chain: admission by the
// state transition's own checks, with the L1 data fee (priced at the head's
// origin) counted in the balance a sender needs.
func NewPool(cfg txpool.Config, chain *l2chain.Chain) (*txpool.Pool, error) {
	st, err := chain.HeadState()
	if err != nil {
		return nil, fmt.Errorf("pool: head state: %w", err)
	}
	head := chain.Head()
	return txpool.New(cfg, chain.Signer(), PoolValidator(chain), st, chain.NextBaseFee(head.Header)), nil
}

// PoolValidator is the L2 pool's admission check: every stateless rule of
// the state transition, a nonce not below the account's, and a balance
// that covers value + gas × fee cap + the L1 data fee.
func PoolValidator(chain *l2chain.Chain) txpool.ValidateFunc {
	cfg := chain.Config()
	return func(tx *types.Transaction, from common.Address, st txpool.StateView, baseFee *big.Int) error {
		head := chain.Head()
		if _, err := execution.CheckTx(cfg, chain.Signer(), chain.Registry(), tx, baseFee, head.Header.GasLimit); err != nil {
			return err
		}
		if next := st.GetNonce(from); tx.Nonce() < next {
			return fmt.Errorf("%w: next nonce is %d, tx has %d", execution.ErrNonceTooLow, next, tx.Nonce())
		}
		l1Fee, err := execution.L1DataFee(cfg.L2, tx, head.L2.Origin.BaseFee)
		if err != nil {
			return err
		}
		need := new(big.Int).Add(tx.Cost(), l1Fee)
		balance := st.GetBalance(from)
		if n, overflow := uint256.FromBig(need); overflow || balance.Lt(n) {
			return fmt.Errorf("%w: balance %s, needed %s (value + gas × max fee + L1 data fee %s)",
				execution.ErrInsufficientFunds, balance, need, l1Fee)
		}
		return nil
	}
}

// Notify wakes the producer: a transaction entered the pool.
func (s *Sequencer) Notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// L1Head returns the newest L1 block the sequencer has seen.
func (s *Sequencer) L1Head() block.L1Number {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.l1Head
}

// PendingOperation returns the L1 operation id if the sequencer has seen
// it on L1 but not yet applied it on L2 (it is in an L1 block after the
// origin), else nil.
func (s *Sequencer) PendingOperation(_ context.Context, id block.OperationID) (*block.Operation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.queue {
		for i := range b.Operations {
			if b.Operations[i].ID() == id {
				op := b.Operations[i]
				return &op, nil
			}
		}
	}
	return nil, nil
}

// Run produces blocks until ctx ends. It returns ctx's error, or the
// first failure that stops production (a store or state failure).
func (s *Sequencer) Run(ctx context.Context) error {
	head := s.chain.Head()
	origin, err := s.l1.L1Block(ctx, head.L2.Origin.Number)
	if err != nil {
		return fmt.Errorf("sequencer: read the head's origin, L1 block %d: %w", head.L2.Origin.Number, err)
	}
	if origin.Ref.Hash != head.L2.Origin.Hash {
		return fmt.Errorf("sequencer: L2 head %d names L1 block %d as %s, the L1 has %s: is this the L1 this chain was built on?",
			head.Number(), head.L2.Origin.Number, head.L2.Origin.Hash, origin.Ref.Hash)
	}
	s.mu.Lock()
	s.originTime = origin.Time
	s.mu.Unlock()
	s.log.Info("Sequencer started", "head", head.Number(), "hash", head.Hash(), "origin", head.L2.Origin.Number)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	followErr := make(chan error, 1)
	go func() { followErr <- s.follow(ctx) }()

	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-followErr:
			return err
		case <-s.wake:
		case <-timer.C:
		}
		wait, err := s.Step(time.Now())
		if err != nil {
			return err
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
	}
}

// productionSlack is how many L1 blocks earlier than the batcher the
// producer treats an origin as closed: a block it makes with transactions
// must stay postable until the batcher's next batch lands (PostAfter plus
// a poll), else the batcher would re-sequence it again at once.
const productionSlack = 3

// originTimesKept is how many L1 blocks' times the sequencer remembers
// (re-sequencing checks the deposit-only form of unposted blocks).
const originTimesKept = 4096

// idleWait is how long the producer sleeps when nothing is due; a new
// transaction or L1 block wakes it sooner.
const idleWait = time.Second

// Step produces every block that is due at now and returns how long to
// wait before the next may be. Blocks are due when the origin must advance
// (Plan.Forced), or when transactions wait and the block interval has
// passed since the last block.
func (s *Sequencer) Step(now time.Time) (time.Duration, error) {
	s.prodMu.Lock()
	defer s.prodMu.Unlock()
	for {
		plan := s.plan(now)
		pending := s.pool.Len()
		interval := s.cfg.BlockTime
		if capTxs := s.chain.Config().L2.MaxTxsPerBlock; capTxs > 0 && pending > capTxs {
			interval = s.cfg.MinBlockTime
		}
		s.mu.Lock()
		since := now.Sub(s.lastBlockAt)
		s.mu.Unlock()
		switch {
		case plan.Forced:
		case plan.Wait:
			return interval, nil
		case pending > 0 && since >= interval:
		case pending > 0:
			return interval - since, nil
		default:
			return idleWait, nil
		}
		n, err := s.produce(plan, now)
		if err != nil {
			return 0, err
		}
		if n == 0 && !plan.Forced {
			// Nothing in the pool could be included (e.g. all waiting on
			// a nonce gap): do not spin.
			return interval, nil
		}
	}
}

// plan decides the next block from the head and the L1 queue.
func (s *Sequencer) plan(now time.Time) Plan {
	head := s.chain.Head()
	s.mu.Lock()
	defer s.mu.Unlock()
	var next *L1Block
	if len(s.queue) > 0 && s.queue[0].Ref.Number == head.L2.Origin.Number+1 {
		next = s.queue[0]
	}
	return NextBlock(PlanInput{
		ParentTime: head.Header.Time, ParentOrigin: head.L2.Origin, OriginTime: s.originTime,
		Next: next, L1Head: s.l1Head, Now: uint64(now.Unix()), MaxOriginLag: s.cfg.MaxOriginLag,
		SequencingWindow: s.cfg.SequencingWindow, InclusionMargin: s.cfg.InclusionMargin + productionSlack,
	})
}

// produce builds, commits and announces one block; it returns the number
// of transactions included.
func (s *Sequencer) produce(plan Plan, now time.Time) (int, error) {
	start := time.Now()
	head := s.chain.Head()
	deadline := start.Add(s.cfg.BuildBudget)
	var src execution.TxSource
	if !plan.DepositOnly {
		src = s.censor(s.pool.Executable(s.chain.NextBaseFee(head.Header)))
	}
	ex, err := s.chain.Build(plan.Attributes, src, execution.FillLimits{Enough: func() bool { return time.Now().After(deadline) }})
	if err != nil {
		return 0, fmt.Errorf("sequencer: %w", err)
	}
	if len(ex.Block.Transactions) == 0 && !plan.Forced {
		// Nothing pooled could be included (a nonce gap, a fee cap below
		// the base fee): no block is due, so none is committed. An idle
		// L2 makes blocks only for its origin.
		return 0, nil
	}
	built := time.Now()
	if err := s.chain.Commit(ex); err != nil {
		return 0, fmt.Errorf("sequencer: %w", err)
	}
	committed := time.Now()
	b := ex.Block
	st, err := s.chain.HeadState()
	if err != nil {
		return 0, fmt.Errorf("sequencer: state of block %d: %w", b.Number(), err)
	}
	touched := make(map[common.Address]bool, len(b.Transactions)+len(plan.Attributes.Operations))
	for _, tx := range b.Transactions {
		if from, err := types.Sender(s.chain.Signer(), tx); err == nil {
			touched[from] = true
		}
	}
	for _, op := range plan.Attributes.Operations {
		touched[op.From] = true
	}
	s.pool.ResetAccounts(st, s.chain.NextBaseFee(b.Header), touched)
	reset := time.Now()

	s.mu.Lock()
	s.lastBlockAt = now
	if plan.Advance {
		s.originTime = plan.Attributes.OriginTime
		for len(s.queue) > 0 && s.queue[0].Ref.Number <= plan.Attributes.Origin.Number {
			s.queue = s.queue[1:]
		}
	}
	s.mu.Unlock()

	for _, r := range ex.Result.Operations {
		if r.Err != nil {
			s.log.Warn("L1 operation failed on L2", "l1Block", r.ID.L1Block, "index", r.ID.Index, "kind", r.Kind, "err", r.Err)
		}
	}
	if len(plan.Attributes.Operations) > 0 {
		s.log.Info("Applied L1 operations", "l2Block", b.Number(), "l1Block", plan.Attributes.Origin.Number, "operations", len(plan.Attributes.Operations))
	}
	s.log.Debug("Produced block", "number", b.Number(), "hash", b.Hash(), "txs", len(b.Transactions),
		"origin", b.L2.Origin.Number, "gasUsed", b.Header.GasUsed, "took", time.Since(start),
		"build", built.Sub(start), "commit", committed.Sub(built), "poolReset", reset.Sub(committed))
	s.metrics.observeBlock(b, len(ex.Result.Skipped), time.Since(start), s.pool.Len())
	return len(b.Transactions), nil
}

// follow polls the L1 head and fetches the L1 blocks after the origin
// (up to the lookahead) with their operations, until ctx ends. Transient
// L1 errors are logged and retried; it never gives up while ctx lives.
func (s *Sequencer) follow(ctx context.Context) error {
	t := time.NewTicker(s.cfg.L1PollInterval)
	defer t.Stop()
	failing := false
	for {
		err := s.pollL1(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil && !failing:
			s.log.Warn("Cannot read the L1; retrying", "err", err)
			failing = true
		case err == nil && failing:
			s.log.Info("L1 reachable again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// pollL1 reads the L1 head and extends the queue of L1 blocks after the
// origin; it wakes the producer when something new arrived.
func (s *Sequencer) pollL1(ctx context.Context) error {
	headNum, err := s.l1.HeadNumber(ctx)
	if err != nil {
		return err
	}
	origin := s.chain.Head().L2.Origin.Number
	s.mu.Lock()
	moved := headNum != s.l1Head
	s.l1Head = headNum
	next := origin + 1
	if n := len(s.queue); n > 0 {
		next = s.queue[n-1].Ref.Number + 1
	}
	s.mu.Unlock()
	if s.metrics != nil {
		s.metrics.L1Head.Set(float64(headNum))
	}
	fetched := false
	for ; next <= headNum && next <= origin+block.L1Number(s.cfg.L1Lookahead); next++ {
		b, err := s.l1.L1Block(ctx, next)
		if err != nil {
			return fmt.Errorf("L1 block %d: %w", next, err)
		}
		s.mu.Lock()
		expect := s.chain.Head().L2.Origin.Number + 1
		if n := len(s.queue); n > 0 {
			expect = s.queue[n-1].Ref.Number + 1
		}
		if b.Ref.Number != expect {
			// The producer re-sequenced meanwhile: start again from its
			// new origin at the next poll.
			s.mu.Unlock()
			return nil
		}
		s.queue = append(s.queue, b)
		s.originTimes[b.Ref.Number] = b.Time
		delete(s.originTimes, b.Ref.Number-originTimesKept)
		s.mu.Unlock()
		fetched = true
	}
	if moved || fetched {
		s.Notify()
	}
	return nil
}
