// Command validator runs a bilayer L1 node: a proof-of-stake validator (or,
// without a validator key, a full node that follows the chain) with
// Tendermint BFT consensus, libp2p networking, pebble storage and the
// Ethereum JSON-RPC API.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "validator:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:    "validator",
		Usage:   "run a bilayer L1 validator or full node",
		Version: version,
		Description: `A bilayer L1 node. "validator init" creates a data directory with a validator key, a
p2p node key and the genesis; "validator run" starts the node from it.

Every flag can also be set with the environment variable shown in its help.`,
		Commands: []*cli.Command{initCommand(), runCommand(), healthCommand(), peerIDCommand()},
	}
}
