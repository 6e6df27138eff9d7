package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bilayer/bilayer/wallet"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// stdio is the process's standard streams, injected so tests can run the
// app in-process.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// fdOf returns the file descriptor of a stream that is an *os.File.
func fdOf(s any) (int, bool) {
	f, ok := s.(*os.File)
	if !ok {
		return -1, false
	}
	return int(f.Fd()), true
}

// isTerminal reports whether a stream is an interactive terminal.
func isTerminal(s any) bool {
	fd, ok := fdOf(s)
	return ok && term.IsTerminal(fd)
}

// run runs the wallet with args (args[0] is the program name) and returns
// the process exit code: 0 on success, 1 on any error (printed to stderr).
func run(ctx context.Context, args []string, std stdio, getenv func(string) string) int {
	app := newApp(std, getenv)
	if err := app.RunContext(ctx, args); err != nil {
		// An unreachable node is the whole story; what was being read
		// when it happened is noise.
		var unreachable *wallet.UnreachableError
		if errors.As(err, &unreachable) {
			err = unreachable
		}
		fmt.Fprintf(std.err, "wallet: %v\n", err)
		return 1
	}
	return 0
}

// newApp builds the wallet's command tree.
func newApp(std stdio, getenv func(string) string) *cli.App {
	e := &env{io: std, getenv: getenv}
	commands := []*cli.Command{
		{
			Name:  "account",
			Usage: "manage the keystore's accounts",
			Subcommands: []*cli.Command{
				{Name: "new", Usage: "create an account with a random key", Flags: []cli.Flag{lightKDFFlag()}, Action: e.accountNew},
				{Name: "import", Usage: "import a hex private key", ArgsUsage: "[HEX-PRIVATE-KEY]",
					Description: "Imports a private key given as an argument (visible in your shell history) or, better, with --key-file.",
					Flags:       []cli.Flag{lightKDFFlag(), &cli.StringFlag{Name: "key-file", Usage: "read the hex private key from `FILE`"}},
					Action:      e.accountImport},
				{Name: "list", Usage: "list the keystore's accounts", Action: e.accountList},
			},
		},
		{Name: "balance", Usage: "print an address's balance (default: the signing account)", ArgsUsage: "[ADDRESS]", Action: e.balance},
		{Name: "transfer", Usage: "send ether and wait for the receipt", Flags: transferFlags(), Action: e.transfer,
			Description: "Builds an EIP-1559 transfer (fee cap 2 x base fee + tip) for the chain id the node reports, checks the\n" +
				"balance covers it, sends it, waits for inclusion (progress on stderr when it is a terminal) and prints the\n" +
				"receipt. On the L2 (--layer l2) the fee paid is the gas fee plus the L1 data fee (the receipt's l1Fee).\n" +
				"Exits non-zero if the transaction failed or was not included within --timeout."},
		{Name: "tx", Usage: "show a transaction and its receipt, or that it is pending", ArgsUsage: "HASH", Action: e.tx},
	}
	commands = append(commands, e.depositCommands()...)
	commands = append(commands, e.withdrawCommands()...)
	commands = append(commands, e.disputeCommands()...)
	commands = append(commands, e.stakingCommands()...)
	addGlobalFlags(commands)
	return &cli.App{
		Name:  "wallet",
		Usage: "keys, balances and transfers on a bilayer devnet (L1 and L2)",
		Description: "Global flags work before or after the command: wallet --dev-account 0 transfer --to ADDR --amount 1.5\n" +
			"Signing key: --dev-account N (devnet test account N), else --from ADDR or the first keystore account.",
		Flags:          globalFlags(true, defaultKeystore()),
		Commands:       commands,
		Reader:         std.in,
		Writer:         std.out,
		ErrWriter:      std.err,
		ExitErrHandler: func(*cli.Context, error) {}, // run prints errors and picks the exit code
	}
}

// addGlobalFlags adds the global flags (without their env vars, which the
// app-level copies read) to every leaf command, so they also work after the
// command name.
func addGlobalFlags(commands []*cli.Command) {
	for _, c := range commands {
		if len(c.Subcommands) > 0 {
			addGlobalFlags(c.Subcommands)
			continue
		}
		c.Flags = append(c.Flags, globalFlags(false, defaultKeystore())...)
	}
}

// defaultKeystore is ~/.bilayer/keystore, or a relative path when there is
// no home directory.
func defaultKeystore() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".bilayer", "keystore")
	}
	return filepath.Join(home, ".bilayer", "keystore")
}
