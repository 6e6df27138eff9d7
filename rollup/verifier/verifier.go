package verifier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/derive"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/store"
)

// Source is the verifier's view of the L1.
type Source interface {
	// HeadNumber returns the newest L1 block.
	HeadNumber(ctx context.Context) (block.L1Number, error)
	// L1Block returns L1 block n as derivation reads it.
	L1Block(ctx context.Context, n block.L1Number) (*derive.L1Block, error)
}

// Config tunes the verifier.
type Config struct {
	// SequencingWindow is the rollup's S.
	SequencingWindow uint64
	// PollInterval is how often the L1 head is polled when caught up.
	PollInterval time.Duration
}

// Disagreement is a posted output that differs from the verifier's own.
type Disagreement struct {
	Number     block.L2Number `json:"number"`
	BatchIndex uint64         `json:"batchIndex"`
	L1Block    block.L1Number `json:"l1Block"`
	// Fields names what differs: "stateRoot", "blockHash", "withdrawals".
	Fields          []string    `json:"fields"`
	PostedStateRoot common.Hash `json:"postedStateRoot"`
	OwnStateRoot    common.Hash `json:"ownStateRoot"`
	PostedBlockHash common.Hash `json:"postedBlockHash"`
	OwnBlockHash    common.Hash `json:"ownBlockHash"`
}

// Status is what the verifier has done so far.
type Status struct {
	// L1 is the last L1 block derived from.
	L1 block.L1Number
	// Head is the newest derived (and executed) L2 block.
	Head block.L2Number
	// Checked is the newest L2 block whose posted output was compared.
	Checked block.L2Number
	// Agreed counts posted outputs equal to the verifier's own.
	Agreed uint64
	// FirstDisagreement is the first posted output that differs, if any
	// (until a challenge deletes it).
	FirstDisagreement *Disagreement
	// Open are the posted outputs that differ and that no challenge has
	// deleted yet, in order (at most maxOpen): a wrong output whose batch
	// became final stays here, and later ones can still be challenged.
	Open []Disagreement
	// Settled are disagreements a challenge deleted from the L1.
	Settled []Disagreement
}

// Verifier derives the L2 from the L1 and checks every posted output.
type Verifier struct {
	cfg     Config
	chain   *l2chain.Chain
	db      store.Store
	src     Source
	log     *slog.Logger
	metrics *Metrics

	d *derive.Deriver

	mu     sync.Mutex
	status Status
}

// New returns a verifier resuming from the state saved in db (a fresh
// one starts after the L1 genesis).
func New(ctx context.Context, cfg Config, chain *l2chain.Chain, db store.Store, src Source, metrics *Metrics, log *slog.Logger) (*Verifier, error) {
	v := &Verifier{cfg: cfg, chain: chain, db: db, src: src, log: log, metrics: metrics}
	kept, found, err := loadState(db)
	if err != nil {
		return nil, err
	}
	st := kept.Derive
	if !found {
		g := chain.Head()
		if g.Number() != 0 {
			return nil, fmt.Errorf("verifier: the L2 database is at block %d but has no derivation state", g.Number())
		}
		st = derive.State{Head: derive.Head{Number: 0, Time: g.Header.Time, Origin: g.L2.Origin.Number}, Next: g.L2.Origin.Number + 1}
	}
	v.d = derive.New(derive.Config{SequencingWindow: cfg.SequencingWindow, HeadAt: v.headAt}, st, sourceAt{ctx: ctx, src: src})
	if !found {
		gen, err := src.L1Block(ctx, st.Next-1)
		if err != nil {
			return nil, fmt.Errorf("verifier: L1 genesis: %w", err)
		}
		v.d.Remember(gen)
	}
	v.status = Status{L1: st.Next - 1, Head: block.L2Number(chain.Head().Number()), Checked: kept.Checked, Agreed: kept.Agreed,
		FirstDisagreement: kept.FirstDisagreement, Settled: kept.Settled, Open: kept.Open}
	log.Info("Verifier resumes", "l1", st.Next, "derivedHead", st.Head.Number, "l2Head", chain.Head().Number())
	return v, nil
}

// headAt is a derived block as derivation's Head, from the own chain.
func (v *Verifier) headAt(n block.L2Number) (derive.Head, error) {
	b, err := v.chain.BlockByNumber(n)
	if err != nil {
		return derive.Head{}, err
	}
	return derive.Head{Number: n, Time: b.Header.Time, Origin: b.L2.Origin.Number}, nil
}

// sourceAt adapts a Source to derivation's context-free lookups.
type sourceAt struct {
	ctx context.Context
	src Source
}

func (s sourceAt) L1Block(n block.L1Number) (*derive.L1Block, error) { return s.src.L1Block(s.ctx, n) }

