package fallback

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// L1 is what the agent needs of the L1 and the rollup contract.
type L1 interface {
	// HeadNumber returns the newest L1 block.
	HeadNumber(ctx context.Context) (block.L1Number, error)
	// LastAccepted returns the contract's last accepted L2 block.
	LastAccepted(ctx context.Context) (protocol.Head, error)
	// FallbackWindow returns the contract's fallbackFrom().
	FallbackWindow(ctx context.Context) (contract.FallbackWindow, error)
	// Bonded returns the proposer's bond.
	Bonded(ctx context.Context) (*big.Int, error)
	// Balance returns the proposer's L1 balance.
	Balance(ctx context.Context) (*big.Int, error)
	// Bond adds amount to the proposer's bond and waits for it.
	Bond(ctx context.Context, amount *big.Int) error
	// Submit posts batch data and waits for its receipt; a refusal is an
	// error carrying the contract's reason.
	Submit(ctx context.Context, data []byte) (*types.Receipt, error)
}

// AgentConfig tunes the agent.
type AgentConfig struct {
	// Bond is the bond posting needs (the rollup's sequencer bond).
	Bond *big.Int
	// Limits are the contract's batch limits (contract.BatchLimits).
	Limits batch.Limits
	// MaxGas bounds the gas of one submitBatch transaction (0: no bound).
	MaxGas uint64
	// PollInterval is how often the agent looks at the L1.
	PollInterval time.Duration
}

// Agent is the fallback proposer: it observes the L1 and the derived
// chain, asks Decide, and bonds or posts.
type Agent struct {
	cfg   AgentConfig
	chain Chain
	l1    L1
	enc   *batch.Encoder
	log   *slog.Logger

	mu     sync.Mutex
	posted []Posted
	// lastWait is the reason of the last Wait logged (each is logged
	// once, at debug level).
	lastWait string
}

// Posted is a batch the agent had accepted on the L1.
type Posted struct {
	From, To block.L2Number
	L1Block  block.L1Number
}

// NewAgent returns the fallback proposer over the derived chain.
func NewAgent(cfg AgentConfig, chain Chain, l1c L1, log *slog.Logger) (*Agent, error) {
	if err := cfg.Limits.Validate(); err != nil {
		return nil, fmt.Errorf("fallback proposer: %w", err)
	}
	if cfg.PollInterval <= 0 {
		return nil, fmt.Errorf("fallback proposer: poll interval %s must be positive", cfg.PollInterval)
	}
	enc, err := batch.NewEncoder()
	if err != nil {
		return nil, fmt.Errorf("fallback proposer: %w", err)
	}
	return &Agent{cfg: cfg, chain: chain, l1: l1c, enc: enc, log: log}, nil
}

// Posted returns the batches the agent had accepted, in order.
func (a *Agent) Posted() []Posted {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Posted(nil), a.posted...)
}

