package wallet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// ErrNotIncluded is returned when a transaction has no receipt before the
// wait times out.
var ErrNotIncluded = errors.New("transaction not included")

// WaitOptions tunes WaitReceipt.
type WaitOptions struct {
	// Timeout bounds the wait (required, > 0).
	Timeout time.Duration
	// Poll is how often to ask for the receipt (default 200ms).
	Poll time.Duration
	// Progress, if set, is called every ProgressEvery (default 1s) with
	// the time waited so far.
	Progress      func(waited time.Duration)
	ProgressEvery time.Duration
}

// WaitReceipt polls for the receipt of hash (with the L2's l1Fee) until it
// arrives, ctx ends or opts.Timeout passes; on timeout the error wraps ErrNotIncluded and says
// how to check later.
func (c *Client) WaitReceipt(ctx context.Context, hash common.Hash, opts WaitOptions) (*Receipt, error) {
	if opts.Poll <= 0 {
		opts.Poll = 200 * time.Millisecond
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	poll := time.NewTicker(opts.Poll)
	defer poll.Stop()
	progress := time.NewTicker(opts.ProgressEvery)
	defer progress.Stop()
	ticks := 0
	for {
		r, err := c.receipt(ctx, hash)
		switch {
		case err == nil:
			return r, nil
		case ctx.Err() != nil:
			// Fall through to the deadline below.
		case !notFound(err):
			return nil, c.wrap(fmt.Sprintf("read receipt of %s", hash), err)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil, fmt.Errorf("%w after %s: %s may still be pending; check with `wallet tx %s`", ErrNotIncluded, opts.Timeout, hash, hash)
			}
			return nil, fmt.Errorf("wait for %s: %w", hash, ctx.Err())
		case <-progress.C:
			ticks++
			if opts.Progress != nil {
				opts.Progress(time.Duration(ticks) * opts.ProgressEvery)
			}
		case <-poll.C:
		}
	}
}
