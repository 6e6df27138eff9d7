package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/dashboard"
	"github.com/bilayer/bilayer/devnet/watch"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

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
// block time; on a chain this run created (newChain) it reports every L1
// block from the first, the sequencer's bond included.
func watchConfig(eps devnet.Endpoints, p devnet.ChainParams, newChain bool) watch.Config {
	wc := watch.Config{ChallengeWindow: p.ChallengeWindow, L1BlockTime: p.L1BlockTime, NewChain: newChain}
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

// logTailLines is how much of a dead node's log the devnet shows.
const logTailLines = 30

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
