package challenger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l1"
	"github.com/bilayer/bilayer/rollup/l1data"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/verifier"
)

// L1 is what the agent needs of the L1.
type L1 interface {
	// HeadNumber returns the newest L1 block.
	HeadNumber(ctx context.Context) (block.L1Number, error)
	// PostedBatchOf returns the accepted batch that holds L2 block n.
	PostedBatchOf(ctx context.Context, n block.L2Number) (*Posted, error)
	// Challenge sends the challenge of L2 block n with the encoded proof
	// and waits for its receipt; a refusal is an error with the reason.
	Challenge(ctx context.Context, n block.L2Number, proof []byte) (*types.Receipt, error)
}

// AgentConfig tunes the agent.
type AgentConfig struct {
	// ChallengeWindow is the rollup's W.
	ChallengeWindow uint64
	// MaxAttempts bounds the challenges sent against one output.
	MaxAttempts int
	// PollInterval is how often the agent looks at the verifier.
	PollInterval time.Duration
}

// Agent acts on the solver's decisions: it builds fraud proofs and sends
// them.
type Agent struct {
	cfg   AgentConfig
	v     *verifier.Verifier
	chain *l2chain.Chain
	l1    L1
	log   *slog.Logger

	mu       sync.Mutex
	attempts map[block.L2Number]int
	reported map[block.L2Number]ActionKind
	won      []block.L2Number
	// proven maps a block the agent proved wrong to the L1 block of the
	// batch that posted it: that disagreement is over, though the
	// verifier lists it until it derives the challenge's L1 block.
	proven map[block.L2Number]block.L1Number
}

// NewAgent returns the proving agent over the verifier's findings.
func NewAgent(cfg AgentConfig, v *verifier.Verifier, chain *l2chain.Chain, l1c L1, log *slog.Logger) *Agent {
	return &Agent{cfg: cfg, v: v, chain: chain, l1: l1c, log: log,
		attempts: make(map[block.L2Number]int), reported: make(map[block.L2Number]ActionKind),
		proven: make(map[block.L2Number]block.L1Number)}
}

// Won returns the blocks whose wrong outputs the agent proved.
func (a *Agent) Won() []block.L2Number {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]block.L2Number(nil), a.won...)
}

