package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/internal/cmdutil"
)

// version is the sequencer's version string (web3_clientVersion).
var version = "bilayer-sequencer/v0.1.0"

// Data directory layout.
const (
	genesisFile     = "genesis.json"
	keystoreDir     = "keystore"
	sequencerKey    = "sequencer.json"
	l2ChainDir      = "l2chaindata"
	defaultDatadir  = "./sequencer-data"
	defaultL1RPC    = "http://127.0.0.1:8545"
	defaultRPCAddr  = "127.0.0.1:9545"
	passwordFlagKey = "password-file"
)

var (
	datadirFlag = &cli.StringFlag{Name: "datadir", Usage: "data directory: the L1 genesis, the sequencer key, the L2 chain database",
		Value: defaultDatadir, EnvVars: []string{"BILAYER_SEQUENCER_DATADIR"}}
	genesisFlag = &cli.StringFlag{Name: "genesis", Usage: "the L1 genesis JSON file, with its rollup section (run: defaults to <datadir>/genesis.json)",
		EnvVars: []string{"BILAYER_GENESIS"}}
	passwordFileFlag = &cli.StringFlag{Name: passwordFlagKey, Usage: "file holding the password of the sequencer key file",
		EnvVars: []string{"BILAYER_PASSWORD_FILE"}}
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "sequencer:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "sequencer",
		Usage:   "run the bilayer L2 sequencer",
		Version: version,
		Description: `The bilayer L2 sequencer. "sequencer init" creates a data directory with the L1 genesis
(whose rollup section defines the L2) and the sequencer's key; "sequencer run" follows the L1
over JSON-RPC and produces the L2 chain, serving its Ethereum JSON-RPC (chain id 1338 on the
devnet) on 127.0.0.1:9545.

A transaction is soft-confirmed once its block is written to disk (one synced batch): its
receipt exists from then on, and a crash or kill -9 never loses it.

Every flag can also be set with the environment variable shown in its help.`,
		Commands: []*cli.Command{initCommand(), runCommand()},
	}
}

func datadirPath(c *cli.Context, parts ...string) string {
	return filepath.Join(append([]string{c.String(datadirFlag.Name)}, parts...)...)
}

func readPassword(c *cli.Context) (string, error) {
	return cmdutil.ReadPassword(c.String(passwordFileFlag.Name), passwordFlagKey)
}
