package l1bench

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// A paired run (Options.PairBin, PairEnv) runs some of the devnet's
// validators (group B, Options.PairValidators) from another build or with
// another environment, and the rest (group A) as usual. Both groups see
// the same load, the same chain at the same age and the same machine at
// the same moment, so the ratio of their CPU per finalized transfer
// measures a change to a validator's cost far more precisely than two
// runs can: runs of the same code differ by a tenth and more in that cost
// (issue 17, session 32), the two groups of one run by a few per cent.
// The groups are not quite alike (validator i compacts its database after
// 16 + 2i flushed files, and validator-0 is the one profiled), so a second
// run with the groups swapped, and the geometric mean of the two ratios,
// cancels what is theirs and keeps what is the change's.

// PairStep is one step of a paired run: the CPU one validator of each
// group spent per finalized transfer, in microseconds.
type PairStep struct {
	Label   string  `json:"label"`
	Offered float64 `json:"offered_tps"`
	// Finalized is the step's finalized throughput; Loaded whether the
	// validators used at least loadedShare of the machine's cores, the
	// steps whose ratio Pair.LoadedRatio averages.
	Finalized float64 `json:"finalized_tps"`
	Loaded    bool    `json:"loaded"`
	AMicros   float64 `json:"a_us_per_tx"`
	BMicros   float64 `json:"b_us_per_tx"`
}

// Pair is a paired run's comparison.
type Pair struct {
	// Bin and Env say what group B ran: another validator binary (empty:
	// the same) and the KEY=VALUE entries added to its environment.
	Bin string   `json:"bin,omitempty"`
	Env []string `json:"env,omitempty"`
	// A and B are the groups' validator names.
	A     []string   `json:"a"`
	B     []string   `json:"b"`
	Steps []PairStep `json:"steps"`
	// LoadedRatio is the geometric mean of B's CPU per transfer over A's
	// across the loaded steps (below 1: B is cheaper), and LoadedSteps
	// how many it averages.
	LoadedRatio float64 `json:"loaded_ratio"`
	LoadedSteps int     `json:"loaded_steps"`
}

// loadedShare is the share of the machine's cores the validators must use
// in a step for its ratio to count: a lightly loaded step's CPU is mostly
// the heights' fixed cost and idle-time work, not what a transfer costs.
const loadedShare = 0.75

// pairGroups splits the devnet's validators into groups A and B, B being
// the indices in b.
func pairGroups(validators int, b []int) (groupA, groupB []string) {
	for i := range validators {
		name := fmt.Sprintf("%s%d", validatorPrefix, i)
		if slices.Contains(b, i) {
			groupB = append(groupB, name)
		} else {
			groupA = append(groupA, name)
		}
	}
	return groupA, groupB
}

// comparePair fills p's steps and ratio from a run's steps (the search's,
// then the reference, the plateau and half the peak, those that ran).
func comparePair(p *Pair, steps []labeledStep, cores int) {
	p.Steps = nil
	var logSum float64
	p.LoadedSteps = 0
	for _, s := range steps {
		a, b := groupMicros(s.result, p.A), groupMicros(s.result, p.B)
		if a <= 0 || b <= 0 {
			continue
		}
		loaded := validatorSum(s.result.CPU) >= loadedShare*float64(cores)
		p.Steps = append(p.Steps, PairStep{Label: s.label, Offered: s.result.OfferedRate, Finalized: s.result.FinalizedTPS,
			Loaded: loaded, AMicros: a, BMicros: b})
		if loaded {
			logSum += math.Log(b / a)
			p.LoadedSteps++
		}
	}
	p.LoadedRatio = 0
	if p.LoadedSteps > 0 {
		p.LoadedRatio = math.Exp(logSum / float64(p.LoadedSteps))
	}
}

// labeledStep is a step and its label in the pair table ("search" for the
// search's steps, then "2× peak", "peak again" and "½ peak").
type labeledStep struct {
	label  string
	result loadgen.Result
}

// groupMicros is the CPU one validator of the group spent per finalized
// transfer in step s (the group's mean cores over the finalized rate), or
// 0 when the step recorded no CPU for the group or finalized nothing.
func groupMicros(s loadgen.Result, group []string) float64 {
	if s.FinalizedTPS <= 0 || len(group) == 0 {
		return 0
	}
	var cores float64
	for _, name := range group {
		c, ok := s.CPU[name]
		if !ok {
			return 0
		}
		cores += c
	}
	return cores / float64(len(group)) * 1e6 / s.FinalizedTPS
}

