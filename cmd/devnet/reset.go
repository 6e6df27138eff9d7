package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/bilayer/bilayer/devnet"
	"github.com/urfave/cli/v2"
)

func resetCommand() *cli.Command {
	return &cli.Command{
		Name:  "reset",
		Usage: "wipe the devnet data directory (keys, genesis, chain data, logs)",
		Description: `Refuses while a devnet runs on the directory, and refuses to delete a directory that does
not hold a devnet (no devnet.json), so a mistyped --datadir cannot wipe something else.`,
		Flags:  []cli.Flag{datadirFlag},
		Action: runReset,
	}
}

func runReset(c *cli.Context) error {
	l, err := layout(c)
	if err != nil {
		return err
	}
	if _, err := os.Stat(l.Dir); errors.Is(err, os.ErrNotExist) {
		fmt.Printf("devnet: %s does not exist: nothing to reset\n", l.Dir)
		return nil
	}
	if pid, running := devnet.RunningPID(l); running {
		return fmt.Errorf("%w: %s (pid %d); stop it first (Ctrl-C, or kill -INT %d)", devnet.ErrRunning, l.Dir, pid, pid)
	}
	if _, err := devnet.LoadConfig(l); err != nil && !looksLikeDevnet(l) {
		return fmt.Errorf("%s does not look like a devnet data directory (%v); not deleting it", l.Dir, err)
	}
	if err := os.RemoveAll(l.Dir); err != nil {
		return fmt.Errorf("wipe %s: %w", l.Dir, err)
	}
	fmt.Printf("devnet: wiped %s\n", l.Dir)
	return nil
}

// looksLikeDevnet reports whether l holds the leftovers of a devnet whose
// generation did not finish: its genesis, password or lock file.
func looksLikeDevnet(l devnet.Layout) bool {
	for _, p := range []string{l.GenesisFile(), l.PasswordFile(), l.LockFile()} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}
