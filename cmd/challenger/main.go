package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"
)

// version is the challenger's version string (web3_clientVersion).
var version = "bilayer-challenger/v0.1.0"

// Data directory layout and defaults.
const (
	genesisFile    = "genesis.json"
	l2ChainDir     = "l2chaindata"
	defaultDatadir = "./challenger-data"
	defaultL1RPC   = "http://127.0.0.1:8545"
	defaultRPCAddr = "127.0.0.1:9546"
)

var (
	datadirFlag = &cli.StringFlag{Name: "datadir", Usage: "data directory: a copy of the L1 genesis (init) and the challenger's own L2 chain database",
		Value: defaultDatadir, EnvVars: []string{"BILAYER_CHALLENGER_DATADIR"}}
	genesisFlag = &cli.StringFlag{Name: "genesis", Usage: "the L1 genesis JSON file, with its rollup section (run: defaults to <datadir>/genesis.json, written by init)",
		EnvVars: []string{"BILAYER_GENESIS"}}
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "challenger:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "challenger",
		Usage:   "run the bilayer L2 challenger: derive the L2 from the L1 alone and check every posted output",
		Version: version,
		Description: `The bilayer L2 challenger, an independent verifier. It talks only to an L1 node (--l1.rpc),
never to the sequencer: walking the L1 block by block it reads the batches the rollup contract
accepted and the deposits the bridge recorded, derives every L2 block from them (deposit-only
blocks where no batch covered an origin within the sequencing window), executes each block with
the one state transition into its own database, and compares the output the sequencer posted
for every block (state root, block hash, withdrawals) with its own. It logs every batch that
agrees and the first output that does not, and serves the derived chain's Ethereum JSON-RPC
(read-only) with rollup_syncStatus on 127.0.0.1:9546.

"challenger init" copies the L1 genesis into a data directory; "challenger run" can also take
--genesis directly. Every flag can also be set with the environment variable shown in its help.`,
		Commands: []*cli.Command{initCommand(), runCommand()},
	}
}

func datadirPath(c *cli.Context, parts ...string) string {
	return filepath.Join(append([]string{c.String(datadirFlag.Name)}, parts...)...)
}