// Status returns a copy of the verifier's status.
func (v *Verifier) Status() Status {
	v.mu.Lock()
	defer v.mu.Unlock()
	st := v.status
	st.Settled = slices.Clone(st.Settled)
	st.Open = slices.Clone(st.Open)
	if st.FirstDisagreement != nil {
		d := *st.FirstDisagreement
		st.FirstDisagreement = &d
	}
	return st
}

// Run derives until ctx ends, polling the L1 head. Transient L1 errors are
// logged and retried; a failure of the verifier's own database or of
// derivation's rules stops it.
func (v *Verifier) Run(ctx context.Context) error {
	t := time.NewTicker(v.cfg.PollInterval)
	defer t.Stop()
	failing := false
	for {
		err := v.catchUp(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, derive.ErrCritical), errors.Is(err, errFatal):
			return err
		case err != nil && !failing:
			v.log.Warn("Cannot read the L1; retrying", "err", err)
			failing = true
		case err == nil && failing:
			v.log.Info("L1 reachable again")
			failing = false
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// maxOpen bounds the open disagreements the verifier remembers.
const maxOpen = 256

// errFatal marks failures that retrying cannot fix.
var errFatal = errors.New("verifier failure")

// CatchUp derives every L1 block up to the current L1 head, then returns
// (a sequencer rebuilding its chain from the L1 uses it once).
func (v *Verifier) CatchUp(ctx context.Context) error { return v.catchUp(ctx) }

// catchUp derives every L1 block up to the head.
func (v *Verifier) catchUp(ctx context.Context) error {
	head, err := v.src.HeadNumber(ctx)
	if err != nil {
		return err
	}
	for next := v.d.State().Next; next <= head; next = v.d.State().Next {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b, err := v.src.L1Block(ctx, next)
		if err != nil {
			return err
		}
		if err := v.Step(b); err != nil {
			return err
		}
	}
	return nil
}

// Step derives from one L1 block: executes the new L2 blocks, checks the
// claims, saves the state.
func (v *Verifier) Step(b *derive.L1Block) error {
	res, err := v.d.Step(b)
	if err != nil {
		return fmt.Errorf("derive L1 block %d: %w", b.Ref.Number, err)
	}
	if res.RollbackTo != nil {
		if err := v.rollback(*res.RollbackTo, b.Ref.Number); err != nil {
			return fmt.Errorf("%w: %w", errFatal, err)
		}
	}
	for i := range res.Blocks {
		if err := v.execute(&res.Blocks[i]); err != nil {
			return fmt.Errorf("%w: %w", errFatal, err)
		}
	}
	agreed := 0
	for i := range res.Claims {
		ok, err := v.check(&res.Claims[i])
		if err != nil {
			return fmt.Errorf("%w: %w", errFatal, err)
		}
		if ok {
			agreed++
		}
	}
	if n := len(res.Claims); n > 0 && agreed == n {
		v.log.Info("Posted outputs agree with the L1-derived chain", "l1Block", b.Ref.Number,
			"batches", batchIndexes(res.Claims), "l2Blocks", fmt.Sprintf("%d-%d", res.Claims[0].Number, res.Claims[n-1].Number))
	}
	v.mu.Lock()
	v.status.L1 = b.Ref.Number
	v.status.Head = block.L2Number(v.chain.Head().Number())
	keep := saved{Derive: v.d.State(), Checked: v.status.Checked, Agreed: v.status.Agreed,
		FirstDisagreement: v.status.FirstDisagreement, Settled: v.status.Settled, Open: v.status.Open}
	v.mu.Unlock()
	if err := saveState(v.db, keep); err != nil {
		return fmt.Errorf("%w: %w", errFatal, err)
	}
	v.metrics.observeL1(b.Ref.Number, v.chain.Head().Number())
	return nil
}

// rollback follows a successful challenge: the outputs after block to are
// gone from the L1, so the own blocks after it are too (the next batches
// may differ); a disagreement in the deleted range is settled.
func (v *Verifier) rollback(to block.L2Number, l1 block.L1Number) error {
	if _, err := v.chain.Rewind(to); err != nil {
		return err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.status.Open = slices.DeleteFunc(v.status.Open, func(d Disagreement) bool {
		if d.Number > to {
			v.status.Settled = append(v.status.Settled, d)
			return true
		}
		return false
	})
	v.status.FirstDisagreement = nil
	if len(v.status.Open) > 0 {
		first := v.status.Open[0]
		v.status.FirstDisagreement = &first
	}
	v.status.Checked = min(v.status.Checked, to)
	v.log.Warn("A challenge deleted posted outputs: the L2 continues from the last valid block", "l2Block", to, "l1Block", l1)
	return nil
}

// execute applies one derived block on the head (unless a crash left it
// committed already) and commits it.
func (v *Verifier) execute(in *derive.Inputs) error {
	if uint64(in.Number) <= v.chain.Head().Number() {
		return nil // committed before a restart; derivation is deterministic
	}
	attrs := l2chain.Attributes{Time: in.Time, Origin: in.Origin, OriginTime: in.OriginTime, Operations: in.Operations}
	ex, err := v.chain.Apply(attrs, in.Transactions)
	if err != nil {
		return err
	}
	if err := v.chain.Commit(ex); err != nil {
		return err
	}
	if n := len(ex.Result.Skipped); n > 0 {
		v.log.Info("Left out invalid batch transactions", "l2Block", in.Number, "skipped", n)
	}
	if in.DepositOnly {
		v.log.Info("Deposit-only block: no batch covered its origin within the sequencing window",
			"l2Block", in.Number, "origin", in.Origin.Number, "operations", len(in.Operations))
	}
	return nil
}

// check compares a posted claim with the executed block and reports
// whether they agree.
func (v *Verifier) check(c *derive.Claim) (bool, error) {
	own, err := v.chain.BlockByNumber(c.Number)
	if err != nil {
		return false, fmt.Errorf("own L2 block %d for a claim: %w", c.Number, err)
	}
	var fields []string
	if own.Header.Root != c.StateRoot {
		fields = append(fields, "stateRoot")
	}
	if own.Hash() != c.BlockHash {
		fields = append(fields, "blockHash")
	}
	ownWs, err := v.chain.Withdrawals(own)
	if err != nil {
		return false, fmt.Errorf("own L2 block %d for a claim: %w", c.Number, err)
	}
	if !sameWithdrawals(ownWs, c.Withdrawals) {
		fields = append(fields, "withdrawals")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.status.Checked = max(v.status.Checked, c.Number)
	if len(fields) == 0 {
		v.status.Agreed++
		v.metrics.observeCheck(c.Number, true)
		return true, nil
	}
	d := &Disagreement{Number: c.Number, BatchIndex: c.BatchIndex, L1Block: c.L1Block, Fields: fields,
		PostedStateRoot: c.StateRoot, OwnStateRoot: own.Header.Root, PostedBlockHash: c.BlockHash, OwnBlockHash: own.Hash()}
	v.metrics.observeCheck(c.Number, false)
	if v.status.FirstDisagreement == nil {
		v.status.FirstDisagreement = d
	}
	if len(v.status.Open) < maxOpen {
		v.status.Open = append(v.status.Open, *d)
	}
	v.log.Error("Posted output differs from the L1-derived chain", "l2Block", c.Number, "batch", c.BatchIndex, "l1Block", c.L1Block,
		"fields", slices.Clone(fields), "postedStateRoot", c.StateRoot, "ownStateRoot", own.Header.Root,
		"postedBlockHash", c.BlockHash, "ownBlockHash", own.Hash())
	return false, nil
}

// batchIndexes lists the distinct batches of claims, in order.
func batchIndexes(claims []derive.Claim) []uint64 {
	var out []uint64
	for _, c := range claims {
		if len(out) == 0 || out[len(out)-1] != c.BatchIndex {
			out = append(out, c.BatchIndex)
		}
	}
	return out
}

// saved is what the verifier keeps on disk: where derivation stands and
// what it found, so a restart mid-dispute still knows the first wrong
// output (its claim will not be read again).
type saved struct {
	Derive            derive.State
	Checked           block.L2Number
	Agreed            uint64
	FirstDisagreement *Disagreement  `json:",omitempty"`
	Open              []Disagreement `json:",omitempty"`
	Settled           []Disagreement `json:",omitempty"`
}

func loadState(db store.Store) (saved, bool, error) {
	data, err := db.Get(store.DeriveStateKey())
	if errors.Is(err, store.ErrNotFound) {
		return saved{}, false, nil
	}
	if err != nil {
		return saved{}, false, fmt.Errorf("load verifier state: %w", err)
	}
	var st saved
	if err := json.Unmarshal(data, &st); err != nil {
		return saved{}, false, fmt.Errorf("load verifier state: %w: %v", store.ErrCorrupt, err)
	}
	return st, true, nil
}

func saveState(db store.Store, st saved) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("save verifier state: %w", err)
	}
	b := db.NewBatch()
	if err := b.Put(store.DeriveStateKey(), data); err != nil {
		return fmt.Errorf("save verifier state: %w", err)
	}
	if err := b.Commit(true); err != nil {
		return fmt.Errorf("save verifier state: %w", err)
	}
	return nil
}

// sameWithdrawals reports whether two withdrawal lists are equal, element
// by element (what their roots commit to).
func sameWithdrawals(a, b []block.Withdrawal) bool {
	return slices.EqualFunc(a, b, func(x, y block.Withdrawal) bool {
		return x.Nonce == y.Nonce && x.From == y.From && x.To == y.To &&
			x.Amount != nil && y.Amount != nil && x.Amount.Cmp(y.Amount) == 0
	})
}
