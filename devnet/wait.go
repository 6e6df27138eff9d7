package devnet

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
)

// pollInterval is how often WaitForHeight asks the nodes for their head.
const pollInterval = 100 * time.Millisecond

// ExitError is the error WaitForHeight returns when a node exits first.
type ExitError struct {
	// Exit is the node that exited.
	Exit NodeExit
}

// Error implements error.
func (e *ExitError) Error() string {
	return fmt.Sprintf("%s exited: %v (log: %s)", e.Exit.Name, e.Exit.Err, e.Exit.Log)
}

// Unwrap makes errors.Is(err, ErrNodeExited) hold.
func (e *ExitError) Unwrap() error { return ErrNodeExited }

// WaitForHeight polls every RPC URL until each reports a head of at least
// min, and returns the heads. It fails when ctx ends (the error says which
// nodes were behind) or when a node exits first (an *ExitError).
func WaitForHeight(ctx context.Context, urls []string, min uint64, exits <-chan NodeExit) ([]uint64, error) {
	heads := make([]uint64, len(urls))
	clients := make([]*ethclient.Client, len(urls))
	defer func() {
		for _, c := range clients {
			if c != nil {
				c.Close()
			}
		}
	}()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var lastErr error
	for {
		done := true
		for i, url := range urls {
			if heads[i] >= min {
				continue
			}
			h, err := blockNumber(ctx, &clients[i], url)
			if err != nil {
				lastErr = err
			}
			heads[i] = h
			done = done && h >= min
		}
		if done {
			return heads, nil
		}
		select {
		case <-ctx.Done():
			return heads, fmt.Errorf("waiting for height %d: heads %v (last error: %v): %w", min, heads, lastErr, ctx.Err())
		case e := <-exits:
			return heads, &ExitError{Exit: e}
		case <-tick.C:
		}
	}
}

// blockNumber asks url for its head, dialing it once into *c.
func blockNumber(ctx context.Context, c **ethclient.Client, url string) (uint64, error) {
	if *c == nil {
		cl, err := ethclient.DialContext(ctx, url)
		if err != nil {
			return 0, fmt.Errorf("dial %s: %w", url, err)
		}
		*c = cl
	}
	callCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	n, err := (*c).BlockNumber(callCtx)
	if err != nil {
		return 0, fmt.Errorf("%s eth_blockNumber: %w", url, err)
	}
	return n, nil
}
