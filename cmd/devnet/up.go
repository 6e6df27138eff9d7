package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/dashboard"
	"github.com/bilayer/bilayer/devnet/watch"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
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

// logTailLines is how much of a dead node's log the devnet shows.
const logTailLines = 30

// firstL2Timeout bounds the wait for the first L2 block after the
// sequencer starts.
const firstL2Timeout = 2 * time.Minute

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
			l1OnlyFlag, equivocateFlag, badOutputFlag, censorFlag, dashboardAddrFlag, noDashboardFlag, pprofFlag},
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
	sup, err := devnet.Start(devnet.SuperviseOptions{Layout: l, Config: cfg, ValidatorBin: bin, SequencerBin: seq.bin,
		ChallengerBin: seq.challengerBin, Terminal: logsTo, ExtraArgs: extra,
		SequencerArgs: seqArgs})
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
		w = watch.New(watch.Options{Config: watchConfig(eps, params), Out: os.Stdout, TTY: tty, Width: width, FirstL2: firstL2})
	}
	return supervise(c, ctx, sup, l, cfg, seq.l2ChainID, w, firstL2)
}

// startDashboard serves the dashboard of the devnet eps (nil without
// --no-dashboard). An address that is not loopback is an error; a port
// that is taken is not: devnet says so and runs without the dashboard.
func startDashboard(c *cli.Context, cfg devnet.Config, eps devnet.Endpoints, params devnet.ChainParams) (*dashboard.Server, error) {
	if c.Bool(noDashboardFlag.Name) {
		return nil, nil
	}
	addr := fmt.Sprintf("127.0.0.1:%d", dashboard.DefaultPort+cfg.PortOffset)
	if c.IsSet(dashboardAddrFlag.Name) {
		addr = c.String(dashboardAddrFlag.Name)
		if err := dashboard.CheckLoopback(addr); err != nil {
			return nil, fmt.Errorf("--dashboard.addr: %w", err)
		}
	}
	dcfg, err := dashboard.FromEndpoints(eps, &params)
	if err != nil {
		return nil, err
	}
	srv, err := dashboard.Listen(addr, dcfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devnet: not serving the dashboard: %v (--dashboard.addr picks another address, e.g. 127.0.0.1:0 for any free port)\n", err)
		return nil, nil
	}
	srv.Serve()
	return srv, nil
}

// displayMode is what follows the summary: the watcher (the default), the
// nodes' logs (--verbose) or nothing (--quiet).
func displayMode(c *cli.Context) (string, error) {
	switch v, q := c.Bool(verboseFlag.Name), c.Bool(quietFlag.Name); {
	case v && q:
		return "", errors.New("--verbose and --quiet: pick one (--verbose streams every node's log lines, --quiet prints only nodes that exit)")
	case v:
		return devnet.DisplayVerbose, nil
	case q:
		return devnet.DisplayQuiet, nil
	}
	return devnet.DisplayWatch, nil
}

// terminal says whether f is a terminal and returns a function giving its
// width.
func terminal(f *os.File) (bool, func() int) {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return false, nil
	}
	return true, func() int {
		if w, _, err := term.GetSize(fd); err == nil && w > 0 {
			return w
		}
		return 80
	}
}

// watchConfig is what the watcher follows: the validators, the sequencer
// and the challenger of eps, with the genesis's challenge window and L1
// block time.
func watchConfig(eps devnet.Endpoints, p devnet.ChainParams) watch.Config {
	wc := watch.Config{ChallengeWindow: p.ChallengeWindow, L1BlockTime: p.L1BlockTime}
	for _, n := range eps.Validators() {
		wc.Validators = append(wc.Validators, watch.Node{Name: n.Name, RPC: n.RPC, Address: common.HexToAddress(n.Validator)})
	}
	if n, ok := eps.Sequencer(); ok {
		wc.Sequencer = &watch.Node{Name: n.Name, RPC: n.RPC}
	}
	if n, ok := eps.Challenger(); ok {
		wc.Challenger = &watch.Node{Name: n.Name, RPC: n.RPC}
	}
	return wc
}

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
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := devnet.WaitForRPC(wctx, ch.RPC, l2ChainID, sup.Exits(), 2*time.Second, func(p devnet.RPCProgress) {
		fmt.Printf("devnet: waiting for the challenger's L2 RPC at %s: %s (%s left)\n",
			ch.RPC, p.Waited.Round(time.Second), p.Left.Round(time.Second))
	})
	if err == nil {
		return eps, nil
	}
	if exit, ok := errors.AsType[*devnet.ExitError](err); ok {
		showTail(exit.Exit.Name, exit.Exit.Log)
		return eps, fmt.Errorf("%w; its log: %s", err, exit.Exit.Log)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		showTail(ch.Name, ch.Log)
		return eps, fmt.Errorf("the challenger's L2 RPC did not answer within %s: %w (its log above and in %s)", timeout, err, ch.Log)
	}
	return eps, err
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
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := devnet.WaitForRPC(wctx, seq.RPC, l2ChainID, sup.Exits(), 2*time.Second, func(p devnet.RPCProgress) {
		fmt.Printf("devnet: waiting for the sequencer's L2 RPC at %s: %s (%s left)\n",
			seq.RPC, p.Waited.Round(time.Second), p.Left.Round(time.Second))
	})
	if err == nil {
		return eps, nil
	}
	if exit, ok := errors.AsType[*devnet.ExitError](err); ok {
		showTail(exit.Exit.Name, exit.Exit.Log)
		return eps, fmt.Errorf("%w; its log: %s", err, exit.Exit.Log)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		showTail(seq.Name, seq.Log)
		return eps, fmt.Errorf("the sequencer's L2 RPC did not answer within %s: %w (its log above and in %s)", timeout, err, seq.Log)
	}
	return eps, err
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

// showTail prints the end of a node's log to stderr.
func showTail(name, path string) {
	fmt.Fprint(os.Stderr, tailText(name, path))
}

// tailText is the end of a node's log, framed, or why it cannot be read.
func tailText(name, path string) string {
	tail, err := devnet.Tail(path, logTailLines)
	if err != nil {
		return fmt.Sprintf("devnet: %v\n", err)
	}
	return fmt.Sprintf("---- last lines of %s (%s) ----\n%s\n---- end of %s ----\n", name, path, tail, name)
}

// printSummary prints the summary and keeps a copy in <datadir>/summary.txt.
func printSummary(l devnet.Layout, info devnet.SummaryInfo) error {
	f, err := os.Create(filepath.Join(l.Dir, "summary.txt"))
	if err != nil {
		return devnet.WriteSummary(os.Stdout, info)
	}
	defer f.Close()
	return devnet.WriteSummary(io.MultiWriter(os.Stdout, f), info)
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
