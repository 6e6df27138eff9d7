package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bilayer/bilayer/devnet"
	"github.com/urfave/cli/v2"
)

var (
	datadirFlag = &cli.StringFlag{Name: "datadir", Usage: "devnet data directory: keys, genesis, chain data, logs",
		Value: "./.devnet", EnvVars: []string{"DEVNET_DATADIR"}}
	validatorsFlag = &cli.IntFlag{Name: "validators", Usage: "number of validators (first run only; later runs resume the same set)",
		Value: 4, EnvVars: []string{"DEVNET_VALIDATORS"}}
	portOffsetFlag = &cli.IntFlag{Name: "port-offset", Usage: "shift every port by this much, to run two devnets side by side (default: the data dir's, else 0)",
		EnvVars: []string{"DEVNET_PORT_OFFSET"}}
	equivocateFlag = &cli.IntFlag{Name: "dev.equivocate", Value: -1,
		Usage: "DEVELOPMENT: make validator N sign conflicting prevotes (from height 3, until slashed), to watch evidence and slashing (-1: none)"}
	badOutputFlag = &cli.Uint64Flag{Name: "dev.bad-output-at",
		Usage: "DEVELOPMENT: the sequencer posts a wrong output for L2 block N (once); watch the challenger prove it wrong in one L1 transaction and take half the bond (0: none)"}
	censorFlag = &cli.StringSliceFlag{Name: "dev.censor",
		Usage: "DEVELOPMENT: the sequencer leaves out every L2 transaction from `ADDRESS` (repeatable); watch `wallet force-withdraw` get the funds out through the L1 anyway"}
	dashboardAddrFlag = &cli.StringFlag{Name: "dashboard.addr",
		Usage:   "serve the dashboard, a live web page of both layers, on this loopback address (default: 127.0.0.1:8080 plus the port offset; port 0 picks a free port)",
		EnvVars: []string{"DEVNET_DASHBOARD_ADDR"}}
	noDashboardFlag = &cli.BoolFlag{Name: "no-dashboard", Usage: "do not serve the dashboard",
		EnvVars: []string{"DEVNET_NO_DASHBOARD"}}
	pprofFlag = &cli.BoolFlag{Name: "pprof",
		Usage: "serve Go's profiler (/debug/pprof/) on each validator's and the sequencer's metrics address, for `go tool pprof` (make bench --l1-profile uses it)"}
	validatorBinFlag = &cli.StringSliceFlag{Name: "dev.validator-bin",
		Usage: "DEVELOPMENT: run validator N from another binary, as `N=PATH` (repeatable): a paired benchmark compares two builds on one devnet, under the same load and chain (make bench --l1-pair-bin)"}
	validatorEnvFlag = &cli.StringSliceFlag{Name: "dev.validator-env",
		Usage: "DEVELOPMENT: add KEY=VALUE to validator N's environment, as `N=KEY=VALUE` (repeatable): a paired benchmark's other setting for some validators, e.g. 2=GOMEMLIMIT=150MiB (make bench --l1-pair-env)"}
	binDirFlag = &cli.StringFlag{Name: "bin-dir", Usage: "directory holding the validator, sequencer and challenger binaries (default: next to this devnet binary, then $PATH)",
		EnvVars: []string{"DEVNET_BIN_DIR"}}
)

// validatorBinary finds the validator binary: in --bin-dir, next to this
// executable, or on $PATH.
func validatorBinary(c *cli.Context) (string, error) { return findBinary(c, "validator") }

// sequencerBinary finds the sequencer binary as validatorBinary finds the
// validator's.
func sequencerBinary(c *cli.Context) (string, error) { return findBinary(c, "sequencer") }

// challengerBinary finds the challenger binary as validatorBinary finds
// the validator's.
func challengerBinary(c *cli.Context) (string, error) { return findBinary(c, "challenger") }

// findBinary finds the named binary: in --bin-dir, next to this
// executable, or on $PATH.
func findBinary(c *cli.Context, name string) (string, error) {
	if dir := c.String(binDirFlag.Name); dir != "" {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("--bin-dir %s: no %s binary there (build it with \"make build\")", dir, name)
		}
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("cannot find the %s binary next to devnet or on $PATH: run \"make build\" (or \"make devnet\"), or pass --bin-dir", name)
}

// layout returns the data directory layout, with an absolute path so that
// the summary and endpoints.json are usable from anywhere.
func layout(c *cli.Context) (devnet.Layout, error) {
	dir, err := filepath.Abs(c.String(datadirFlag.Name))
	if err != nil {
		return devnet.Layout{}, fmt.Errorf("--datadir: %w", err)
	}
	return devnet.Layout{Dir: dir}, nil
}

// randomPassword returns 16 random bytes as hex.
func randomPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// perValidator parses a repeatable "N=VALUE" flag (--dev.validator-bin,
// --dev.validator-env) into VALUE lists by validator index, refusing an
// index outside the devnet's validators and an empty value.
func perValidator(flag string, values []string, validators int) (map[int][]string, error) {
	out := map[int][]string{}
	for _, v := range values {
		idx, val, ok := strings.Cut(v, "=")
		if !ok || val == "" {
			return nil, fmt.Errorf("--%s %q: want N=VALUE, N a validator's index", flag, v)
		}
		i, err := strconv.Atoi(idx)
		if err != nil || i < 0 || i >= validators {
			return nil, fmt.Errorf("--%s %q: the devnet has validators 0 to %d", flag, v, validators-1)
		}
		out[i] = append(out[i], val)
	}
	return out, nil
}
