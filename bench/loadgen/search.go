package loadgen

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// SearchConfig sets up a saturation search.
type SearchConfig struct {
	Config
	ChainID *big.Int
	Fees    Fees
	// StartRate is the first offered rate; each step multiplies it by
	// Factor. A Factor of 1 is a soak: MaxSteps steps at StartRate, to
	// see whether the chain's cost per transaction grows as it does.
	StartRate, Factor float64
	// StepDuration is how long each rate is offered.
	StepDuration time.Duration
	// MaxSteps bounds the search.
	MaxSteps int
	// Seed makes the recipients repeatable.
	Seed uint64
	// Recipients, if set, are the addresses transfers go to (drawn at
	// random); unset, each transfer goes to a new random address
	// (Presign).
	Recipients []common.Address
	// Log, if set, receives one line per step.
	Log func(string)
	// Settle, if set, runs before each step (e.g. to wait until the chain
	// has drained the previous step's backlog).
	Settle func(context.Context) error
	// Refine is how many steps, after the ramp stopped, bisect between
	// the best rate and the nearest one above it that did no better.
	Refine int
	// step, if set, replaces Step (tests: a chain's response to a rate).
	step func(rate float64, seed uint64) (Result, error)
	// Retry, if set, is asked after each step whether to offer the same
	// rate once more (e.g. because other processes took the CPU): both
	// results are kept in the steps, and the second (the better of the
	// two if Retry refuses it as well) counts for the best and for whether
	// the search goes on.
	Retry func(Result) bool
}

// SearchResult is what a saturation search measured.
type SearchResult struct {
	// Steps holds every step in the order offered.
	Steps []Result
	// Best is the step with the highest finalized throughput.
	Best Result
	// StillGaining is set when the ramp ran out of steps (MaxSteps) with
	// its last step still gaining 5 % or more over the best before it,
	// and no refinement above it did worse: the peak may lie above every
	// rate offered (a faster machine than the defaults were set on), so
	// the figures measured against it are not the chain's.
	StillGaining bool
	// LastGain is the last ramp step's finalized throughput over the best
	// before it, minus one (0.17: it gained 17 %).
	LastGain float64
	// BestIndex is Best's place in Steps (-1 if no step ran): the steps
	// before it are the chain's history when the peak was offered.
	BestIndex int
}

// Search offers rising rates until finalized throughput stops rising (a
// step gains less than 5 %) or MaxSteps (with a Factor of 1, MaxSteps
// steps at StartRate and no refinement), then, Refine times, the rate
// halfway (geometrically) between the best rate and the nearest one above
// it that did no better (the next step of the ramp if the last one still
// gained, or if the ramp ran out of steps): a ×1.5 ramp can step from
// below the peak to well past it, and the peak lies between. It returns
// every step and the best one, and says when the ramp ran out of steps
// while still gaining (SearchResult.StillGaining).
func Search(ctx context.Context, sc SearchConfig, accounts []*Account) (SearchResult, error) {
	out, err := search(ctx, sc, accounts)
	if out.StillGaining && sc.Log != nil {
		sc.Log(fmt.Sprintf("the ramp ran out of steps (%d) while its last step still gained %.0f %%: the peak may lie above the rates offered (give more steps)",
			sc.MaxSteps, 100*out.LastGain))
	}
	return out, err
}

