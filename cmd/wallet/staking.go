package main

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"
)

// stakingCommands are the L1 staking commands.
func (e *env) stakingCommands() []*cli.Command {
	amount := func(usage string) cli.Flag {
		return &cli.StringFlag{Name: "amount", Required: true, Usage: usage}
	}
	return []*cli.Command{
		{Name: "stake", Usage: "bond stake with the staking contract: you validate from the next epoch (L1)",
			Flags:  []cli.Flag{amount("`AMOUNT` of ether to bond (the total must reach the genesis minimum, 100 ETH on the devnet)")},
			Action: func(c *cli.Context) error { return e.stakingCall(c, "stake", true) }},
		{Name: "unstake", Usage: "start unbonding stake: your power drops at the next epoch; withdraw once you have left the active set and the unbonding period has passed since (L1)",
			Flags:  []cli.Flag{amount("`AMOUNT` of ether to unbond (what remains must be 0 or at least the minimum)")},
			Action: func(c *cli.Context) error { return e.stakingCall(c, "unstake", false) }},
		{Name: "withdraw-stake", Usage: "pay out unbonded stake once you have left the active set and its unbonding period has passed since then (L1)",
			Action: func(c *cli.Context) error { return e.stakingCall(c, "withdraw", false) }},
		{Name: "validators", Usage: "list the active validator set and the set the next epoch would bring (L1)",
			Action: e.validators},
	}
}

// stakingCall sends a call to the staking contract and waits for it.
func (e *env) stakingCall(c *cli.Context, method string, payable bool) error {
	contract, err := staking.ParseABI()
	if err != nil {
		return err
	}
	var args []any
	value := new(big.Int)
	if c.IsSet("amount") {
		amt, err := wallet.ParseEther(c.String("amount"))
		if err != nil {
			return fmt.Errorf("--amount: %w", err)
		}
		if payable {
			value = amt
		} else {
			args = append(args, amt)
		}
	}
	data, err := contract.Pack(method, args...)
	if err != nil {
		return fmt.Errorf("encode %s: %w", method, err)
	}
	from, err := e.signingAccount(c)
	if err != nil {
		return err
	}
	client, err := e.dial(c)
	if err != nil {
		return err
	}
	defer client.Close()
	plan, err := client.PlanCall(c.Context, from.address, staking.Address, value, data)
	if err != nil {
		return err
	}
	return e.signSendWait(c, client, from, plan)
}

// validatorRow is one line of the validators output.
type validatorRow struct {
	Address common.Address `json:"address"`
	Power   uint64         `json:"votingPower"`
}

// validators prints the active and pending sets read from the contract.
func (e *env) validators(c *cli.Context) error {
	contract, err := staking.ParseABI()
	if err != nil {
		return err
	}
	client, err := e.dial(c)
	if err != nil {
		return err
	}
	defer client.Close()
	read := func(method string) ([]validatorRow, error) {
		data, err := contract.Pack(method)
		if err != nil {
			return nil, err
		}
		out, err := client.Call(c.Context, staking.Address, data)
		if err != nil {
			return nil, err
		}
		vals, err := contract.Unpack(method, out)
		if err != nil {
			return nil, fmt.Errorf("decode %s: %w", method, err)
		}
		addrs, powers := vals[0].([]common.Address), vals[1].([]*big.Int)
		rows := make([]validatorRow, len(addrs))
		for i := range addrs {
			rows[i] = validatorRow{Address: addrs[i], Power: powers[i].Uint64()}
		}
		return rows, nil
	}
	active, err := read("validators")
	if err != nil {
		return err
	}
	pending, err := read("pendingValidators")
	if err != nil {
		return err
	}
	var b strings.Builder
	table := func(title string, rows []validatorRow) {
		var total uint64
		for _, r := range rows {
			total += r.Power
		}
		fmt.Fprintf(&b, "%s (%d validators, total power %d):\n", title, len(rows), total)
		for _, r := range rows {
			fmt.Fprintf(&b, "  %s  power %d\n", r.Address, r.Power)
		}
	}
	table("active", active)
	table("next epoch", pending)
	return e.print(c, map[string]any{"active": active, "pending": pending}, b.String())
}
