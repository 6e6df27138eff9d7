package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/bench/devnetbench"
	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/bilayer/bilayer/bench/l2bench"
	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/bench/rollupbench"
	"github.com/bilayer/bilayer/bench/summary"
)

// timeout bounds the whole run; a normal run takes well under it.
const timeout = 20 * time.Minute

func main() {
	app := &cli.App{
		Name:  "bench",
		Usage: "measure both layers: L1 finalized throughput, L2 soft-confirmed throughput and latency, the rollup's costs and the bridge's latencies, the devnet's start and memory",
		Description: `Run from the repository root after "make build" (make bench does both). Takes about ten
minutes on 2 cores: the devnet part (under a minute), the L1 part (about six minutes: the
saturation search on one devnet; the peak's step offered again on a second, fresh devnet whose
history replays the search's up to the peak, the peak being the mean of both; then the plateau on
a third, replayed the same way), the L2 part (three to four) and the rollup part (about two
and a half). Every load loop is bounded in count and
time and talks only to local processes on 127.0.0.1. Each part prints its markdown table; the run
ends with one table for both layers ("bilayer — both layers": every figure, its target or goal,
met or not) and writes every figure to --out. --skip-l1, --skip-l2, --skip-rollup or --skip-devnet
leaves a part out: the results file and the closing table then keep that part's figures from the
previous run, and say so. Targets are printed beside the measurements; a missed target never
fails the run.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: ".", Usage: "repository root"},
			&cli.StringFlag{Name: "bin", Value: "bin", Usage: "directory holding the devnet, validator and sequencer binaries"},
			&cli.StringFlag{Name: "out", Value: "bench/results/latest.json", Usage: "JSON results file"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the data directories and logs for inspection"},
			&cli.BoolFlag{Name: "skip-l1", Usage: "skip the L1 part"},
			&cli.BoolFlag{Name: "skip-l2", Usage: "skip the L2 part"},
			&cli.BoolFlag{Name: "skip-rollup", Usage: "skip the rollup part (batch codec, derivation and fraud-proof benchmarks, the time from a wrong batch to its rollback, deposit and withdrawal latency; about 2.5 minutes)"},
			&cli.BoolFlag{Name: "skip-devnet", Usage: "skip the devnet part (`devnet up` → first L1 and L2 blocks, resident memory of its six processes; about 40 s)"},

			&cli.IntFlag{Name: "devnet-validators", Value: 4, Usage: "devnet: validators of the whole devnet (as make devnet)"},
			&cli.DurationFlag{Name: "devnet-load", Value: 20 * time.Second, Usage: "devnet: how long the light load runs before memory is read"},
			&cli.Float64Flag{Name: "devnet-load-rate", Value: 5, Usage: "devnet: light load, transfers per second on each layer"},

			&cli.IntFlag{Name: "validators", Value: 4, Usage: "L1: devnet validators"},
			&cli.IntFlag{Name: "accounts", Value: 1000, Usage: "L1: load accounts (senders)"},
			&cli.Float64Flag{Name: "start-rate", Value: 500, Usage: "L1: first offered rate, tx/s"},
			&cli.Float64Flag{Name: "factor", Value: 1.5, Usage: "L1: rate multiplier per search step (1: a soak, --max-steps steps at --start-rate, to see whether the cost per transaction grows as the chain does)"},
			&cli.DurationFlag{Name: "step", Value: 10 * time.Second, Usage: "L1: duration of each search step"},
			&cli.IntFlag{Name: "max-steps", Value: 7, Usage: "L1: most steps of the search's ramp (a ramp that runs out of them still gaining refines above its last step, and the report says the peak may lie higher)"},
			&cli.IntFlag{Name: "refine", Value: 2, Usage: "L1: steps that bisect, once the ramp stops gaining, between its best rate and the next one up (the peak lies between)"},
			&cli.IntFlag{Name: "l1-peak-replays", Value: l1bench.DefaultPeakReplays, Usage: "L1: how many times a fresh chain replayed to the peak's age offers the peak's step again (the same rate and transfers); the peak is the mean of the search's best step and these, because the best of several 10 s steps is biased up by its own noise (0: the search's best step alone, and one devnet fewer)"},
			&cli.IntFlag{Name: "l1-plateau-steps", Value: l1bench.DefaultPlateauSteps, Usage: "L1: how many search steps long the plateaus (twice the peak offered) are; every transfer creates an account, so a longer plateau also measures the chain's growth over it"},

			&cli.IntFlag{Name: "l2-accounts", Value: 2000, Usage: "L2: load accounts (senders), funded on the L2 by fan-out from the dev accounts"},
			&cli.IntFlag{Name: "l2-connections", Value: 4, Usage: "L2: concurrent sending connections to the sequencer"},
			&cli.Float64Flag{Name: "l2-start-rate", Value: 2000, Usage: "L2: first offered rate, tx/s"},
			&cli.Float64Flag{Name: "l2-factor", Value: 1.4, Usage: "L2: rate multiplier per search step"},
			&cli.DurationFlag{Name: "l2-step", Value: 8 * time.Second, Usage: "L2: duration of each search step"},
			&cli.IntFlag{Name: "l2-max-steps", Value: 7, Usage: "L2: most search steps"},
			&cli.DurationFlag{Name: "l2-block-time", Usage: "L2: pass --block-time to the sequencer (default: its own, the genesis's 250ms)"},
			&cli.DurationFlag{Name: "l2-min-block-time", Usage: "L2: pass --min-block-time to the sequencer (default: its own, 100ms)"},
			&cli.StringFlag{Name: "l2-log-level", Value: "warn", Usage: "L2: the sequencer's --log.level (its log is kept with --keep)"},
			&cli.StringFlag{Name: "l1-profile", Usage: "L1: write a CPU profile of validator-0, taken during one more step at the peak's offered rate, to this file"},
			&cli.Float64SliceFlag{Name: "l1-profile-factor", Usage: "L1: the profiled step offers the peak's rate times this (default 1; 2: the plateau's overload); repeatable or comma-separated, one profiled step for each in turn, each profile in --l1-profile's file with .x and the factor before its extension, numbered when a factor comes again (1,2: what the overload itself costs, on one chain; 1,2,1,2: two windows of each)"},
			&cli.IntFlag{Name: "l1-prefund", Usage: "L1: fund this many more accounts at genesis and send every transfer to one of them, so the state is that large from the first step and stops growing (100000: the state-transition benchmark's state; 0: every transfer creates an account)"},
			&cli.StringFlag{Name: "l1-pair-bin", Usage: "L1: a paired run: the validators of --l1-pair-validators run this validator binary instead, beside the others under the same load and chain, and the L1 report compares the two groups' CPU per finalized transfer step by step (a change's cost measured within one run; swap the groups in a second run)"},
			&cli.StringSliceFlag{Name: "l1-pair-env", Usage: "L1: a paired run: add `KEY=VALUE` to the environment of the validators of --l1-pair-validators (repeatable; with or without --l1-pair-bin), e.g. GOMEMLIMIT=150MiB"},
			&cli.IntSliceFlag{Name: "l1-pair-validators", Usage: "L1: a paired run's group B, by validator index (repeatable or comma-separated; default: the upper half, 2 and 3 of 4)"},
			&cli.StringFlag{Name: "l2-profile", Usage: "L2: write a CPU profile of the sequencer, taken during one more step at the peak rate, to this file"},
			&cli.StringFlag{Name: "self-profile", Usage: "write a CPU profile of this process (the load generator and the harness) over the whole run to this file"},
		},
		Action: run,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(c *cli.Context) error {
	if c.Bool("skip-l1") && c.Bool("skip-l2") && c.Bool("skip-rollup") && c.Bool("skip-devnet") {
		return errors.New("--skip-l1, --skip-l2, --skip-rollup and --skip-devnet together leave nothing to measure")
	}
	ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if path := c.String("self-profile"); path != "" {
		stopProfile, err := startSelfProfile(path)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	var r reports
	var err error
	if !c.Bool("skip-devnet") {
		r.devnet, err = devnetbench.Run(ctx, devnetbench.Options{
			Root: c.String("root"), Bin: c.String("bin"), Validators: c.Int("devnet-validators"),
			LoadDuration: c.Duration("devnet-load"), LoadRate: c.Float64("devnet-load-rate"), Log: os.Stderr, Keep: c.Bool("keep"),
		})
		if err != nil {
			return fmt.Errorf("devnet: %w", err)
		}
	}
	if !c.Bool("skip-l1") {
		pairBin := c.String("l1-pair-bin")
		if pairBin != "" {
			if pairBin, err = filepath.Abs(pairBin); err != nil {
				return fmt.Errorf("--l1-pair-bin: %w", err)
			}
			if _, err := os.Stat(pairBin); err != nil {
				return fmt.Errorf("--l1-pair-bin: %w", err)
			}
		}
		r.l1, err = l1bench.Run(ctx, l1bench.Options{
			Root: c.String("root"), Bin: c.String("bin"), Validators: c.Int("validators"), Accounts: c.Int("accounts"),
			StartRate: c.Float64("start-rate"), Factor: c.Float64("factor"), StepDuration: c.Duration("step"),
			MaxSteps: c.Int("max-steps"), Refine: c.Int("refine"), PlateauSteps: c.Int("l1-plateau-steps"), PeakReplays: c.Int("l1-peak-replays"), Log: os.Stderr, Keep: c.Bool("keep"), ProfilePath: c.String("l1-profile"),
			ProfileFactors: c.Float64Slice("l1-profile-factor"),
			Prefund:        c.Int("l1-prefund"),
			PairBin:        pairBin, PairEnv: c.StringSlice("l1-pair-env"), PairValidators: c.IntSlice("l1-pair-validators"),
		})
		if err != nil {
			return fmt.Errorf("L1: %w", err)
		}
	}
	if !c.Bool("skip-l2") {
		r.l2, err = l2bench.Run(ctx, l2bench.Options{
			Root: c.String("root"), Bin: c.String("bin"), Accounts: c.Int("l2-accounts"), Connections: c.Int("l2-connections"),
			StartRate: c.Float64("l2-start-rate"), Factor: c.Float64("l2-factor"), StepDuration: c.Duration("l2-step"),
			MaxSteps: c.Int("l2-max-steps"), BlockTime: c.Duration("l2-block-time"), MinBlockTime: c.Duration("l2-min-block-time"),
			LogLevel: c.String("l2-log-level"), ProfilePath: c.String("l2-profile"), Targets: l2bench.DefaultTargets(), Log: os.Stderr, Keep: c.Bool("keep"),
		})
		if err != nil {
			return fmt.Errorf("L2: %w", err)
		}
	}
	if !c.Bool("skip-rollup") {
		if r.rollup, err = rollupbench.Run(ctx, c.String("root"), os.Stderr); err != nil {
			return fmt.Errorf("rollup: %w", err)
		}
	}
	if r.l1 != nil {
		r.l1.Markdown(os.Stdout)
	}
	if r.rollup != nil {
		r.rollup.Markdown(os.Stdout)
	}
	if r.l2 != nil {
		r.l2.Markdown(os.Stdout)
	}
	if r.devnet != nil {
		r.devnet.Markdown(os.Stdout)
	}
	out := c.String("out")
	prev, err := readPrevious(out)
	if err != nil {
		return err
	}
	res, err := buildResults(prev, r, loadgen.DescribeMachine(c.String("root")), time.Now())
	if err != nil {
		return err
	}
	summary.Markdown(os.Stdout, res.header, res.rows)
	if err := res.write(out); err != nil {
		return err
	}
	fmt.Printf("\nResults written to %s (the run took %s)\n", out, time.Since(start).Round(time.Second))
	return nil
}

// startSelfProfile writes a CPU profile of this process to path until the
// returned function is called: where the load generator's CPU goes.
func startSelfProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("self profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("self profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
