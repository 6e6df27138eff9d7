package main

import (
	"fmt"

	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"
)

// balanceResult is balance's JSON output.
type balanceResult struct {
	Address common.Address `json:"address"`
	Layer   string         `json:"layer"`
	Wei     string         `json:"wei"`
	Eth     string         `json:"eth"`
}

// balance prints the balance of the address argument, or of the signing
// account.
func (e *env) balance(c *cli.Context) error {
	var addr common.Address
	switch c.NArg() {
	case 0:
		a, err := e.signingAccount(c)
		if err != nil {
			return err
		}
		addr = a.address
	case 1:
		s := c.Args().First()
		if !common.IsHexAddress(s) {
			return fmt.Errorf("%q is not an address: want 0x followed by 40 hex digits", s)
		}
		addr = common.HexToAddress(s)
	default:
		return usageError(c, "wallet balance [ADDRESS]")
	}
	client, err := e.dial(c)
	if err != nil {
		return err
	}
	defer client.Close()
	bal, err := client.Balance(c.Context, addr)
	if err != nil {
		return err
	}
	res := balanceResult{Address: addr, Layer: at(c, flagLayer).String(flagLayer), Wei: bal.String(), Eth: wallet.EtherDecimal(bal)}
	return e.print(c, res, fmt.Sprintf("%s: %s\n", addr, wallet.FormatEther(bal)))
}
