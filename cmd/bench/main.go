// Command bench is `make bench`: it measures the state transition's cost on
// one core, starts a real devnet, finds its finalized throughput with the
// load generator, prints a markdown table and writes
// bench/results/latest.json.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/urfave/cli/v2"
)

func main() {
	app := &cli.App{
		Name:  "bench",
		Usage: "measure the L1 devnet's finalized throughput against this machine's ceiling",
		Description: `Run from the repository root after "make build" (make bench does both). Takes a few
minutes; every load loop is bounded in count and time and talks only to the local devnet.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "root", Value: ".", Usage: "repository root"},
			&cli.StringFlag{Name: "bin", Value: "bin", Usage: "directory holding the devnet and validator binaries"},
			&cli.IntFlag{Name: "validators", Value: 4, Usage: "devnet validators"},
			&cli.IntFlag{Name: "accounts", Value: 1000, Usage: "load accounts (senders)"},
			&cli.Float64Flag{Name: "start-rate", Value: 500, Usage: "first offered rate, tx/s"},
			&cli.Float64Flag{Name: "factor", Value: 1.5, Usage: "rate multiplier per search step"},
			&cli.DurationFlag{Name: "step", Value: 10 * time.Second, Usage: "duration of each search step"},
			&cli.IntFlag{Name: "max-steps", Value: 7, Usage: "most search steps"},
			&cli.StringFlag{Name: "out", Value: "bench/results/latest.json", Usage: "JSON results file"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the devnet's data directory and logs for inspection"},
		},
		Action: func(c *cli.Context) error {
			ctx, stop := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			rep, err := l1bench.Run(ctx, l1bench.Options{
				Root: c.String("root"), Bin: c.String("bin"), Validators: c.Int("validators"), Accounts: c.Int("accounts"),
				StartRate: c.Float64("start-rate"), Factor: c.Float64("factor"), StepDuration: c.Duration("step"),
				MaxSteps: c.Int("max-steps"), Log: os.Stderr, Keep: c.Bool("keep"),
			})
			if err != nil {
				return err
			}
			rep.Markdown(os.Stdout)
			if err := rep.WriteJSON(c.String("out")); err != nil {
				return fmt.Errorf("write results: %w", err)
			}
			fmt.Printf("Results written to %s\n", c.String("out"))
			return nil
		},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}
