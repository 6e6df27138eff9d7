package bridge

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// PayWithdrawalGas is the fixed cost of payWithdrawal: the caller check
// and two storage reads. Its state effects (the paid total, the transfer
// and the WithdrawalPaid log) are metered on top: the rollup contract
// calls it from its end-of-block hook through syscontract's internal
// call, which meters a callee's effects.
const PayWithdrawalGas = 5_000

// Errors of payWithdrawal; a call failing with one reverts with its text.
var (
	// ErrNotPayer means payWithdrawal was called by another account than
	// the configured payer (the rollup contract).
	ErrNotPayer = errors.New("bridge: only the rollup contract pays withdrawals")
	// ErrPayout means the bridge could not pay a withdrawal (its balance
	// is below the amount: the invariant is broken). Nothing was paid.
	ErrPayout = errors.New("bridge: withdrawal not paid")
)

// payWithdrawal pays amount wei out of the bridge's balance to to, for the
// L2 withdrawal nonce, on behalf of the rollup contract (the only caller
// allowed): the rollup contract decides what is paid and when (once, after
// the withdrawal's batch finalized); the bridge holds the money. A
// withdrawal to the bridge itself burns the amount, so the bridge's
// balance still drops by exactly what the L2 burned. It adds the amount to
// the paid total and emits WithdrawalPaid. The whole amount or nothing.
func (c *Contract) payWithdrawal(ctx *syscontract.Context, args []any) ([]any, error) {
	nonce, to, amountBig := args[0].(uint64), args[1].(common.Address), args[2].(*big.Int)
	if who := ctx.Caller(); who != c.cfg.Payer || who == (common.Address{}) {
		return nil, fmt.Errorf("%w: caller %s", ErrNotPayer, who)
	}
	amount, _ := uint256.FromBig(amountBig) // an ABI uint256
	var err error
	if to == Address {
		err = ctx.Burn(amount)
	} else {
		err = ctx.Transfer(to, amount)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: nonce %d, %s wei to %s: %w", ErrPayout, nonce, amount, to, err)
	}
	total := ctx.GetUint256(slotTotalWithdrawn)
	total.Add(total, amount)
	if err := ctx.SetUint256(slotTotalWithdrawn, total); err != nil {
		return nil, err
	}
	return nil, ctx.Emit("WithdrawalPaid", nonce, to, amountBig)
}

func (c *Contract) viewTotalWithdrawn(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{ctx.GetUint256(slotTotalWithdrawn).ToBig()}, nil
}

// TotalWithdrawn returns the wei the bridge has paid out for L2
// withdrawals since genesis, from its storage in st.
func TotalWithdrawn(st StateReader) *big.Int {
	return new(big.Int).SetBytes(st.GetState(Address, slotTotalWithdrawn).Bytes())
}
