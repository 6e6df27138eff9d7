package bridge

import (
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
)

// ForceOperationGas is the cost of forceWithdrawal and forceTransfer: five
// storage writes (the operation's four words and the count) and the log,
// priced as a deposit.
const ForceOperationGas = DepositGas

// Revert reasons of the forced operations.
const (
	reasonForceNoAmount = "bridge: forced %s of 0 wei: name the amount to move from your L2 account"
	reasonForceNoTo     = "bridge: forced transfer to the zero address: name the L2 recipient"
	reasonForceQueue    = "bridge: forced transfer to the L2 withdrawal queue %s would lock the value forever: use forceWithdrawal to withdraw"
)

// Event names of the forced operations, and the words their zero-amount
// reason uses.
const (
	forceWithdrawalEvent = "ForceWithdrawal"
	forceTransferEvent   = "ForceTransfer"
	forceWithdrawalNoun  = "withdrawal"
	forceTransferNoun    = "transfer"
)

// forceWithdrawal records a forced withdrawal of amount wei from the
// caller's L2 account to the caller on L1 (the same key owns both). The
// first L2 block whose origin reaches this L1 block applies it like a
// deposit: it burns the amount on L2 and queues the withdrawal, or, if the
// L2 balance cannot cover it, records it as failed. Nothing moves on L1.
func (c *Contract) forceWithdrawal(ctx *syscontract.Context, args []any) ([]any, error) {
	amount := args[0].(*big.Int)
	if amount.Sign() == 0 {
		return nil, ctx.Revert(reasonForceNoAmount, forceWithdrawalNoun)
	}
	who := ctx.Caller()
	return nil, c.force(ctx, block.Operation{Kind: block.OpForceWithdrawal, From: who, To: who, Amount: amount}, forceWithdrawalEvent)
}

// forceTransfer records a forced transfer of amount wei from the caller's
// L2 account to the L2 account to, applied on L2 like a deposit (failed if
// the caller's L2 balance cannot cover it): an L2 transfer the sequencer
// cannot censor.
func (c *Contract) forceTransfer(ctx *syscontract.Context, args []any) ([]any, error) {
	to, amount := args[0].(common.Address), args[1].(*big.Int)
	switch {
	case amount.Sign() == 0:
		return nil, ctx.Revert(reasonForceNoAmount, forceTransferNoun)
	case to == (common.Address{}):
		return nil, ctx.Revert(reasonForceNoTo)
	case to == WithdrawalQueueAddress:
		return nil, ctx.Revert(reasonForceQueue, WithdrawalQueueAddress)
	}
	return nil, c.force(ctx, block.Operation{Kind: block.OpForceTransfer, From: ctx.Caller(), To: to, Amount: amount}, forceTransferEvent)
}

// force records op as the next operation of this L1 block, exactly as a
// deposit is recorded (so derivation reads it unchanged), and emits event.
func (c *Contract) force(ctx *syscontract.Context, op block.Operation, event string) error {
	op.L1Block = block.L1Number(ctx.Block().Number)
	op.Amount = new(big.Int).Set(op.Amount)
	index, err := appendOperation(ctx, &op)
	if err != nil {
		return err
	}
	return ctx.Emit(event, op.From, op.To, op.Amount, uint64(op.L1Block), index)
}