// Run acts until ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.PollInterval)
	defer t.Stop()
	for {
		if err := a.Step(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("Challenger", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Step observes, decides and acts once.
func (a *Agent) Step(ctx context.Context) error {
	st := a.v.Status()
	head, err := a.l1.HeadNumber(ctx)
	if err != nil {
		return err
	}
	// The earliest open disagreement still inside its window is the one
	// to prove; earlier ones whose batch became final are reported once.
	for i := range st.Open {
		d := &st.Open[i]
		a.mu.Lock()
		attempts := a.attempts[d.Number]
		at, proven := a.proven[d.Number]
		a.mu.Unlock()
		if proven && at == d.L1Block {
			// Won already: the challenge deleted this output and every
			// later one the verifier lists (it derives in L1 order).
			return nil
		}
		act := NextAction(Observation{First: d, L1Head: head, ChallengeWindow: a.cfg.ChallengeWindow,
			Attempts: attempts, MaxAttempts: a.cfg.MaxAttempts, ParentWrong: i > 0 && st.Open[i-1].Number+1 == d.Number})
		switch act.Kind {
		case Challenge:
			return a.challenge(ctx, d, act)
		case Missed, GiveUp:
			a.mu.Lock()
			if a.reported[act.Block] != act.Kind {
				a.reported[act.Block] = act.Kind
				a.log.Error("A wrong output stands unchallenged", "l2Block", act.Block, "final", act.Kind == Missed, "attempts", attempts)
			}
			a.mu.Unlock()
		}
	}
	return nil
}

// challenge proves d wrong in one L1 transaction.
func (a *Agent) challenge(ctx context.Context, d *verifier.Disagreement, act Action) error {
	a.mu.Lock()
	a.attempts[d.Number]++
	a.mu.Unlock()
	start := time.Now()
	posted, err := a.l1.PostedBatchOf(ctx, d.Number)
	if err != nil {
		return fmt.Errorf("challenge L2 block %d: %w", d.Number, err)
	}
	var parent *Posted
	if d.Number > 1 {
		if parent, err = a.l1.PostedBatchOf(ctx, d.Number-1); err != nil {
			return fmt.Errorf("challenge L2 block %d: parent: %w", d.Number, err)
		}
	}
	proof, err := BuildProof(a.chain, d.Number, posted, parent)
	if err != nil {
		return fmt.Errorf("challenge L2 block %d: %w", d.Number, err)
	}
	enc, err := proof.Encode()
	if err != nil {
		return err
	}
	a.log.Warn("Challenging a wrong output", "l2Block", d.Number, "batch", d.BatchIndex, "fields", d.Fields,
		"proofBytes", len(enc), "witnessBytes", len(proof.Witness), "l1BlocksLeft", act.BlocksLeft)
	r, err := a.l1.Challenge(ctx, d.Number, enc)
	if err != nil {
		return fmt.Errorf("challenge L2 block %d: %w", d.Number, err)
	}
	a.mu.Lock()
	a.won = append(a.won, d.Number)
	a.proven[d.Number] = d.L1Block
	a.mu.Unlock()
	a.log.Warn("Fraud proof won: the L1 deleted the wrong outputs and slashed the poster's bond", "l2Block", d.Number,
		"l1Block", r.BlockNumber, "tx", r.TxHash, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// RPCL1 is the agent's L1 over JSON-RPC.
type RPCL1 struct {
	Client *l1.Client
	Reader *l1data.Reader
	Sender *l1.Sender
}

// HeadNumber returns the newest L1 block.
func (r *RPCL1) HeadNumber(ctx context.Context) (block.L1Number, error) {
	return r.Client.HeadNumber(ctx)
}

// PostedBatchOf finds the accepted batch holding L2 block n and reads its
// data from the transaction that posted it.
func (r *RPCL1) PostedBatchOf(ctx context.Context, n block.L2Number) (*Posted, error) {
	ret, err := r.Client.CallContract(ctx, contract.Address, contract.PackBatchOfBlock(n), nil)
	if err != nil {
		return nil, fmt.Errorf("batch of L2 block %d: %w", n, err)
	}
	idx, err := contract.UnpackBatchOfBlock(ret)
	if err != nil {
		return nil, err
	}
	ret, err = r.Client.CallContract(ctx, contract.Address, contract.PackBatch(idx), nil)
	if err != nil {
		return nil, fmt.Errorf("batch %d: %w", idx, err)
	}
	info, err := contract.UnpackBatch(idx, ret)
	if err != nil {
		return nil, err
	}
	b, err := r.Reader.L1Block(ctx, info.L1Block)
	if err != nil {
		return nil, err
	}
	for _, ab := range b.Batches {
		if ab.Index == idx {
			return &Posted{Index: idx, Batch: ab.Batch, OriginHash: func(x block.L1Number) (common.Hash, bool) {
				ref, err := r.Client.BlockRef(ctx, x)
				if err != nil {
					return common.Hash{}, false
				}
				return ref.Hash, true
			}}, nil
		}
	}
	return nil, fmt.Errorf("batch %d is not among the batches accepted in L1 block %d", idx, info.L1Block)
}

// Challenge sends challenge(n, proof) and waits for the receipt.
func (r *RPCL1) Challenge(ctx context.Context, n block.L2Number, proof []byte) (*types.Receipt, error) {
	rcpt, err := r.Sender.SendAndWait(ctx, contract.Address, nil, contract.PackChallenge(n, proof), 0)
	if err != nil {
		return nil, err
	}
	if rcpt.Status != types.ReceiptStatusSuccessful {
		return nil, errors.New("challenge failed")
	}
	return rcpt, nil
}
