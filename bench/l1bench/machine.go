package l1bench

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

var txsPerSec = regexp.MustCompile(`([0-9.e+]+) tx/s`)

// measureTxCost runs the state-transition benchmark (1,000 signed transfers
// over 100k accounts, sender recovery and commit included) on one core and
// returns its throughput in transactions per second.
func measureTxCost(root string, benchtime string) (float64, string, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkApplyBlock1000Transfers$", "-cpu", "1",
		"-benchtime", benchtime, "./core/execution")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, out.String(), fmt.Errorf("state-transition benchmark: %w\n%s", err, out.String())
	}
	m := txsPerSec.FindStringSubmatch(out.String())
	if m == nil {
		return 0, out.String(), fmt.Errorf("state-transition benchmark printed no tx/s:\n%s", out.String())
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, out.String(), err
}
