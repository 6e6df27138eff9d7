package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/bilayer/bilayer/devnet"
	"github.com/urfave/cli/v2"
)

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:  "node",
		Usage: "replace this process with \"validator run\", \"sequencer run\" or \"challenger run\" for one node of a generated devnet (container entrypoint)",
		Description: `Reads <datadir>/devnet.json, made by "devnet generate", and executes the validator binary
with the node's data directory, listen addresses and bootnodes; or, for --name sequencer, runs
"sequencer init" once (its data directory in <datadir>/sequencer) and executes "sequencer run",
following validator-0's RPC; for --name challenger, executes "challenger run" (its data directory
in <datadir>/challenger) following validator-1's RPC. Containers built FROM scratch have no shell;
this is what turns the shared volume into the node's command line.`,
		Flags: []cli.Flag{datadirFlag, binDirFlag,
			&cli.StringFlag{Name: "name", Usage: "the node to run: validator-<i>, sequencer or challenger", Required: true, EnvVars: []string{"DEVNET_NODE"}}},
		Action: func(c *cli.Context) error {
			l, err := layout(c)
			if err != nil {
				return err
			}
			cfg, err := devnet.LoadConfig(l)
			if err != nil {
				return fmt.Errorf("%w (run \"devnet generate\" first)", err)
			}
			name := c.String("name")
			switch name {
			case devnet.SequencerName:
				return execSequencer(c, l, cfg)
			case devnet.ChallengerName:
				return execChallenger(c, l, cfg)
			}
			i, err := strconv.Atoi(strings.TrimPrefix(name, "validator-"))
			if err != nil || devnet.NodeName(i) != name {
				return fmt.Errorf("--name %q: want validator-<i>, %s or %s", name, devnet.SequencerName, devnet.ChallengerName)
			}
			bin, err := validatorBinary(c)
			if err != nil {
				return err
			}
			args, err := devnet.RunArgs(l, cfg, i)
			if err != nil {
				return err
			}
			return execNode(bin, args)
		},
	}
}

// execSequencer initialises the sequencer once and replaces this process
// with "sequencer run".
func execSequencer(c *cli.Context, l devnet.Layout, cfg devnet.Config) error {
	args, err := devnet.SequencerRunArgs(l, cfg)
	if err != nil {
		return err
	}
	bin, err := sequencerBinary(c)
	if err != nil {
		return err
	}
	if _, err := devnet.InitSequencer(c.Context, l, cfg, bin, os.Stdout); err != nil {
		return err
	}
	return execNode(bin, args)
}

// execChallenger replaces this process with "challenger run".
func execChallenger(c *cli.Context, l devnet.Layout, cfg devnet.Config) error {
	args, err := devnet.ChallengerRunArgs(l, cfg)
	if err != nil {
		return err
	}
	bin, err := challengerBinary(c)
	if err != nil {
		return err
	}
	return execNode(bin, args)
}

// execNode replaces this process with bin run with args.
func execNode(bin string, args []string) error {
	argv := append([]string{bin}, args...)
	if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
		return fmt.Errorf("exec %s: %w", bin, err)
	}
	return nil
}
