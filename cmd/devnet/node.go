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
		Usage: "replace this process with \"validator run\" for one node of a generated devnet (container entrypoint)",
		Description: `Reads <datadir>/devnet.json, made by "devnet generate", and executes the validator binary
with the node's data directory, listen addresses and bootnodes. Containers built FROM scratch
have no shell; this is what turns the shared volume into the node's command line.`,
		Flags: []cli.Flag{datadirFlag, binDirFlag,
			&cli.StringFlag{Name: "name", Usage: "the node to run, validator-<i>", Required: true, EnvVars: []string{"DEVNET_NODE"}}},
		Action: func(c *cli.Context) error {
			bin, err := validatorBinary(c)
			if err != nil {
				return err
			}
			l, err := layout(c)
			if err != nil {
				return err
			}
			cfg, err := devnet.LoadConfig(l)
			if err != nil {
				return fmt.Errorf("%w (run \"devnet generate\" first)", err)
			}
			name := c.String("name")
			i, err := strconv.Atoi(strings.TrimPrefix(name, "validator-"))
			if err != nil || devnet.NodeName(i) != name {
				return fmt.Errorf("--name %q: want validator-<i>", name)
			}
			args, err := devnet.RunArgs(l, cfg, i)
			if err != nil {
				return err
			}
			argv := append([]string{bin}, args...)
			if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
				return fmt.Errorf("exec %s: %w", bin, err)
			}
			return nil
		},
	}
}
