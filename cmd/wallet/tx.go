package main

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/urfave/cli/v2"
)

// tx prints a transaction and its receipt, or that it is pending.
func (e *env) tx(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError(c, "wallet tx HASH")
	}
	raw, err := hexutil.Decode(c.Args().First())
	if err != nil || len(raw) != common.HashLength {
		return fmt.Errorf("%q is not a transaction hash: want 0x followed by 64 hex digits", c.Args().First())
	}
	client, err := e.dial(c)
	if err != nil {
		return err
	}
	defer client.Close()
	sum, err := client.Lookup(c.Context, common.BytesToHash(raw))
	if err != nil {
		return err
	}
	return e.print(c, sum, sum.Text())
}
