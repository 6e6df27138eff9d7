package main

import (
	"fmt"
	"time"

	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"
)

// transfer sends --amount to --to, waits for the receipt and prints it.
func (e *env) transfer(c *cli.Context) error {
	to := c.String("to")
	if !common.IsHexAddress(to) {
		return fmt.Errorf("--to %q is not an address: want 0x followed by 40 hex digits", to)
	}
	value, err := wallet.ParseEther(c.String("amount"))
	if err != nil {
		return fmt.Errorf("--amount: %w", err)
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
	plan, err := client.PlanTransfer(c.Context, from.address, common.HexToAddress(to), value)
	if err != nil {
		return err
	}
	return e.signSendWait(c, client, from, plan)
}

// signSendWait unlocks the sender, signs and sends the planned transaction,
// waits for its receipt and prints it.
func (e *env) signSendWait(c *cli.Context, client *wallet.Client, from account, plan *wallet.TransferPlan) error {
	sum, _, err := e.sendAndWait(c, client, from, plan, at(c, flagTimeout).Duration(flagTimeout))
	if err != nil {
		return err
	}
	if err := e.print(c, sum, sum.Text()); err != nil {
		return err
	}
	if !sum.Succeeded() {
		return fmt.Errorf("transaction %s failed in block %d: no value moved, the fee was paid; see `wallet tx %s`", sum.Hash, sum.Receipt.BlockNumber, sum.Hash)
	}
	return nil
}

// sendAndWait unlocks the sender, signs and sends the planned transaction
// and waits up to timeout for its receipt, reporting progress on a
// terminal's stderr. It returns the summary (with the L2's L1 data fee)
// and the receipt, failed or not.
func (e *env) sendAndWait(c *cli.Context, client *wallet.Client, from account, plan *wallet.TransferPlan, timeout time.Duration) (*wallet.TxSummary, *wallet.Receipt, error) {
	signer, err := from.unlock()
	if err != nil {
		return nil, nil, err
	}
	tx, err := plan.Sign(signer)
	if err != nil {
		return nil, nil, err
	}
	if err := client.Send(c.Context, tx); err != nil {
		return nil, nil, err
	}
	opts := wallet.WaitOptions{Timeout: timeout}
	if isTerminal(e.io.err) {
		fmt.Fprintf(e.io.err, "sent %s from %s (chain id %s)\n", tx.Hash(), signer.Source, plan.ChainID)
		opts.Progress = func(waited time.Duration) {
			fmt.Fprintf(e.io.err, "waiting for inclusion... %s (%s left)\n", waited, max(timeout-waited, 0))
		}
	}
	r, err := client.WaitReceipt(c.Context, tx.Hash(), opts)
	if err != nil {
		return nil, nil, err
	}
	sum, err := client.Receipted(c.Context, tx, from.address, r)
	if err != nil {
		return nil, nil, err
	}
	return sum, r, nil
}
