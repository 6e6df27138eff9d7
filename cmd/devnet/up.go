package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/watch"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/urfave/cli/v2"
)

var (
	verboseFlag = &cli.BoolFlag{Name: "verbose", Usage: "stream every node's log lines to the terminal, prefixed [<node>], instead of the status line and the event lines (the logs always go to <datadir>/logs)",
		EnvVars: []string{"DEVNET_VERBOSE"}}
	quietFlag = &cli.BoolFlag{Name: "quiet", Usage: "print the summary and then only nodes that exit: no status line, no event lines, no logs (they still go to <datadir>/logs); polls no node",
		EnvVars: []string{"DEVNET_QUIET"}}
	startTimeoutFlag = &cli.DurationFlag{Name: "start-timeout", Usage: "how long to wait for every validator to commit a block, and then for the sequencer's and the challenger's RPC",
		Value: 60 * time.Second, EnvVars: []string{"DEVNET_START_TIMEOUT"}}
	l1OnlyFlag = &cli.BoolFlag{Name: "l1-only", Usage: "do not start the L2 (neither the sequencer nor the challenger: the L1 alone, e.g. to benchmark it)",
		EnvVars: []string{"DEVNET_L1_ONLY"}}
	stopTimeoutFlag = &cli.DurationFlag{Name: "stop-timeout", Usage: "how long nodes get to stop after SIGINT before they are killed",
		Value: 15 * time.Second, EnvVars: []string{"DEVNET_STOP_TIMEOUT"}}
)

func upCommand() *cli.Command {
	return &cli.Command{
		Name:  "up",
		Usage: "start the devnet (generating it on the first run) and run it until Ctrl-C",
		Description: `The first run generates validator keys, the sequencer key, the genesis and one data directory
per validator in --datadir; later runs resume the same chain. Every node is a separate process:
"validator run" for each validator and, once the L1 has committed a block, "sequencer run" for the
L2 (its L2 RPC on 9545, metrics on 7060, plus the port offset), then "challenger run", which
derives the L2 from the L1 alone (following validator 1, never the sequencer) and verifies every
output the sequencer posts (its read-only L2 RPC on 9546, metrics on 7061). Each log goes to
<datadir>/logs/<name>.log. Once every validator has committed a block and the sequencer's and the
challenger's RPCs answer, devnet prints the RPC URLs, the chain ids, the funded accounts and the
rollup's windows, and writes <datadir>/endpoints.json. Then it follows the devnet: one status line
(the L1 head and the validators voting, the L2 unsafe, safe and finalized heads, the batches in
their challenge window, the challenger's verdict), rewritten in place on a terminal (printed every
30 s otherwise), and one line per event: transactions included on either layer, batches holding
transactions posted and finalized, deposits seen and credited, withdrawals requested and paid,
disputes, nodes that exit, and how long the first L2 block took. --verbose streams the nodes' logs
instead; --quiet prints nothing more but nodes that exit. It also serves a dashboard, a live web page
of both layers that reads only the nodes' public JSON-RPC, on 127.0.0.1:8080 plus the port offset
(--dashboard.addr, --no-dashboard); the summary prints its URL. Ctrl-C (or SIGTERM) stops every
node, the sequencer and the challenger first.`,
		Flags: []cli.Flag{datadirFlag, validatorsFlag, portOffsetFlag, binDirFlag, verboseFlag, quietFlag, startTimeoutFlag, stopTimeoutFlag,
			l1OnlyFlag, equivocateFlag, badOutputFlag, censorFlag, dashboardAddrFlag, noDashboardFlag, pprofFlag,
			validatorBinFlag, validatorEnvFlag},
		Action: runUp,
	}
}

