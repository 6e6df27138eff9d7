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
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/urfave/cli/v2"
)

var (
	quietFlag = &cli.BoolFlag{Name: "quiet", Usage: "do not stream the nodes' logs to the terminal (they still go to <datadir>/logs)",
		EnvVars: []string{"DEVNET_QUIET"}}
	startTimeoutFlag = &cli.DurationFlag{Name: "start-timeout", Usage: "how long to wait for every node to commit a block",
		Value: 60 * time.Second, EnvVars: []string{"DEVNET_START_TIMEOUT"}}
	stopTimeoutFlag = &cli.DurationFlag{Name: "stop-timeout", Usage: "how long nodes get to stop after SIGINT before they are killed",
		Value: 15 * time.Second, EnvVars: []string{"DEVNET_STOP_TIMEOUT"}}
)

// logTailLines is how much of a dead node's log the devnet shows.
const logTailLines = 30

func upCommand() *cli.Command {
	return &cli.Command{
		Name:  "up",
		Usage: "start the devnet (generating it on the first run) and run it until Ctrl-C",
		Description: `The first run generates validator keys, the genesis and one data directory per validator
in --datadir; later runs resume the same chain. Every node is a separate "validator run" process;
its log goes to <datadir>/logs/<name>.log and, unless --quiet, to the terminal. Once every node
has committed a block, devnet prints the RPC URLs and the funded accounts, and writes
<datadir>/endpoints.json. Ctrl-C (or SIGTERM) stops every node.`,
		Flags:  []cli.Flag{datadirFlag, validatorsFlag, portOffsetFlag, binDirFlag, quietFlag, startTimeoutFlag, stopTimeoutFlag, equivocateFlag},
		Action: runUp,
	}
}

func runUp(c *cli.Context) error {
	ctx, stopSignals := signal.NotifyContext(c.Context, syscall.SIGINT, syscall.SIGTERM)
	defer stopSignals()
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
	if err := devnet.CheckPortsFree(cfg.Validators, cfg.PortOffset); err != nil {
		return err
	}
	var term io.Writer
	if !c.Bool(quietFlag.Name) {
		term = os.Stdout
	}
	started := time.Now()
	extra := map[int][]string{}
	if i := c.Int(equivocateFlag.Name); i >= 0 {
		if i >= cfg.Validators {
			return fmt.Errorf("--dev.equivocate %d: the devnet has validators 0 to %d", i, cfg.Validators-1)
		}
		extra[i] = []string{"--dev.equivocate"}
	}
	sup, err := devnet.Start(devnet.SuperviseOptions{Layout: l, Config: cfg, ValidatorBin: bin, Terminal: term, ExtraArgs: extra})
	if err != nil {
		return err
	}
	eps := endpoints(l, cfg, sup.PIDs())
	if err := devnet.WriteEndpoints(l, eps); err != nil {
		stopNodes(c, sup, l, cfg)
		return err
	}
	heads, err := waitForChain(ctx, c.Duration(startTimeoutFlag.Name), eps, !created, sup.Exits())
	if err != nil {
		stopNodes(c, sup, l, cfg)
		if ctx.Err() != nil && errors.Is(err, context.Canceled) {
			return nil // Ctrl-C while starting
		}
		return err
	}
	if err := printSummary(l, devnet.SummaryInfo{Endpoints: eps, Resumed: !created, Heads: heads,
		FirstBlock: time.Since(started), DevnetCmd: os.Args[0]}); err != nil {
		fmt.Fprintln(os.Stderr, "devnet:", err)
	}
	return supervise(c, ctx, sup, l, cfg)
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

// endpoints describes the running devnet.
func endpoints(l devnet.Layout, cfg devnet.Config, pids []int) devnet.Endpoints {
	eps := devnet.Endpoints{ChainID: cfg.ChainID, Datadir: l.Dir}
	for i := range cfg.Validators {
		e := devnet.LocalEndpoint(l, cfg, i)
		if i < len(pids) {
			e.PID = pids[i]
		}
		eps.Nodes = append(eps.Nodes, e)
	}
	return eps
}

// waitForChain waits until every node has committed a block and, when
// resuming, until the chain has moved past where it stopped.
func waitForChain(ctx context.Context, timeout time.Duration, eps devnet.Endpoints, resumed bool, exits <-chan devnet.NodeExit) ([]uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	urls := make([]string, len(eps.Nodes))
	for i, n := range eps.Nodes {
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
		for _, n := range eps.Nodes {
			showTail(n.Name, n.Log)
		}
		return nil, fmt.Errorf("the devnet did not commit a block within %s: %w (logs above and in %s)",
			timeout, err, filepath.Dir(eps.Nodes[0].Log))
	}
	return nil, err
}

// supervise runs until a signal, reporting nodes that die, then stops
// every node.
func supervise(c *cli.Context, ctx context.Context, sup *devnet.Supervisor, l devnet.Layout, cfg devnet.Config) error {
	alive := cfg.Validators
	for alive > 0 {
		select {
		case <-ctx.Done():
			fmt.Println("devnet: stopping every node ...")
			if err := stopNodes(c, sup, l, cfg); err != nil {
				return err
			}
			fmt.Printf("devnet: stopped. \"devnet up --datadir %s\" resumes it.\n", l.Dir)
			return nil
		case e := <-sup.Exits():
			alive--
			fmt.Fprintf(os.Stderr, "\n!!!! devnet: %s EXITED (%v); it is not restarted. %d of %d nodes still run.\n",
				e.Name, e.Err, alive, cfg.Validators)
			showTail(e.Name, e.Log)
		}
	}
	stopNodes(c, sup, l, cfg)
	return fmt.Errorf("every node exited; see the logs in %s", l.LogsDir())
}

// stopNodes stops the nodes and marks them stopped in endpoints.json.
func stopNodes(c *cli.Context, sup *devnet.Supervisor, l devnet.Layout, cfg devnet.Config) error {
	err := sup.Stop(c.Duration(stopTimeoutFlag.Name))
	if werr := devnet.WriteEndpoints(l, endpoints(l, cfg, nil)); werr != nil && err == nil {
		err = werr
	}
	return err
}

// showTail prints the end of a node's log to stderr.
func showTail(name, path string) {
	tail, err := devnet.Tail(path, logTailLines)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devnet: %v\n", err)
		return
	}
	fmt.Fprintf(os.Stderr, "---- last lines of %s (%s) ----\n%s\n---- end of %s ----\n", name, path, tail, name)
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
