package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/watch"
	"github.com/urfave/cli/v2"
)

// firstL2Timeout bounds the wait for the first L2 block after the
// sequencer starts.
const firstL2Timeout = 2 * time.Minute

// sequencerSetup is how up runs the L2: the sequencer's binary ("" when
// the devnet has no L2), the challenger's, the L2 chain id, and whether
// the L2 is new.
type sequencerSetup struct {
	bin           string
	challengerBin string
	l2ChainID     uint64
	// fresh says "sequencer init" ran now: the L2 starts at its genesis.
	fresh bool
}

// prepareSequencer finds the sequencer and challenger binaries and runs
// "sequencer init" once, for a devnet that has a sequencer; with
// --l1-only, or for a devnet generated before the rollup, it runs without
// the L2, and says so.
func prepareSequencer(c *cli.Context, ctx context.Context, l devnet.Layout, cfg devnet.Config) (sequencerSetup, error) {
	if c.Bool(l1OnlyFlag.Name) {
		fmt.Println("devnet: --l1-only: not starting the L2 (sequencer and challenger)")
		return sequencerSetup{}, nil
	}
	if cfg.Sequencer == nil {
		fmt.Printf("devnet: %s was generated before the rollup: no sequencer (\"devnet reset\" to make a devnet with one)\n", l.Dir)
		return sequencerSetup{}, nil
	}
	bin, err := sequencerBinary(c)
	if err != nil {
		return sequencerSetup{}, err
	}
	chBin, err := challengerBinary(c)
	if err != nil {
		return sequencerSetup{}, err
	}
	id, err := devnet.GenesisL2ChainID(l)
	if err != nil {
		return sequencerSetup{}, err
	}
	if id == 0 {
		return sequencerSetup{}, fmt.Errorf("%s names a sequencer but its genesis has no rollup section: run \"devnet reset --datadir %s\"", l.ConfigFile(), l.Dir)
	}
	ran, err := devnet.InitSequencer(ctx, l, cfg, bin, nil)
	if err != nil {
		return sequencerSetup{}, err
	}
	if ran {
		fmt.Printf("devnet: initialised the sequencer (%s) in %s\n", cfg.Sequencer.Address, l.SequencerDir())
	}
	return sequencerSetup{bin: bin, challengerBin: chBin, l2ChainID: id, fresh: ran}, nil
}

// startL2 starts the sequencer and then the challenger, each once the
// previous answers, and returns the endpoints with their pids. Once the
// sequencer answers, it measures in the background how long its first
// block takes (since started, when the devnet started its processes;
// block 1 when fresh, the sequencer having just been initialised) and
// sends that on firstL2, which it then closes.
func startL2(ctx context.Context, timeout time.Duration, sup *devnet.Supervisor, l devnet.Layout, cfg devnet.Config, l2ChainID uint64,
	started time.Time, fresh bool, firstL2 chan<- watch.FirstBlock) (devnet.Endpoints, error) {
	seqStarted := time.Now()
	eps, err := startSequencer(ctx, timeout, sup, l, cfg, l2ChainID)
	if err != nil {
		return eps, err
	}
	seq, _ := eps.Sequencer()
	go func() {
		defer close(firstL2)
		mctx, cancel := context.WithTimeout(ctx, firstL2Timeout)
		defer cancel()
		if f, err := watch.MeasureFirstBlock(mctx, seq.RPC, fresh, started, seqStarted); err == nil {
			firstL2 <- f
		}
	}()
	return startChallenger(ctx, timeout, sup, l, cfg, l2ChainID)
}

// startChallenger starts the challenger and waits, showing progress, until
// its read-only L2 RPC answers with the L2 chain id.
func startChallenger(ctx context.Context, timeout time.Duration, sup *devnet.Supervisor, l devnet.Layout, cfg devnet.Config, l2ChainID uint64) (devnet.Endpoints, error) {
	if err := sup.StartChallenger(); err != nil {
		return devnet.Endpoints{}, err
	}
	eps := endpoints(l, cfg, l2ChainID, sup)
	ch, _ := eps.Challenger()
	fmt.Printf("devnet: started the challenger (following the L1 at %s), waiting for its L2 RPC at %s ...\n", ch.L1RPC, ch.RPC)
	return eps, waitForL2RPC(ctx, timeout, sup, ch, "challenger", l2ChainID)
}

// startSequencer starts the sequencer once the L1 runs and waits, showing
// progress and the time left, until its L2 RPC answers with the L2 chain
// id. It returns the endpoints with the sequencer's pid.
func startSequencer(ctx context.Context, timeout time.Duration, sup *devnet.Supervisor, l devnet.Layout, cfg devnet.Config, l2ChainID uint64) (devnet.Endpoints, error) {
	if err := sup.StartSequencer(); err != nil {
		return devnet.Endpoints{}, err
	}
	eps := endpoints(l, cfg, l2ChainID, sup)
	seq, _ := eps.Sequencer()
	fmt.Printf("devnet: the L1 commits blocks; started the sequencer, waiting for its L2 RPC at %s ...\n", seq.RPC)
	return eps, waitForL2RPC(ctx, timeout, sup, seq, "sequencer", l2ChainID)
}

// waitForL2RPC waits, showing progress and the time left every 2 s, until
// the L2 RPC of n (the sequencer or the challenger, named by role) answers
// with the L2 chain id. If n exits, or the wait times out, it shows the
// tail of n's log and says where the log is.
func waitForL2RPC(ctx context.Context, timeout time.Duration, sup *devnet.Supervisor, n devnet.Endpoint, role string, l2ChainID uint64) error {
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := devnet.WaitForRPC(wctx, n.RPC, l2ChainID, sup.Exits(), 2*time.Second, func(p devnet.RPCProgress) {
		fmt.Printf("devnet: waiting for the %s's L2 RPC at %s: %s (%s left)\n",
			role, n.RPC, p.Waited.Round(time.Second), p.Left.Round(time.Second))
	})
	if err == nil {
		return nil
	}
	if exit, ok := errors.AsType[*devnet.ExitError](err); ok {
		showTail(exit.Exit.Name, exit.Exit.Log)
		return fmt.Errorf("%w; its log: %s", err, exit.Exit.Log)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		showTail(n.Name, n.Log)
		return fmt.Errorf("the %s's L2 RPC did not answer within %s: %w (its log above and in %s)", role, timeout, err, n.Log)
	}
	return err
}

// sequencerDevArgs passes the development switches --dev.bad-output-at
// and --dev.censor on to the sequencer.
func sequencerDevArgs(badOutputAt uint64, censor []string) []string {
	var args []string
	if badOutputAt > 0 {
		args = append(args, "--dev.bad-output-at", fmt.Sprint(badOutputAt))
	}
	for _, a := range censor {
		args = append(args, "--dev.censor", a)
	}
	return args
}