func runUp(c *cli.Context) error {
	ctx, stopSignals := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()
	display, err := displayMode(c)
	if err != nil {
		return err
	}
	bin, err := validatorBinary(c)
	if err != nil {
		return err
	}
	l, err := layout(c)
	if err != nil {
		return err
	}
	lock, err := devnet.AcquireLock(l, os.Getpid())
	if err != nil {
		return err
	}
	defer lock.Release()
	cfg, created, err := prepare(c, ctx, l, bin)
	if err != nil {
		return err
	}
	seq, err := prepareSequencer(c, ctx, l, cfg)
	if err != nil {
		return err
	}
	if err := devnet.CheckPortsFree(cfg.Validators, cfg.PortOffset); err != nil {
		return err
	}
	if seq.bin != "" {
		if err := devnet.CheckSequencerPortsFree(cfg.PortOffset); err != nil {
			return err
		}
		if err := devnet.CheckChallengerPortsFree(cfg.PortOffset); err != nil {
			return err
		}
	}
	var logsTo io.Writer // the terminal, with --verbose
	if display == devnet.DisplayVerbose {
		logsTo = os.Stdout
	}
	params, err := devnet.LoadChainParams(l)
	if err != nil {
		return err
	}
	dash, err := startDashboard(c, cfg, endpoints(l, cfg, seq.l2ChainID, nil), params)
	if err != nil {
		return err
	}
	dashURL := ""
	if dash != nil {
		defer dash.Close()
		dashURL = dash.URL()
	}
	firstL2 := make(chan watch.FirstBlock, 1)
	started := time.Now()
	extra := map[int][]string{}
	if i := c.Int(equivocateFlag.Name); i >= 0 {
		if i >= cfg.Validators {
			return fmt.Errorf("--dev.equivocate %d: the devnet has validators 0 to %d", i, cfg.Validators-1)
		}
		extra[i] = []string{"--dev.equivocate"}
	}
	seqArgs := sequencerDevArgs(c.Uint64(badOutputFlag.Name), c.StringSlice(censorFlag.Name))
	if c.Bool(pprofFlag.Name) {
		for i := range cfg.Validators {
			extra[i] = append(extra[i], "--pprof")
		}
		seqArgs = append(seqArgs, "--pprof")
	}
	bins, err := perValidator(validatorBinFlag.Name, c.StringSlice(validatorBinFlag.Name), cfg.Validators)
	if err != nil {
		return err
	}
	validatorBins := map[int]string{}
	for i, b := range bins {
		if len(b) > 1 {
			return fmt.Errorf("--%s: validator %d is given %d binaries", validatorBinFlag.Name, i, len(b))
		}
		if _, err := os.Stat(b[0]); err != nil {
			return fmt.Errorf("--%s %d=%s: %w", validatorBinFlag.Name, i, b[0], err)
		}
		validatorBins[i] = b[0]
	}
	validatorEnv, err := perValidator(validatorEnvFlag.Name, c.StringSlice(validatorEnvFlag.Name), cfg.Validators)
	if err != nil {
		return err
	}
	for i, kvs := range validatorEnv {
		for _, kv := range kvs {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return fmt.Errorf("--%s %d=%s: want N=KEY=VALUE", validatorEnvFlag.Name, i, kv)
			}
		}
	}
	sup, err := devnet.Start(devnet.SuperviseOptions{Layout: l, Config: cfg, ValidatorBin: bin, SequencerBin: seq.bin,
		ChallengerBin: seq.challengerBin, Terminal: logsTo, ExtraArgs: extra,
		SequencerArgs: seqArgs, ValidatorBins: validatorBins, ValidatorEnv: validatorEnv})
	if err != nil {
		return err
	}
	eps := endpoints(l, cfg, seq.l2ChainID, sup)
	if err := devnet.WriteEndpoints(l, eps); err != nil {
		stopNodes(c, sup, l, cfg, seq.l2ChainID)
		return err
	}
	heads, err := waitForChain(ctx, c.Duration(startTimeoutFlag.Name), eps, !created, sup.Exits())
	if err == nil && seq.bin != "" {
		if eps, err = startL2(ctx, c.Duration(startTimeoutFlag.Name), sup, l, cfg, seq.l2ChainID, started, seq.fresh, firstL2); err == nil {
			err = devnet.WriteEndpoints(l, eps)
		}
	}
	if err != nil {
		stopNodes(c, sup, l, cfg, seq.l2ChainID)
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil // Ctrl-C while starting
		}
		return err
	}
	if err := printSummary(l, devnet.SummaryInfo{Endpoints: eps, Resumed: !created, Heads: heads,
		FirstBlock: time.Since(started), DevnetCmd: os.Args[0], Params: &params, Display: display, Dashboard: dashURL}); err != nil {
		fmt.Fprintln(os.Stderr, "devnet:", err)
	}
	var w *watch.Watcher
	switch display {
	case devnet.DisplayQuiet:
		firstL2 = nil // nothing more is printed
	case devnet.DisplayWatch:
		tty, width := terminal(os.Stdout)
		w = watch.New(watch.Options{Config: watchConfig(eps, params, created), Out: os.Stdout, TTY: tty, Width: width, FirstL2: firstL2})
	}
	return supervise(c, ctx, sup, l, cfg, seq.l2ChainID, w, firstL2)
}

