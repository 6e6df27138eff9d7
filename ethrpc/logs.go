package ethrpc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Log query limits.
const (
	MaxLogRange     = 10_000
	MaxLogResults   = 10_000
	MaxLogAddresses = 1_000
	MaxLogTopics    = 4
	MaxTopicOptions = 1_000
)

// FilterQuery is the eth_getLogs argument.
type FilterQuery struct {
	BlockHash *common.Hash
	FromBlock *rpc.BlockNumber
	ToBlock   *rpc.BlockNumber
	Addresses []common.Address
	// Topics[i] lists the accepted values of topic i; an empty list
	// accepts any.
	Topics [][]common.Hash
}

// UnmarshalJSON accepts the Ethereum filter object: address as one address
// or a list, topics as a list whose entries are null, one topic or a list.
func (q *FilterQuery) UnmarshalJSON(data []byte) error {
	var raw struct {
		BlockHash *common.Hash      `json:"blockHash"`
		FromBlock *rpc.BlockNumber  `json:"fromBlock"`
		ToBlock   *rpc.BlockNumber  `json:"toBlock"`
		Address   json.RawMessage   `json:"address"`
		Topics    []json.RawMessage `json:"topics"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("invalid filter: %w", err)
	}
	if raw.BlockHash != nil && (raw.FromBlock != nil || raw.ToBlock != nil) {
		return errors.New("invalid filter: blockHash cannot be combined with fromBlock or toBlock")
	}
	*q = FilterQuery{BlockHash: raw.BlockHash, FromBlock: raw.FromBlock, ToBlock: raw.ToBlock}
	if len(raw.Address) > 0 && string(raw.Address) != "null" {
		var one common.Address
		if err := json.Unmarshal(raw.Address, &one); err == nil {
			q.Addresses = []common.Address{one}
		} else if err := json.Unmarshal(raw.Address, &q.Addresses); err != nil {
			return fmt.Errorf("invalid filter address: %w", err)
		}
	}
	if len(q.Addresses) > MaxLogAddresses {
		return fmt.Errorf("invalid filter: %d addresses, at most %d", len(q.Addresses), MaxLogAddresses)
	}
	if len(raw.Topics) > MaxLogTopics {
		return fmt.Errorf("invalid filter: %d topic positions, at most %d", len(raw.Topics), MaxLogTopics)
	}
	for i, t := range raw.Topics {
		var options []common.Hash
		switch {
		case len(t) == 0 || string(t) == "null":
		default:
			var one common.Hash
			if err := json.Unmarshal(t, &one); err == nil {
				options = []common.Hash{one}
			} else if err := json.Unmarshal(t, &options); err != nil {
				return fmt.Errorf("invalid filter topic %d: %w", i, err)
			}
		}
		if len(options) > MaxTopicOptions {
			return fmt.Errorf("invalid filter topic %d: %d options, at most %d", i, len(options), MaxTopicOptions)
		}
		q.Topics = append(q.Topics, options)
	}
	return nil
}

// GetLogs returns the logs matching a filter (eth_getLogs).
func (api *EthAPI) GetLogs(ctx context.Context, q FilterQuery) ([]*types.Log, error) {
	release, err := api.heavy.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	return api.getLogs(ctx, api.newWork(ctx), &q)
}

// getLogs is eth_getLogs within a call's work.
func (api *EthAPI) getLogs(ctx context.Context, w *work, q *FilterQuery) ([]*types.Log, error) {
	if q.BlockHash != nil {
		if err := w.charge(1); err != nil {
			return nil, err
		}
		b, err := api.b.BlockByHash(ctx, *q.BlockHash)
		if err != nil {
			return nil, fmt.Errorf("block %s: %w", *q.BlockHash, err)
		}
		return api.blockLogs(ctx, w, b, q, nil)
	}
	from, to := rpc.LatestBlockNumber, rpc.LatestBlockNumber
	if q.FromBlock != nil {
		from = *q.FromBlock
	}
	if q.ToBlock != nil {
		to = *q.ToBlock
	}
	first, err := api.b.ResolveBlockNumber(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("fromBlock: %w", err)
	}
	last, err := api.b.ResolveBlockNumber(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("toBlock: %w", err)
	}
	if first > last {
		return nil, fmt.Errorf("invalid block range: fromBlock %d is after toBlock %d", first, last)
	}
	if last-first >= MaxLogRange {
		return nil, fmt.Errorf("block range too large: %d blocks, at most %d per query", last-first+1, MaxLogRange)
	}
	logs := []*types.Log{}
	for n := first; n <= last; n++ {
		if logs, err = api.logsAt(ctx, w, n, q, logs); err != nil {
			return nil, err
		}
		if len(logs) > MaxLogResults {
			return nil, fmt.Errorf("query returned more than %d logs (the limit per call); narrow the block range", MaxLogResults)
		}
	}
	return logs, nil
}

// logsAt appends the logs of block n that match q to out, reading the
// block and its receipts only when its header's bloom may match.
func (api *EthAPI) logsAt(ctx context.Context, w *work, n uint64, q *FilterQuery, out []*types.Log) ([]*types.Log, error) {
	h, err := api.header(ctx, w, n)
	if err != nil {
		return nil, err
	}
	if !bloomMatches(h.Bloom, q) {
		return out, nil
	}
	b, err := api.block(ctx, w, n)
	if err != nil {
		return nil, err
	}
	return api.blockLogs(ctx, w, b, q, out)
}

// blockLogs appends the logs of b that match q to out: the receipts' logs,
// then the system logs of a SystemLogsBackend.
func (api *EthAPI) blockLogs(ctx context.Context, w *work, b *block.Block, q *FilterQuery, out []*types.Log) ([]*types.Log, error) {
	if out == nil {
		out = []*types.Log{}
	}
	if !bloomMatches(b.Header.Bloom, q) {
		return out, nil
	}
	receipts, err := api.receipts(ctx, w, b)
	if err != nil {
		return nil, err
	}
	for _, r := range receipts {
		for _, l := range r.Logs {
			if logMatches(l, q) {
				out = append(out, l)
			}
		}
	}
	if sb, ok := api.b.(SystemLogsBackend); ok {
		if err := w.charge(1); err != nil {
			return nil, err
		}
		logs, err := sb.SystemLogs(ctx, b.Hash(), receipts)
		if err != nil {
			return nil, fmt.Errorf("system logs of block %d: %w", b.Number(), err)
		}
		for _, l := range logs {
			if logMatches(l, q) {
				out = append(out, l)
			}
		}
	}
	return out, nil
}

func bloomMatches(bloom types.Bloom, q *FilterQuery) bool {
	if len(q.Addresses) > 0 && !slices.ContainsFunc(q.Addresses, func(a common.Address) bool { return bloom.Test(a[:]) }) {
		return false
	}
	for _, options := range q.Topics {
		if len(options) > 0 && !slices.ContainsFunc(options, func(t common.Hash) bool { return bloom.Test(t[:]) }) {
			return false
		}
	}
	return true
}

func logMatches(l *types.Log, q *FilterQuery) bool {
	if len(q.Addresses) > 0 && !slices.Contains(q.Addresses, l.Address) {
		return false
	}
	if len(q.Topics) > len(l.Topics) {
		return false
	}
	for i, options := range q.Topics {
		if len(options) > 0 && !slices.Contains(options, l.Topics[i]) {
			return false
		}
	}
	return true
}
