package loadgen

import (
	"context"
	"fmt"
	"math/big"
	"time"
)

// SearchConfig sets up a saturation search.
type SearchConfig struct {
	Config
	ChainID *big.Int
	Fees    Fees
	// StartRate is the first offered rate; each step multiplies it by
	// Factor.
	StartRate, Factor float64
	// StepDuration is how long each rate is offered.
	StepDuration time.Duration
	// MaxSteps bounds the search.
	MaxSteps int
	// Seed makes the recipients repeatable.
	Seed uint64
	// Log, if set, receives one line per step.
	Log func(string)
}

// Search offers rising rates until finalized throughput stops rising (a
// step gains less than 5 %) or MaxSteps, and returns every step and the
// best one.
func Search(ctx context.Context, sc SearchConfig, accounts []*Account) ([]Result, Result, error) {
	var steps []Result
	var best Result
	rate := sc.StartRate
	for step := 0; step < sc.MaxSteps; step++ {
		count := int(rate * sc.StepDuration.Seconds())
		load, err := Presign(sc.ChainID, accounts, count, sc.Fees, sc.Seed+uint64(step))
		if err != nil {
			return steps, best, err
		}
		cfg := sc.Config
		cfg.Rate = rate
		res, err := Run(ctx, cfg, load)
		if err != nil {
			return steps, best, err
		}
		steps = append(steps, res)
		if sc.Log != nil {
			sc.Log(fmt.Sprintf("offered %.0f tx/s: finalized %.0f tx/s, included %d/%d, p50 %s, p99 %s, send errors %d %s",
				rate, res.FinalizedTPS, res.Included, res.Sent, res.LatencyP50.Round(time.Millisecond),
				res.LatencyP99.Round(time.Millisecond), res.SendErrors, res.FirstError))
		}
		// Transactions refused or never included leave nonce gaps: resync
		// the accounts' nonces before the next step.
		if res.Included < res.Sent {
			if err := resyncNonces(ctx, sc.WatchURL, accounts); err != nil {
				return steps, best, err
			}
		}
		improved := res.FinalizedTPS > best.FinalizedTPS*1.05
		if res.FinalizedTPS > best.FinalizedTPS {
			best = res
		}
		if !improved && step > 0 {
			break
		}
		rate *= sc.Factor
	}
	return steps, best, nil
}