// prepare generates the devnet on the first run and reconciles the flags
// with an existing one.
func prepare(c *cli.Context, ctx context.Context, l devnet.Layout, bin string) (devnet.Config, bool, error) {
	cfg, created, err := devnet.Generate(ctx, devnet.GenerateOptions{
		Layout: l, Validators: c.Int(validatorsFlag.Name), PortOffset: c.Int(portOffsetFlag.Name), Mode: devnet.ModeLocal,
		ValidatorBin: bin, Now: time.Now, NewKey: crypto.GenerateKey, NewPassword: randomPassword,
	})
	if err != nil {
		return cfg, false, err
	}
	if created {
		fmt.Printf("devnet: generated a %d-validator devnet in %s\n", cfg.Validators, l.Dir)
		return cfg, true, nil
	}
	if cfg.Mode != devnet.ModeLocal {
		return cfg, false, fmt.Errorf("%s holds a %s devnet, not a local one: use another --datadir", l.Dir, cfg.Mode)
	}
	if c.IsSet(validatorsFlag.Name) && c.Int(validatorsFlag.Name) != cfg.Validators {
		return cfg, false, fmt.Errorf("%s holds a %d-validator devnet; to start one with %d, run \"devnet reset --datadir %s\" first or use another --datadir",
			l.Dir, cfg.Validators, c.Int(validatorsFlag.Name), l.Dir)
	}
	if c.IsSet(portOffsetFlag.Name) && c.Int(portOffsetFlag.Name) != cfg.PortOffset {
		if err := devnet.ValidateOffset(cfg.Validators, c.Int(portOffsetFlag.Name)); err != nil {
			return cfg, false, err
		}
		cfg.PortOffset = c.Int(portOffsetFlag.Name)
		if err := devnet.SaveConfig(l, cfg); err != nil {
			return cfg, false, err
		}
	}
	fmt.Printf("devnet: resuming the %d-validator devnet in %s\n", cfg.Validators, l.Dir)
	return cfg, false, nil
}

// endpoints describes the devnet, with the pids of the nodes sup runs
// (none when sup is nil): the validators, then the sequencer and the
// challenger when l2ChainID is not 0.
func endpoints(l devnet.Layout, cfg devnet.Config, l2ChainID uint64, sup *devnet.Supervisor) devnet.Endpoints {
	eps := devnet.Endpoints{ChainID: cfg.ChainID, Datadir: l.Dir}
	var pids []int
	if sup != nil {
		pids = sup.PIDs()
	}
	for i := range cfg.Validators {
		e := devnet.LocalEndpoint(l, cfg, i)
		if i < len(pids) {
			e.PID = pids[i]
		}
		eps.Nodes = append(eps.Nodes, e)
	}
	if l2ChainID != 0 {
		eps.L2ChainID = l2ChainID
		e := devnet.SequencerEndpoint(l, cfg)
		ch := devnet.ChallengerEndpoint(l, cfg)
		if sup != nil {
			e.PID = sup.PID(devnet.SequencerName)
			ch.PID = sup.PID(devnet.ChallengerName)
		}
		eps.Nodes = append(eps.Nodes, e, ch)
	}
	return eps
}

