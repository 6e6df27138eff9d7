package l1

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// Connect dials the L1 at url and waits — up to wait, logging progress
// and the time left every few seconds — until it answers with chainID. It
// returns the client and the L1 genesis hash (block 0), which the rollup's
// L2 genesis depends on.
func Connect(ctx context.Context, url string, chainID uint64, wait time.Duration, log *slog.Logger) (*Client, common.Hash, error) {
	start := time.Now()
	deadline := start.Add(wait)
	var lastLog time.Time
	for {
		client, hash, err := tryConnect(ctx, url, chainID)
		if err == nil {
			log.Info("Connected to the L1", "rpc", url, "chainId", chainID, "genesis", hash)
			return client, hash, nil
		}
		if ctx.Err() != nil {
			return nil, common.Hash{}, ctx.Err()
		}
		if time.Now().After(deadline) {
			return nil, common.Hash{}, fmt.Errorf("the L1 at %s did not answer within %s: %w", url, wait, err)
		}
		if time.Since(lastLog) >= 5*time.Second {
			log.Info("Waiting for the L1", "rpc", url, "elapsed", time.Since(start).Round(time.Second),
				"left", time.Until(deadline).Round(time.Second), "err", err)
			lastLog = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil, common.Hash{}, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// tryConnect makes one attempt of Connect.
func tryConnect(ctx context.Context, url string, chainID uint64) (*Client, common.Hash, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	client, err := Dial(cctx, url)
	if err != nil {
		return nil, common.Hash{}, err
	}
	if err := client.CheckChainID(cctx, chainID); err != nil {
		client.Close()
		return nil, common.Hash{}, err
	}
	ref, err := client.BlockRef(cctx, 0)
	if err != nil {
		client.Close()
		return nil, common.Hash{}, err
	}
	return client, ref.Hash, nil
}
