package main

import (
	"context"
	"fmt"
	"time"

	"github.com/bilayer/bilayer/keyfile"
	"github.com/bilayer/bilayer/p2p/libp2p"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/urfave/cli/v2"
)

func healthCommand() *cli.Command {
	return &cli.Command{
		Name:  "healthcheck",
		Usage: "exit 0 if the node at --rpc answers and has committed a block (for container health checks)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "rpc", Usage: "node JSON-RPC URL", Value: "http://127.0.0.1:8545", EnvVars: []string{"BILAYER_RPC"}},
			&cli.DurationFlag{Name: "timeout", Usage: "how long to wait for the answer", Value: 3 * time.Second},
		},
		Action: func(c *cli.Context) error {
			ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
			defer cancel()
			client, err := ethclient.DialContext(ctx, c.String("rpc"))
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			defer client.Close()
			n, err := client.BlockNumber(ctx)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("unhealthy: no block committed yet")
			}
			fmt.Printf("healthy: head %d\n", n)
			return nil
		},
	}
}

func peerIDCommand() *cli.Command {
	return &cli.Command{
		Name:  "peer-id",
		Usage: "print the p2p peer id of the data directory's node key (for bootnode addresses)",
		Flags: []cli.Flag{datadirFlag, passwordFileFlag},
		Action: func(c *cli.Context) error {
			pw, err := readPassword(c)
			if err != nil {
				return err
			}
			key, err := keyfile.Load(datadirPath(c, keystoreDir, nodeKeyFile), pw)
			if err != nil {
				return err
			}
			id, err := libp2p.PeerIDOf(key)
			if err != nil {
				return err
			}
			fmt.Println(id)
			return nil
		},
	}
}