// waitForChain waits until every node has committed a block and, when
// resuming, until the chain has moved past where it stopped.
func waitForChain(ctx context.Context, timeout time.Duration, eps devnet.Endpoints, resumed bool, exits <-chan devnet.NodeExit) ([]uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	validators := eps.Validators()
	urls := make([]string, len(validators))
	for i, n := range validators {
		urls[i] = n.RPC
	}
	heads, err := devnet.WaitForHeight(ctx, urls, 1, exits)
	if err == nil && resumed {
		var top uint64
		for _, h := range heads {
			top = max(top, h)
		}
		heads, err = devnet.WaitForHeight(ctx, urls, top+1, exits)
	}
	if err == nil {
		return heads, nil
	}
	if exit, ok := errors.AsType[*devnet.ExitError](err); ok {
		showTail(exit.Exit.Name, exit.Exit.Log)
		return nil, fmt.Errorf("%w; its log: %s", err, exit.Exit.Log)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		for _, n := range validators {
			showTail(n.Name, n.Log)
		}
		return nil, fmt.Errorf("the devnet did not commit a block within %s: %w (logs above and in %s)",
			timeout, err, filepath.Dir(validators[0].Log))
	}
	return nil, err
}

// supervise runs until a signal, reporting nodes that die, then stops
// every node: the sequencer and the challenger first, then the validators.
// With a watcher it runs it (and reports through it); otherwise it prints
// the first L2 block's timing from firstL2 itself.
func supervise(c *cli.Context, ctx context.Context, sup *devnet.Supervisor, l devnet.Layout, cfg devnet.Config, l2ChainID uint64,
	w *watch.Watcher, firstL2 <-chan watch.FirstBlock) error {
	total := cfg.Validators
	if l2ChainID != 0 {
		total += 2 // the sequencer and the challenger
	}
	stopWatcher := func() {}
	if w != nil {
		wctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); w.Run(wctx) }()
		stopWatcher = func() { cancel(); <-done }
		defer stopWatcher()
		firstL2 = nil // the watcher reports it
	}
	alive := total
	for alive > 0 {
		select {
		case <-ctx.Done():
			stopWatcher()
			fmt.Println("devnet: stopping every node (the sequencer and the challenger first) ...")
			if err := stopNodes(c, sup, l, cfg, l2ChainID); err != nil {
				return err
			}
			fmt.Printf("devnet: stopped. \"devnet up --datadir %s\" resumes it.\n", l.Dir)
			return nil
		case f, ok := <-firstL2:
			if !ok {
				firstL2 = nil
				continue
			}
			fmt.Printf("devnet: the first L2 block (%d) came %.1f s after the devnet started its processes (%.1f s after the sequencer)\n",
				f.Number, f.SinceStart.Seconds(), f.SinceSequencer.Seconds())
		case e := <-sup.Exits():
			alive--
			if w != nil {
				w.NodeExited(e.Name, e.Err)
				w.Above(os.Stderr, tailText(e.Name, e.Log))
				continue
			}
			what := ""
			switch e.Name {
			case devnet.SequencerName:
				what = " The L2 is down: its RPC does not answer, deposits wait on the L1."
			case devnet.ChallengerName:
				what = " Nothing verifies the posted outputs now."
			}
			fmt.Fprintf(os.Stderr, "\n!!!! devnet: %s EXITED (%v); it is not restarted.%s %d of %d nodes still run.\n",
				e.Name, e.Err, what, alive, total)
			showTail(e.Name, e.Log)
		}
	}
	stopWatcher()
	stopNodes(c, sup, l, cfg, l2ChainID)
	return fmt.Errorf("every node exited; see the logs in %s", l.LogsDir())
}

// stopNodes stops the nodes and marks them stopped in endpoints.json.
func stopNodes(c *cli.Context, sup *devnet.Supervisor, l devnet.Layout, cfg devnet.Config, l2ChainID uint64) error {
	err := sup.Stop(c.Duration(stopTimeoutFlag.Name))
	if werr := devnet.WriteEndpoints(l, endpoints(l, cfg, l2ChainID, nil)); werr != nil && err == nil {
		err = werr
	}
	return err
}
