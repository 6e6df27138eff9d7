package main

import (
	"path/filepath"

	"github.com/bilayer/bilayer/internal/cmdutil"
	"github.com/bilayer/bilayer/node"
	"github.com/urfave/cli/v2"
)

var version = node.Version

// Data directory layout.
const (
	genesisFile      = "genesis.json"
	keystoreDir      = "keystore"
	validatorKeyFile = "validator.json"
	nodeKeyFile      = "node.json"
	chainDir         = "chaindata"
	signerStateFile  = "signer-state.json"
)

var (
	datadirFlag = &cli.StringFlag{Name: "datadir", Usage: "data directory: keys, genesis, chain database",
		Value: "./validator-data", EnvVars: []string{"BILAYER_DATADIR"}}
	genesisFlag = &cli.StringFlag{Name: "genesis", Usage: "genesis JSON file (run: defaults to <datadir>/genesis.json)",
		EnvVars: []string{"BILAYER_GENESIS"}}
	passwordFileFlag = &cli.StringFlag{Name: "password-file", Usage: "file holding the password of the key files",
		EnvVars: []string{"BILAYER_PASSWORD_FILE"}}
	lightKDFFlag = &cli.BoolFlag{Name: "lightkdf", Usage: "encrypt key files with a light KDF (fast; for devnets and tests only)",
		EnvVars: []string{"BILAYER_LIGHTKDF"}}
)

func readPassword(c *cli.Context) (string, error) {
	return cmdutil.ReadPassword(c.String(passwordFileFlag.Name), passwordFileFlag.Name)
}

func datadirPath(c *cli.Context, parts ...string) string {
	return filepath.Join(append([]string{c.String(datadirFlag.Name)}, parts...)...)
}
