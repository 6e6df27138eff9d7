package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/bilayer/bilayer/bench/l2bench"
	"github.com/bilayer/bilayer/bench/rollupbench"
)

// timeout bounds the whole run; a normal run takes well under it.
const timeout = 15 * time.Minute

func main() {
	app := &cli.App{
		Name:  "bench",
		Usage: "measure the L1 devnet's finalized throughput and the L2 sequencer's soft-confirmed throughput and latency",
		Description: `Run from the repository root after "make build" (make bench does both). Takes several
minutes (each part about four); every load loop is bounded in count and time and talks only to
local processes on 127.0.0.1. --skip-l1 or --skip-l2 runs one part: the results file then keeps
the other part's keys from its previous run. Targets are printed beside the measurements; a
missed target never fails the run.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: ".", Usage: "repository root"},
			&cli.StringFlag{Name: "bin", Value: "bin", Usage: "directory holding the devnet, validator and sequencer binaries"},
			&cli.StringFlag{Name: "out", Value: "bench/results/latest.json", Usage: "JSON results file"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the data directories and logs for inspection"},
			&cli.BoolFlag{Name: "skip-l1", Usage: "skip the L1 part"},
			&cli.BoolFlag{Name: "skip-l2", Usage: "skip the L2 part"},
			&cli.BoolFlag{Name: "skip-rollup", Usage: "skip the rollup part (batch codec, derivation and fraud-proof benchmarks, the time from a wrong batch to its rollback; about 1.5 minutes)"},

			&cli.IntFlag{Name: "validators", Value: 4, Usage: "L1: devnet validators"},
			&cli.IntFlag{Name: "accounts", Value: 1000, Usage: "L1: load accounts (senders)"},
			&cli.Float64Flag{Name: "start-rate", Value: 500, Usage: "L1: first offered rate, tx/s"},
			&cli.Float64Flag{Name: "factor", Value: 1.5, Usage: "L1: rate multiplier per search step"},
			&cli.DurationFlag{Name: "step", Value: 10 * time.Second, Usage: "L1: duration of each search step"},
			&cli.IntFlag{Name: "max-steps", Value: 7, Usage: "L1: most search steps"},

			&cli.IntFlag{Name: "l2-accounts", Value: 2000, Usage: "L2: load accounts (senders), funded on the L2 by fan-out from the dev accounts"},
			&cli.IntFlag{Name: "l2-connections", Value: 4, Usage: "L2: concurrent sending connections to the sequencer"},
			&cli.Float64Flag{Name: "l2-start-rate", Value: 2000, Usage: "L2: first offered rate, tx/s"},
			&cli.Float64Flag{Name: "l2-factor", Value: 1.4, Usage: "L2: rate multiplier per search step"},
			&cli.DurationFlag{Name: "l2-step", Value: 8 * time.Second, Usage: "L2: duration of each search step"},
			&cli.IntFlag{Name: "l2-max-steps", Value: 7, Usage: "L2: most search steps"},
			&cli.DurationFlag{Name: "l2-block-time", Usage: "L2: pass --block-time to the sequencer (default: its own, the genesis's 250ms)"},
			&cli.DurationFlag{Name: "l2-min-block-time", Usage: "L2: pass --min-block-time to the sequencer (default: its own, 100ms)"},
			&cli.StringFlag{Name: "l2-log-level", Value: "warn", Usage: "L2: the sequencer's --log.level (its log is kept with --keep)"},
			&cli.StringFlag{Name: "l2-profile", Usage: "L2: write a CPU profile of the sequencer, taken during one more step at the peak rate, to this file"},
		},
		Action: run,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c *cli.Context) error {
	if c.Bool("skip-l1") && c.Bool("skip-l2") && c.Bool("skip-rollup") {
		return errors.New("--skip-l1, --skip-l2 and --skip-rollup together leave nothing to measure")
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var l1 *l1bench.Report
	var l2 *l2bench.Report
	var err error
	if !c.Bool("skip-l1") {
		l1, err = l1bench.Run(ctx, l1bench.Options{
			Root: c.String("root"), Bin: c.String("bin"), Validators: c.Int("validators"), Accounts: c.Int("accounts"),
			StartRate: c.Float64("start-rate"), Factor: c.Float64("factor"), StepDuration: c.Duration("step"),
			MaxSteps: c.Int("max-steps"), Log: os.Stderr, Keep: c.Bool("keep"),
		})
		if err != nil {
			return fmt.Errorf("L1: %w", err)
		}
	}
	if !c.Bool("skip-l2") {
		l2, err = l2bench.Run(ctx, l2bench.Options{
			Root: c.String("root"), Bin: c.String("bin"), Accounts: c.Int("l2-accounts"), Connections: c.Int("l2-connections"),
			StartRate: c.Float64("l2-start-rate"), Factor: c.Float64("l2-factor"), StepDuration: c.Duration("l2-step"),
			MaxSteps: c.Int("l2-max-steps"), BlockTime: c.Duration("l2-block-time"), MinBlockTime: c.Duration("l2-min-block-time"),
			LogLevel: c.String("l2-log-level"), ProfilePath: c.String("l2-profile"), Targets: l2bench.DefaultTargets(), Log: os.Stderr, Keep: c.Bool("keep"),
		})
		if err != nil {
			return fmt.Errorf("L2: %w", err)
		}
	}
	var rb *rollupbench.Report
	if !c.Bool("skip-rollup") {
		if rb, err = rollupbench.Run(ctx, c.String("root"), os.Stderr); err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
	}
	if l1 != nil {
		l1.Markdown(os.Stdout)
	}
	if rb != nil {
		rb.Markdown(os.Stdout)
	}
	if l2 != nil {
		l2.Markdown(os.Stdout)
	}
	out := c.String("out")
	if err := writeResults(out, l1, l2, rb); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	fmt.Printf("\nResults written to %s\n", out)
	return nil
}

// writeResults writes one JSON object: the L1 report's keys and the L2
// report's (all l2_-prefixed). A part that did not run keeps its keys from
// the existing file, so a one-part run does not erase the other's numbers.
func writeResults(path string, l1 *l1bench.Report, l2 *l2bench.Report, rb *rollupbench.Report) error {
	merged := map[string]json.RawMessage{}
	if old, err := os.ReadFile(path); err == nil {
		var prev map[string]json.RawMessage
		if json.Unmarshal(old, &prev) == nil {
			for k, v := range prev {
				isL2, isRollup := strings.HasPrefix(k, "l2_"), strings.HasPrefix(k, "rollup_")
				if (isL2 && l2 == nil) || (isRollup && rb == nil) || (!isL2 && !isRollup && l1 == nil) {
					merged[k] = v
				}
			}
		}
	}
	var parts []any
	if l1 != nil {
		parts = append(parts, l1)
	}
	if rb != nil {
		parts = append(parts, rb)
	}
	if l2 != nil {
		parts = append(parts, l2)
	}
	for _, r := range parts {
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		for k, v := range m {
			merged[k] = v
		}
	}
	data, err := json.MarshalIndent(merged, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
