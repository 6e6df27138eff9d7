package main

import (
	"fmt"
	"time"

	"github.com/bilayer/bilayer/devnet"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/urfave/cli/v2"
)

func generateCommand() *cli.Command {
	return &cli.Command{
		Name:  "generate",
		Usage: "generate a devnet's keys, genesis and data directories without starting it (the docker-compose one-shot)",
		Description: `With --docker the nodes will run in containers named validator-0, validator-1, ... and
sequencer on one network: they listen on 0.0.0.0 at the base ports and find each other by host
name. Run each with "devnet node --name validator-<i>" (or --name sequencer). If --datadir
already holds a devnet, nothing changes.`,
		Flags: []cli.Flag{datadirFlag, validatorsFlag, portOffsetFlag, binDirFlag,
			&cli.BoolFlag{Name: "docker", Usage: "generate for containers addressed by host name", EnvVars: []string{"DEVNET_DOCKER"}},
			&cli.IntFlag{Name: "prefund", Usage: fmt.Sprintf("fund this many more accounts at genesis (1 ETH each, at addresses devnet.PrefundAddresses derives; at most %d), so the L1 state starts that large: bench --l1-prefund uses it", devnet.MaxPrefund)}},
		Action: func(c *cli.Context) error {
			bin, err := validatorBinary(c)
			if err != nil {
				return err
			}
			l, err := layout(c)
			if err != nil {
				return err
			}
			mode := devnet.ModeLocal
			if c.Bool("docker") {
				mode = devnet.ModeDocker
			}
			cfg, created, err := devnet.Generate(c.Context, devnet.GenerateOptions{
				Layout: l, Validators: c.Int(validatorsFlag.Name), PortOffset: c.Int(portOffsetFlag.Name), Mode: mode,
				ValidatorBin: bin, Now: time.Now, NewKey: crypto.GenerateKey, NewPassword: randomPassword, Prefund: c.Int("prefund"),
			})
			if err != nil {
				return err
			}
			if !created {
				fmt.Printf("devnet: %s already holds a %d-validator %s devnet; left as it is\n", l.Dir, cfg.Validators, cfg.Mode)
				return nil
			}
			fmt.Printf("devnet: generated a %d-validator %s devnet (chain id %d) in %s\n", cfg.Validators, cfg.Mode, cfg.ChainID, l.Dir)
			for _, n := range cfg.Nodes {
				fmt.Printf("  %-12s validator %s  peer %s\n", n.Name, n.Validator, n.PeerID)
			}
			if s := cfg.Sequencer; s != nil {
				fmt.Printf("  %-12s address   %s  key %s\n", devnet.SequencerName, s.Address, s.Keystore)
			}
			return nil
		},
	}
}
