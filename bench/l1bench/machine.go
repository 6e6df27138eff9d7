package l1bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
)

var txsPerSec = regexp.MustCompile(`([0-9.e+]+) tx/s`)

// txCostRuns is how many times the state-transition benchmark runs each
// time it is measured; the median of all its runs is the figure. One short
// run varied by a third from one to the next on this machine (the
// collector's timing), which moved the ceiling as much.
const txCostRuns = 5

// measureTxCost runs the state-transition benchmark (1,000 signed transfers
// over 100k accounts, sender recovery and commit included) txCostRuns times
// on one core and returns each run's throughput in transactions per
// second, with the benchmark's output.
func measureTxCost(root string, benchtime string) ([]float64, string, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkApplyBlock1000Transfers$", "-cpu", "1",
		"-benchtime", benchtime, "-count", strconv.Itoa(txCostRuns), "./core/execution")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, out.String(), fmt.Errorf("state-transition benchmark: %w\n%s", err, out.String())
	}
	rates, err := txRates(out.String())
	return rates, out.String(), err
}

// txRates returns the "tx/s" figures in a benchmark's output.
func txRates(out string) ([]float64, error) {
	var rates []float64
	for _, m := range txsPerSec.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return nil, fmt.Errorf("state-transition benchmark: %q: %w", m[0], err)
		}
		rates = append(rates, v)
	}
	if len(rates) == 0 {
		return nil, fmt.Errorf("state-transition benchmark printed no tx/s:\n%s", out)
	}
	return rates, nil
}

// medianTxRate returns the median of the "tx/s" figures in a benchmark's
// output.
func medianTxRate(out string) (float64, error) {
	rates, err := txRates(out)
	if err != nil {
		return 0, err
	}
	return median(rates), nil
}

// median returns the middle of values (the upper one of the middle two
// for an even count), or 0 for none; values is not modified.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	v := slices.Clone(values)
	slices.Sort(v)
	return v[len(v)/2]
}

// stealMeter adds up the machine's busy time and the hypervisor's steal
// time (loadgen.MachineTimes) over the spans between start and stop.
// Where they cannot be read (not Linux) it reads none.
type stealMeter struct {
	fromBusy, fromSteal time.Duration
	busy, stolen        time.Duration
	spans               int
	failed              bool
}

func (m *stealMeter) start() {
	busy, steal, err := loadgen.MachineTimes()
	m.failed = m.failed || err != nil
	m.fromBusy, m.fromSteal = busy, steal
}

func (m *stealMeter) stop() {
	busy, steal, err := loadgen.MachineTimes()
	m.failed = m.failed || err != nil
	m.busy += busy - m.fromBusy
	m.stolen += steal - m.fromSteal
	m.spans++
}

// read reports whether every reading succeeded.
func (m *stealMeter) read() bool { return !m.failed && m.spans > 0 }

// share is the part of the CPU time the machine asked for over the spans
// that the hypervisor withheld: steal over busy and steal (0 if unread).
func (m *stealMeter) share() float64 {
	if !m.read() {
		return 0
	}
	return withheld(m.busy.Seconds(), m.stolen.Seconds())
}

// withheld is stolen over busy + stolen, the share of the CPU time asked
// for that the host withheld, or 0 when nothing was asked for.
func withheld(busy, stolen float64) float64 {
	if busy+stolen <= 0 {
		return 0
	}
	return max(0, stolen/(busy+stolen))
}
