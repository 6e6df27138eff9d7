package main

import (
	"slices"
	"time"

	"github.com/urfave/cli/v2"
)

// Global flag names.
const (
	flagRPC          = "rpc"
	flagL2RPC        = "l2-rpc"
	flagLayer        = "layer"
	flagKeystore     = "keystore"
	flagPasswordFile = "password-file"
	flagDevAccount   = "dev-account"
	flagFrom         = "from"
	flagJSON         = "json"
	flagTimeout      = "timeout"
)

// Environment variables the wallet reads.
const (
	// envPassword holds the keystore password.
	envPassword = "BILAYER_PASSWORD"
	// envRPC names the L1 node (the --rpc flag's variable).
	envRPC = "BILAYER_RPC"
)

// globalFlags returns fresh copies of the global flags; withEnv adds their
// environment variables (only the app-level copies read them).
func globalFlags(withEnv bool, keystoreDir string) []cli.Flag {
	env := func(name string) []string {
		if withEnv {
			return []string{name}
		}
		return nil
	}
	// The app-level copies show their env var as [$NAME]; say it in words
	// on the commands' copies.
	envText := func(name string) string {
		if withEnv {
			return ""
		}
		return " (env " + name + ")"
	}
	return []cli.Flag{
		&cli.StringFlag{Name: flagRPC, Value: "http://127.0.0.1:8545", EnvVars: env(envRPC),
			Usage: "L1 JSON-RPC `URL` (a validator's); given on the command line with --layer l2, the L2's" + envText(envRPC)},
		&cli.StringFlag{Name: flagL2RPC, Value: "http://127.0.0.1:9545", EnvVars: env("BILAYER_L2_RPC"),
			Usage: "L2 JSON-RPC `URL` (the sequencer's)" + envText("BILAYER_L2_RPC")},
		&cli.StringFlag{Name: flagLayer, Value: "l1", Usage: "`LAYER` that balance, transfer and tx use: l1 (the L1, at --rpc) or l2 (the rollup, at --l2-rpc; chain id from the node, 1338 on the devnet)"},
		&cli.StringFlag{Name: flagKeystore, Value: keystoreDir, EnvVars: env("BILAYER_KEYSTORE"),
			Usage: "keystore `DIR` of Web3 Secret Storage key files" + envText("BILAYER_KEYSTORE")},
		&cli.StringFlag{Name: flagPasswordFile, Usage: "read the keystore password from `FILE` (else env " + envPassword + ", else a prompt on a terminal)"},
		&cli.IntFlag{Name: flagDevAccount, Value: -1, DefaultText: "none",
			Usage: "sign with the devnet's well-known test account `N` (0-9, mnemonic \"test test ... junk\") instead of the keystore"},
		&cli.StringFlag{Name: flagFrom, Usage: "sign with keystore account `ADDR` (default: the first one)"},
		&cli.BoolFlag{Name: flagJSON, Usage: "print one JSON object (or array) on stdout, for scripts"},
		&cli.DurationFlag{Name: flagTimeout, Value: 60 * time.Second, Usage: "how long (`DURATION`, e.g. 30s) to wait for a transaction's inclusion (deposit: for the L2 to apply it, default " + defaultDepositTimeout.String() + ")"},
	}
}

// transferFlags are the transfer command's own flags.
func transferFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "to", Required: true, Usage: "recipient `ADDR` (0x followed by 40 hex digits)"},
		&cli.StringFlag{Name: "amount", Required: true,
			Usage: "`AMOUNT` to send: ether with decimals (1.5), or with a unit (1500000000000000000wei, 2gwei)"},
	}
}

// lightKDFFlag selects the fast, weak scrypt setting for new key files.
func lightKDFFlag() cli.Flag {
	return &cli.BoolFlag{Name: "light-kdf", Usage: "encrypt with a fast, weak scrypt setting (devnets and tests only)"}
}

// at returns the context whose value of a global flag counts: the innermost
// one where it was given on the command line, else the app's (which applies
// env vars and defaults).
func at(c *cli.Context, name string) *cli.Context {
	root := c
	for _, x := range c.Lineage() {
		if x.App == nil {
			continue // the bare context urfave/cli puts above the app's
		}
		if slices.Contains(x.LocalFlagNames(), name) {
			return x
		}
		root = x
	}
	return root
}

// given reports whether a global flag was set on the command line or
// through its env var.
func given(c *cli.Context, name string) bool {
	for _, x := range c.Lineage() {
		if x.App != nil && slices.Contains(x.LocalFlagNames(), name) {
			return true
		}
	}
	return false
}
