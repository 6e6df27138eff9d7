package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "devnet:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "devnet",
		Usage:   "run a local bilayer devnet",
		Version: version(),
		Description: `"devnet up" starts a 4-validator L1 on 127.0.0.1 (chain id 1337; validator i serves RPC
on 8545+i, p2p on 30303+i, metrics on 6060+i) and the L2 sequencer (chain id 1338; RPC on 9545,
metrics on 7060), with the ten well-known development accounts of "test test ... junk" funded on
both. After the summary it shows one status line and one line per event (transactions, batches,
deposits, withdrawals, disputes, nodes down); --verbose streams the nodes' logs instead (they are
always in <datadir>/logs). Ctrl-C stops it; "devnet up" again resumes it; "devnet reset" wipes it.

Every flag can also be set with the environment variable shown in its help.`,
		Commands: []*cli.Command{upCommand(), resetCommand(), generateCommand(), nodeCommand(), dashboardCommand()},
	}
}

// version is the module version this binary was built from ("(devel)" for
// a build from a checkout).
func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