// Run acts every poll interval until ctx ends; errors are logged and the
// next poll tries again.
func (a *Agent) Run(ctx context.Context) error {
	t := time.NewTicker(a.cfg.PollInterval)
	defer t.Stop()
	var lastErr string
	for {
		if _, err := a.Step(ctx); err != nil && ctx.Err() == nil {
			if err.Error() != lastErr {
				a.log.Warn("Fallback proposer", "err", err)
				lastErr = err.Error()
			}
		} else if err == nil {
			lastErr = ""
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Step observes, decides and acts once, and returns the decision.
func (a *Agent) Step(ctx context.Context) (Action, error) {
	o, err := a.observe(ctx)
	if err != nil {
		return Action{}, err
	}
	act := Decide(o)
	switch act.Kind {
	case Wait:
		a.mu.Lock()
		if act.Reason != a.lastWait {
			a.log.Debug("Fallback proposer waits", "reason", act.Reason)
			a.lastWait = act.Reason
		}
		a.mu.Unlock()
	case Bond:
		a.log.Info("Bonding on L1 to post as fallback proposer", "amount", act.Amount, "required", a.cfg.Bond,
			"silentL1Blocks", act.Silent)
		if err := a.l1.Bond(ctx, act.Amount); err != nil {
			return act, fmt.Errorf("fallback proposer: %w", err)
		}
	case Post:
		return act, a.post(ctx, o, act)
	}
	return act, nil
}

// observe reads what Decide needs.
func (a *Agent) observe(ctx context.Context) (Observation, error) {
	var o Observation
	var err error
	if o.L1Head, err = a.l1.HeadNumber(ctx); err != nil {
		return o, fmt.Errorf("fallback proposer: %w", err)
	}
	if o.Window, err = a.l1.FallbackWindow(ctx); err != nil {
		return o, fmt.Errorf("fallback proposer: %w", err)
	}
	if o.L1Head+1 < o.Window.From {
		return o, nil // Decide waits; nothing else is needed
	}
	if o.LastAccepted, err = a.l1.LastAccepted(ctx); err != nil {
		return o, fmt.Errorf("fallback proposer: %w", err)
	}
	if o.DerivedAtAccepted, o.Postable, err = scan(a.chain, o.LastAccepted, a.cfg.Limits.MaxBlocks); err != nil {
		return o, fmt.Errorf("fallback proposer: %w", err)
	}
	if o.Bonded, err = a.l1.Bonded(ctx); err != nil {
		return o, fmt.Errorf("fallback proposer: %w", err)
	}
	if o.Balance, err = a.l1.Balance(ctx); err != nil {
		return o, fmt.Errorf("fallback proposer: %w", err)
	}
	o.Required = a.cfg.Bond
	return o, nil
}

// post posts the blocks act names, as many as one batch holds.
func (a *Agent) post(ctx context.Context, o Observation, act Action) error {
	b, data, err := buildBatch(a.chain, a.enc, o.LastAccepted, act.To, a.cfg.Limits, a.cfg.MaxGas)
	if err != nil {
		return fmt.Errorf("fallback proposer: %w", err)
	}
	last := b.Blocks[len(b.Blocks)-1].Number
	withdrawals := 0
	for i := range b.Blocks {
		withdrawals += len(b.Blocks[i].Withdrawals)
	}
	a.log.Warn(fmt.Sprintf("Sequencer silent for %d L1 blocks: posting L2 blocks %d-%d as fallback proposer", act.Silent, act.From, last),
		"derivedUpTo", act.To, "withdrawals", withdrawals, "bytes", len(data))
	start := time.Now()
	r, err := a.l1.Submit(ctx, data)
	if err != nil {
		return fmt.Errorf("fallback proposer: post L2 blocks %d-%d: %w", act.From, last, err)
	}
	if r == nil || r.BlockNumber == nil {
		return errors.New("fallback proposer: the L1 returned no receipt for the batch")
	}
	a.mu.Lock()
	a.posted = append(a.posted, Posted{From: act.From, To: last, L1Block: block.L1Number(r.BlockNumber.Uint64())})
	a.lastWait = ""
	a.mu.Unlock()
	a.log.Info("Fallback batch accepted on L1", "blocks", fmt.Sprintf("%d-%d", act.From, last), "l1Block", r.BlockNumber,
		"tx", r.TxHash, "took", time.Since(start).Round(time.Millisecond))
	if last < act.To {
		a.log.Info("The rest of the derived blocks waits for the next sequencer timeout (one fallback batch per timeout)",
			"next", last+1, "derivedUpTo", act.To)
	}
	return nil
}

// RPCL1 is the agent's L1 over JSON-RPC: the sequencer batcher's
// RPCRollup (views, bond and submitBatch from the proposer's key) plus
// fallbackFrom() and the proposer's balance.
type RPCL1 struct {
	*sequencer.RPCRollup
}

var _ L1 = RPCL1{}

// FallbackWindow reads the contract's fallbackFrom().
func (r RPCL1) FallbackWindow(ctx context.Context) (contract.FallbackWindow, error) {
	ret, err := r.Client.CallContract(ctx, contract.Address, contract.PackFallbackFrom(), nil)
	if err != nil {
		return contract.FallbackWindow{}, fmt.Errorf("rollup contract fallbackFrom: %w", err)
	}
	return contract.UnpackFallbackFrom(ret)
}

// Balance returns the proposer's L1 balance.
func (r RPCL1) Balance(ctx context.Context) (*big.Int, error) {
	bal, err := r.Client.BalanceAt(ctx, r.Sender.Address(), nil)
	if err != nil {
		return nil, fmt.Errorf("L1 balance of the fallback proposer %s: %w", r.Sender.Address(), err)
	}
	return bal, nil
}