// markdown writes the comparison's table.
func (p *Pair) markdown(w io.Writer) {
	fmt.Fprintf(w, "\nPaired run: group B (%s) ran %s; group A (%s) as usual. CPU per finalized transfer, µs, one validator of each group:\n\n",
		strings.Join(p.B, ", "), pairWhat(p), strings.Join(p.A, ", "))
	fmt.Fprintln(w, "| step | offered tx/s | finalized tx/s | loaded | A | B | B / A |")
	fmt.Fprintln(w, "|---|---:|---:|---|---:|---:|---:|")
	for _, s := range p.Steps {
		loaded := ""
		if s.Loaded {
			loaded = "yes"
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %s | %.0f | %.0f | %.3f |\n", s.Label, s.Offered, s.Finalized, loaded, s.AMicros, s.BMicros, s.BMicros/s.AMicros)
	}
	if p.LoadedSteps > 0 {
		fmt.Fprintf(w, "\nB / A over the %d loaded steps (geometric mean): %.3f. Swap the groups in a second run (--l1-pair-validators) and take the geometric mean of both runs' ratios: it cancels what differs between the validators themselves.\n",
			p.LoadedSteps, p.LoadedRatio)
	}
}

// pairUpArgs returns the "devnet up" arguments of a paired run and its
// comparison with the groups named, or nothing for a normal run. Group B
// is o.PairValidators, by default the upper half of the validators.
func pairUpArgs(o Options) ([]string, *Pair, error) {
	if o.PairBin == "" && len(o.PairEnv) == 0 {
		if len(o.PairValidators) > 0 {
			return nil, nil, fmt.Errorf("pair validators %v given without a pair binary or environment", o.PairValidators)
		}
		return nil, nil, nil
	}
	b := o.PairValidators
	if len(b) == 0 {
		for i := o.Validators / 2; i < o.Validators; i++ {
			b = append(b, i)
		}
	}
	for _, i := range b {
		if i < 0 || i >= o.Validators {
			return nil, nil, fmt.Errorf("pair validator %d: the devnet has validators 0 to %d", i, o.Validators-1)
		}
	}
	b = slices.Compact(slices.Sorted(slices.Values(b))) // each validator once
	if len(b) == 0 || len(b) == o.Validators {
		return nil, nil, fmt.Errorf("pair validators %v: both groups need at least one of the %d validators", b, o.Validators)
	}
	for _, kv := range o.PairEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, nil, fmt.Errorf("pair environment %q: want KEY=VALUE", kv)
		}
	}
	p := &Pair{Bin: o.PairBin, Env: o.PairEnv}
	p.A, p.B = pairGroups(o.Validators, b)
	var args []string
	for _, i := range b {
		if o.PairBin != "" {
			args = append(args, "--dev.validator-bin", fmt.Sprintf("%d=%s", i, o.PairBin))
		}
		for _, kv := range o.PairEnv {
			args = append(args, "--dev.validator-env", fmt.Sprintf("%d=%s", i, kv))
		}
	}
	return args, p, nil
}

// pairWhat says what group B runs.
func pairWhat(p *Pair) string {
	what := "the same validator binary"
	if p.Bin != "" {
		what = p.Bin
	}
	if len(p.Env) > 0 {
		what += " with " + strings.Join(p.Env, " ")
	}
	return what
}

// labeledSteps are the run's steps in the step table's order, labeled.
func (r *Report) labeledSteps() []labeledStep {
	var out []labeledStep
	for _, s := range r.Steps {
		out = append(out, labeledStep{"search", s})
	}
	if r.SearchPlateau.Sent > 0 {
		out = append(out, labeledStep{"2× peak, search's chain", r.SearchPlateau})
	}
	for _, s := range r.PeakChainReplay {
		out = append(out, labeledStep{"the peak's chain, replayed", s})
	}
	for _, s := range r.PeakReplays {
		out = append(out, labeledStep{"the peak's step again", s})
	}
	for _, s := range r.Replay {
		out = append(out, labeledStep{"replayed", s})
	}
	for _, s := range []labeledStep{{"2× peak", r.Plateau}, {"peak again", r.Reference}, {"½ peak", r.HalfPeak}} {
		if s.result.Sent > 0 {
			out = append(out, s)
		}
	}
	return out
}
