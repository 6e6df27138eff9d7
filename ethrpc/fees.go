package ethrpc

import (
	"context"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// Fee history limits.
const (
	MaxFeeHistoryBlocks      = 1024
	MaxFeeHistoryPercentiles = 100
)

// FeeHistoryResult is the eth_feeHistory result.
type FeeHistoryResult struct {
	OldestBlock  *hexutil.Big     `json:"oldestBlock"`
	Reward       [][]*hexutil.Big `json:"reward,omitempty"`
	BaseFee      []*hexutil.Big   `json:"baseFeePerGas,omitempty"`
	GasUsedRatio []float64        `json:"gasUsedRatio"`
}

// FeeHistory returns base fees, gas-used ratios and tip percentiles of up
// to blockCount blocks ending at lastBlock, plus the base fee of the block
// after them.
func (api *EthAPI) FeeHistory(ctx context.Context, blockCount math.HexOrDecimal64, lastBlock rpc.BlockNumber, percentiles []float64) (*FeeHistoryResult, error) {
	if blockCount == 0 {
		return &FeeHistoryResult{OldestBlock: (*hexutil.Big)(new(big.Int)), GasUsedRatio: []float64{}}, nil
	}
	if blockCount > MaxFeeHistoryBlocks {
		blockCount = MaxFeeHistoryBlocks
	}
	if len(percentiles) > MaxFeeHistoryPercentiles {
		return nil, fmt.Errorf("at most %d reward percentiles, got %d", MaxFeeHistoryPercentiles, len(percentiles))
	}
	for i, p := range percentiles {
		if p < 0 || p > 100 || (i > 0 && p < percentiles[i-1]) {
			return nil, fmt.Errorf("reward percentiles must rise from 0 to 100; %v at index %d does not", p, i)
		}
	}
	release, err := api.heavy.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	w := api.newWork(ctx)
	last, err := api.b.ResolveBlockNumber(ctx, lastBlock)
	if err != nil {
		return nil, err
	}
	latest, err := api.b.ResolveBlockNumber(ctx, rpc.LatestBlockNumber)
	if err != nil {
		return nil, err
	}
	first := uint64(0)
	if last+1 > uint64(blockCount) {
		first = last + 1 - uint64(blockCount)
	}
	res := &FeeHistoryResult{OldestBlock: (*hexutil.Big)(new(big.Int).SetUint64(first))}
	for n := first; n <= last; n++ {
		// The header holds all but the rewards; an empty block has none.
		h, err := api.header(ctx, w, n)
		if err != nil {
			return nil, fmt.Errorf("fee history: %w", err)
		}
		res.BaseFee = append(res.BaseFee, (*hexutil.Big)(h.BaseFee))
		ratio := 0.0
		if h.GasLimit > 0 {
			ratio = float64(h.GasUsed) / float64(h.GasLimit)
		}
		res.GasUsedRatio = append(res.GasUsedRatio, ratio)
		if len(percentiles) > 0 {
			rewards, err := api.blockRewards(ctx, w, n, h, percentiles)
			if err != nil {
				return nil, err
			}
			res.Reward = append(res.Reward, rewards)
		}
	}
	var next *big.Int
	if last >= latest {
		if next, err = api.b.NextBaseFee(ctx); err != nil {
			return nil, err
		}
	} else {
		h, err := api.header(ctx, w, last+1)
		if err != nil {
			return nil, fmt.Errorf("fee history: %w", err)
		}
		next = h.BaseFee
	}
	res.BaseFee = append(res.BaseFee, (*hexutil.Big)(next))
	return res, nil
}

// blockRewards returns the tips at the given percentiles of block n's gas,
// weighting each transaction's tip by the gas it used. It reads the block
// and its receipts only when the header says the block used gas.
func (api *EthAPI) blockRewards(ctx context.Context, w *work, n uint64, h *types.Header, percentiles []float64) ([]*hexutil.Big, error) {
	out := make([]*hexutil.Big, len(percentiles))
	zeros := func() ([]*hexutil.Big, error) {
		for i := range out {
			out[i] = (*hexutil.Big)(new(big.Int))
		}
		return out, nil
	}
	if h.GasUsed == 0 {
		return zeros()
	}
	b, err := api.block(ctx, w, n)
	if err != nil {
		return nil, fmt.Errorf("fee history: %w", err)
	}
	if len(b.Transactions) == 0 {
		return zeros()
	}
	receipts, err := api.receipts(ctx, w, b)
	if err != nil {
		return nil, err
	}
	type tipGas struct {
		tip *big.Int
		gas uint64
	}
	tips := make([]tipGas, len(b.Transactions))
	for i, tx := range b.Transactions {
		tip := new(big.Int).Sub(effectiveGasPrice(tx, b.Header.BaseFee), b.Header.BaseFee)
		var gas uint64
		if i < len(receipts) {
			gas = receipts[i].GasUsed
		}
		tips[i] = tipGas{tip, gas}
	}
	slices.SortStableFunc(tips, func(a, b tipGas) int { return a.tip.Cmp(b.tip) })
	var total uint64
	for _, t := range tips {
		total += t.gas
	}
	idx, sum := 0, tips[0].gas
	for i, p := range percentiles {
		threshold := uint64(float64(total) * p / 100)
		for sum < threshold && idx < len(tips)-1 {
			idx++
			sum += tips[idx].gas
		}
		out[i] = (*hexutil.Big)(new(big.Int).Set(tips[idx].tip))
	}
	return out, nil
}