func search(ctx context.Context, sc SearchConfig, accounts []*Account) (SearchResult, error) {
	var steps []Result
	var best Result
	step := func(rate float64, seed uint64) (Result, error) { return Step(ctx, sc, accounts, rate, seed) }
	if sc.step != nil {
		step = sc.step
	}
	measure := func(rate float64, seed uint64) (Result, error) {
		if sc.Settle != nil {
			if err := sc.Settle(ctx); err != nil {
				return Result{}, err
			}
		}
		res, err := step(rate, seed)
		if err != nil {
			return res, err
		}
		res.Seed = seed
		steps = append(steps, res)
		if sc.Retry == nil || !sc.Retry(res) {
			return res, nil
		}
		if sc.Log != nil {
			sc.Log(fmt.Sprintf("offering %.0f tx/s once more", rate))
		}
		if sc.Settle != nil {
			if err := sc.Settle(ctx); err != nil {
				return res, err
			}
		}
		again, err := step(rate, seed+1<<32)
		if err != nil {
			return res, err
		}
		again.Seed = seed + 1<<32
		steps = append(steps, again)
		if sc.Retry(again) {
			return better(res, again), nil // disturbed twice: the better decides
		}
		return again, nil
	}
	var out SearchResult
	rate, above := sc.StartRate, 0.0 // above: the nearest rate over the best that did no better
	for step := 0; step < sc.MaxSteps; step++ {
		res, err := measure(rate, sc.Seed+uint64(step))
		if err != nil {
			return SearchResult{Steps: steps, Best: best, BestIndex: bestIndex(steps, best)}, err
		}
		// Did this rate gain over the best of the earlier rates? A gain
		// of under 5 % means the peak is near: the ramp stops, and if
		// this rate did no better at all, the peak lies below it.
		improved := res.FinalizedTPS > best.FinalizedTPS*1.05
		gained := res.FinalizedTPS > best.FinalizedTPS
		if step > 0 && best.FinalizedTPS > 0 {
			out.LastGain = res.FinalizedTPS/best.FinalizedTPS - 1
		}
		best = better(best, res)
		if sc.Factor == 1 {
			continue // a soak: every step at the one rate
		}
		if !improved && step > 0 {
			if !gained {
				above = rate
			} else {
				above = rate * sc.Factor
			}
			break
		}
		rate *= sc.Factor
		if step == sc.MaxSteps-1 && step > 0 {
			// Out of steps while still gaining: the refinement looks
			// between the best and the ramp's next step.
			out.StillGaining = true
			above = rate
		}
	}
	for i := range sc.Refine {
		if above <= best.OfferedRate || best.OfferedRate <= 0 {
			break
		}
		mid := math.Sqrt(best.OfferedRate * above)
		if sc.Log != nil {
			sc.Log(fmt.Sprintf("refining between %.0f and %.0f tx/s", best.OfferedRate, above))
		}
		res, err := measure(mid, sc.Seed+uint64(sc.MaxSteps+i))
		if err != nil {
			return SearchResult{Steps: steps, Best: best, BestIndex: bestIndex(steps, best)}, err
		}
		if res.FinalizedTPS > best.FinalizedTPS {
			best = res
		} else {
			above = mid
			out.StillGaining = false // a rate above the best did no better: the peak lies below it
		}
	}
	out.Steps, out.Best, out.BestIndex = steps, best, bestIndex(steps, best)
	return out, nil
}

// bestIndex returns the place of best among steps, found by its seed
// (each step offered draws from its own), or -1.
func bestIndex(steps []Result, best Result) int {
	for i, s := range steps {
		if s.Seed == best.Seed && s.OfferedRate == best.OfferedRate {
			return i
		}
	}
	return -1
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
	load, err := Presign(sc.ChainID, accounts, count, sc.Fees, seed, sc.Recipients)
	if err != nil {
		return Result{}, err
	}
	cfg := sc.Config
	cfg.Rate = rate
	res, err := Run(ctx, cfg, load)
	res.Seed = seed
	if err != nil {
		return res, err
	}
	if sc.Log != nil {
		sc.Log(fmt.Sprintf("offered %.0f tx/s: finalized %.0f tx/s (from the first loaded block, %s in), included %d/%d, p50 %s, p99 %s%s, send errors %d %s",
			rate, res.FinalizedTPS, res.FirstBlockAfter.Round(time.Millisecond), res.Included, res.Sent, res.LatencyP50.Round(time.Millisecond),
			res.LatencyP99.Round(time.Millisecond), stolenNote(res), res.SendErrors, res.FirstError))
	}
	if res.Partial() {
		if err := ResyncNonces(ctx, sc.WatchURL, accounts); err != nil {
			return res, err
		}
	}
	return res, nil
}
