package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

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
	logLevelFlag = &cli.StringFlag{Name: "log.level", Usage: "log level: debug, info, warn or error", Value: "info",
		EnvVars: []string{"BILAYER_LOG_LEVEL"}}
	logFormatFlag = &cli.StringFlag{Name: "log.format", Usage: "log format: text or json", Value: "text",
		EnvVars: []string{"BILAYER_LOG_FORMAT"}}
)

// newLogger builds the process logger from the log flags.
func newLogger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String(logLevelFlag.Name))); err != nil {
		return nil, fmt.Errorf("--log.level %q: use debug, info, warn or error", c.String(logLevelFlag.Name))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.String(logFormatFlag.Name)) {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log.format %q: use text or json", c.String(logFormatFlag.Name))
}

func readPassword(c *cli.Context) (string, error) {
	path := c.String(passwordFileFlag.Name)
	if path == "" {
		return "", fmt.Errorf("the key files are encrypted: give their password with --password-file (or %s)", passwordFileFlag.EnvVars[0])
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}

func datadirPath(c *cli.Context, parts ...string) string {
	return filepath.Join(append([]string{c.String(datadirFlag.Name)}, parts...)...)
}
