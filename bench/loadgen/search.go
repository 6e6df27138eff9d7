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
	// Settle, if set, runs before each step (e.g. to wait until the chain
	// has drained the previous step's backlog).
	Settle func(context.Context) error
	// Retry, if set, is asked after each step whether to offer the same
	// rate once more (e.g. because other processes took the CPU): both
	// results are kept in the steps, and the second (the better of the
	// two if Retry refuses it as well) counts for the best and for whether
	// the search goes on.
	Retry func(Result) bool
}

// Search offers rising rates until finalized throughput stops rising (a
// step gains less than 5 %) or MaxSteps, and returns every step and the
// best one.
func Search(ctx context.Context, sc SearchConfig, accounts []*Account) ([]Result, Result, error) {
	var steps []Result
	var best Result
	rate := sc.StartRate
	for step := 0; step < sc.MaxSteps; step++ {
		if sc.Settle != nil {
			if err := sc.Settle(ctx); err != nil {
				return steps, best, err
			}
		}
		res, err := Step(ctx, sc, accounts, rate, sc.Seed+uint64(step))
		if err != nil {
			return steps, best, err
		}
		steps = append(steps, res)
		if sc.Retry != nil && sc.Retry(res) {
			if sc.Log != nil {
				sc.Log(fmt.Sprintf("offering %.0f tx/s once more", rate))
			}
			if sc.Settle != nil {
				if err := sc.Settle(ctx); err != nil {
					return steps, best, err
				}
			}
			again, err := Step(ctx, sc, accounts, rate, sc.Seed+uint64(step)+1<<32)
			if err != nil {
				return steps, best, err
			}
			steps = append(steps, again)
			if sc.Retry(again) {
				res = better(res, again) // disturbed twice: the better decides
			} else {
				res = again
			}
		}
		// Did this rate gain over the best of the earlier rates?
		improved := res.FinalizedTPS > best.FinalizedTPS*1.05
		best = better(best, res)
		if !improved && step > 0 {
			break
		}
		rate *= sc.Factor
	}
	return steps, best, nil
}

// better returns the result with the higher finalized throughput.
func better(a, b Result) Result {
	if b.FinalizedTPS > a.FinalizedTPS {
		return b
	}
	return a
}

// Step presigns rate × StepDuration transfers (recipients from seed),
// offers them at rate, logs the outcome, and re-reads the accounts' nonces
// if some transfers were not included (refused or dropped ones leave
// gaps), so the next step starts from the chain's view.
func Step(ctx context.Context, sc SearchConfig, accounts []*Account, rate float64, seed uint64) (Result, error) {
	count := int(rate * sc.StepDuration.Seconds())
	load, err := Presign(sc.ChainID, accounts, count, sc.Fees, seed)
	if err != nil {
		return Result{}, err
	}
	cfg := sc.Config
	cfg.Rate = rate
	res, err := Run(ctx, cfg, load)
	if err != nil {
		return res, err
	}
	if sc.Log != nil {
		sc.Log(fmt.Sprintf("offered %.0f tx/s: finalized %.0f tx/s, included %d/%d, p50 %s, p99 %s, send errors %d %s",
			rate, res.FinalizedTPS, res.Included, res.Sent, res.LatencyP50.Round(time.Millisecond),
			res.LatencyP99.Round(time.Millisecond), res.SendErrors, res.FirstError))
	}
	if res.Partial() {
		if err := ResyncNonces(ctx, sc.WatchURL, accounts); err != nil {
			return res, err
		}
	}
	return res, nil
}
