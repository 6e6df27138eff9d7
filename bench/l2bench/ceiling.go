package l2bench

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
)

// ceiling is the most transfers per second one sequencer can confirm on
// cores: production is one goroutine, so at most 1/produce; admission and
// production share the cores, so at most cores/(admit+produce); and the
// block policy caps it (the transaction cap per block over the shortest
// block interval).
func ceiling(admitMicros, produceMicros float64, cores int, policyCap float64) float64 {
	if admitMicros <= 0 || produceMicros <= 0 {
		return 0
	}
	return min(1e6/produceMicros, float64(cores)*1e6/(admitMicros+produceMicros), policyCap)
}

var (
	admitRe   = regexp.MustCompile(`([0-9.]+) admit-µs/tx`)
	produceRe = regexp.MustCompile(`([0-9.]+) produce-µs/tx`)
)

// measureCeiling runs BenchmarkSequencerBlock1000Transfers and returns its
// admission and production costs in µs per transfer.
func measureCeiling(ctx context.Context, root string) (admit, produce float64, err error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkSequencerBlock1000Transfers$",
		"-benchtime", "5x", "./bench/l2bench")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("sequencer cost benchmark: %w\n%s", err, out)
	}
	a, p := admitRe.FindSubmatch(out), produceRe.FindSubmatch(out)
	if a == nil || p == nil {
		return 0, 0, fmt.Errorf("sequencer cost benchmark printed no costs:\n%s", out)
	}
	if admit, err = strconv.ParseFloat(string(a[1]), 64); err != nil {
		return 0, 0, fmt.Errorf("sequencer cost benchmark: %w", err)
	}
	if produce, err = strconv.ParseFloat(string(p[1]), 64); err != nil {
		return 0, 0, fmt.Errorf("sequencer cost benchmark: %w", err)
	}
	return admit, produce, nil
}
