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

// RPCProgress is what WaitForRPC reports while it waits.
type RPCProgress struct {
	// Waited is the time waited so far; Left the time before ctx ends
	// (0 without a deadline).
	Waited, Left time.Duration
	// Err is why the last attempt failed.
	Err error
}

// WaitForRPC polls the JSON-RPC server at url until it answers
// eth_chainId with chainID, calling progress (if set) every progressEvery.
// It fails when ctx ends (the error carries the last failure), when the
// server answers another chain id, or when a node exits first (an
// *ExitError).
func WaitForRPC(ctx context.Context, url string, chainID uint64, exits <-chan NodeExit,
	progressEvery time.Duration, progress func(RPCProgress)) error {
	start := time.Now()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	if progressEvery <= 0 {
		progressEvery = time.Second
	}
	report := time.NewTicker(progressEvery)
	defer report.Stop()
	var client *ethclient.Client
	defer func() {
		if client != nil {
			client.Close()
		}
	}()
	var lastErr error
	for {
		id, err := chainIDOf(ctx, &client, url)
		switch {
		case err == nil && id == chainID:
			return nil
		case err == nil:
			return fmt.Errorf("%s answers chain id %d, want %d: is another node on its port?", url, id, chainID)
		case ctx.Err() == nil: // a call cut short by the deadline says nothing new
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to answer (last error: %v): %w", url, lastErr, ctx.Err())
		case e := <-exits:
			return &ExitError{Exit: e}
		case <-report.C:
			if progress != nil {
				p := RPCProgress{Waited: time.Since(start), Err: lastErr}
				if d, ok := ctx.Deadline(); ok {
					p.Left = max(time.Until(d), 0)
				}
				progress(p)
			}
		case <-tick.C:
		}
	}
}

// chainIDOf asks url for its chain id, dialing it once into *c.
func chainIDOf(ctx context.Context, c **ethclient.Client, url string) (uint64, error) {
	if *c == nil {
		cl, err := ethclient.DialContext(ctx, url)
		if err != nil {
			return 0, fmt.Errorf("dial %s: %w", url, err)
		}
		*c = cl
	}
	callCtx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	id, err := (*c).ChainID(callCtx)
	if err != nil {
		return 0, fmt.Errorf("%s eth_chainId: %w", url, err)
	}
	return id.Uint64(), nil
}
