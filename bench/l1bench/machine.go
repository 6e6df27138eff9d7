package l1bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
)

var txsPerSec = regexp.MustCompile(`([0-9.e+]+) tx/s`)

// txCostRuns is how many times the state-transition benchmark runs; its
// median is the figure. One short run varied by a third from one to the
// next on this machine (the collector's timing), which moved the ceiling
// as much.
const txCostRuns = 5

// measureTxCost runs the state-transition benchmark (1,000 signed transfers
// over 100k accounts, sender recovery and commit included) txCostRuns times
// on one core and returns the median throughput in transactions per
// second, with the benchmark's output.
func measureTxCost(root string, benchtime string) (float64, string, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkApplyBlock1000Transfers$", "-cpu", "1",
		"-benchtime", benchtime, "-count", strconv.Itoa(txCostRuns), "./core/execution")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, out.String(), fmt.Errorf("state-transition benchmark: %w\n%s", err, out.String())
	}
	v, err := medianTxRate(out.String())
	return v, out.String(), err
}

// medianTxRate returns the median of the "tx/s" figures in a benchmark's
// output.
func medianTxRate(out string) (float64, error) {
	var rates []float64
	for _, m := range txsPerSec.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, fmt.Errorf("state-transition benchmark: %q: %w", m[0], err)
		}
		rates = append(rates, v)
	}
	if len(rates) == 0 {
		return 0, fmt.Errorf("state-transition benchmark printed no tx/s:\n%s", out)
	}
	slices.Sort(rates)
	return rates[len(rates)/2], nil
}
