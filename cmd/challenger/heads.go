package main

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/rollup/verifier"
)

// heads resolves the block tags of the challenger's L2 RPC: safe is the
// derived head (every block the challenger has comes from the L1),
// finalized the rollup contract's finalized block as last polled, never
// above the derived head.
type heads struct {
	chain     *l2chain.Chain
	finalized atomic.Uint64
}

var _ l2rpc.Heads = (*heads)(nil)

// Safe is the newest derived L2 block.
func (h *heads) Safe() uint64 { return h.chain.Head().Number() }

// Finalized is the newest L2 block whose batch outlived the challenge
// window, as far as the challenger has derived.
func (h *heads) Finalized() uint64 { return min(h.finalized.Load(), h.chain.Head().Number()) }

// pollFinalized reads the contract's finalized block every interval until
// ctx ends, logging the first failure of a run of failures and the
// recovery.
func (h *heads) pollFinalized(ctx context.Context, f verifier.Finality, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		n, err := f.FinalizedBlock(cctx)
		cancel()
		switch {
		case err == nil:
			if failing {
				log.Info("Finalized L2 block readable again", "finalized", n)
				failing = false
			}
			h.finalized.Store(uint64(n))
		case ctx.Err() == nil && !failing:
			log.Warn("Cannot read the finalized L2 block from the L1; retrying", "err", err)
			failing = true
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
