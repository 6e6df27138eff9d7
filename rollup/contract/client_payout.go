package contract

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Calldata and decoders of the withdrawal views and events, for JSON-RPC
// clients (the L2 RPC's rollup_withdrawalStatus, the wallet).

// PackPaidWithdrawals returns the calldata of paidWithdrawals().
func PackPaidWithdrawals() []byte { return selector("paidWithdrawals") }

// UnpackPaidWithdrawals decodes the result of paidWithdrawals(): the
// number of withdrawals paid, which is the nonce of the next one to pay.
func UnpackPaidWithdrawals(ret []byte) (uint64, error) { return unpackUint64("paidWithdrawals", ret) }

// PackWithdrawalStatus returns the calldata of withdrawalStatus(nonce).
func PackWithdrawalStatus(nonce uint64) []byte {
	return withWord("withdrawalStatus", u64Word(nonce))
}

// UnpackWithdrawalStatus decodes the result of withdrawalStatus(nonce).
func UnpackWithdrawalStatus(nonce uint64, ret []byte) (WithdrawalInfo, error) {
	const m = "withdrawalStatus"
	out, err := unpack(m, ret)
	if err != nil {
		return WithdrawalInfo{}, err
	}
	status, err1 := as[uint8](m, out[0])
	l2Block, err2 := as[uint64](m, out[1])
	from, err3 := as[common.Address](m, out[2])
	to, err4 := as[common.Address](m, out[3])
	amount, err5 := as[*big.Int](m, out[4])
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return WithdrawalInfo{}, err
	}
	if WithdrawalStatus(status) > WithdrawalPaid {
		return WithdrawalInfo{}, fmt.Errorf("%w: withdrawal status %d", ErrBadResponse, status)
	}
	return WithdrawalInfo{Status: WithdrawalStatus(status), StoredWithdrawal: StoredWithdrawal{L2Block: block.L2Number(l2Block),
		Withdrawal: protocol.Withdrawal{Nonce: nonce, From: from, To: to, Amount: amount}}}, nil
}

// WithdrawalPayoutHalted is a decoded WithdrawalPayoutHalted log: payouts
// stopped at withdrawal Nonce (Amount wei; the bridge held BridgeBalance)
// for Reason, and resume when it can be paid.
type WithdrawalPayoutHalted struct {
	Nonce         uint64
	Amount        *big.Int
	BridgeBalance *big.Int
	Reason        string
	// L1Block is the L1 block of the log.
	L1Block block.L1Number
}

// WithdrawalPayoutHaltedTopic is the topic of WithdrawalPayoutHalted logs.
func WithdrawalPayoutHaltedTopic() common.Hash { return parsedABI.Events["WithdrawalPayoutHalted"].ID }

// ParseWithdrawalPayoutHalted decodes a WithdrawalPayoutHalted log of the
// contract.
func ParseWithdrawalPayoutHalted(log *types.Log) (WithdrawalPayoutHalted, error) {
	const name = "WithdrawalPayoutHalted"
	nonce, data, err := eventData(log, name)
	if err != nil {
		return WithdrawalPayoutHalted{}, err
	}
	amount, err1 := as[*big.Int](name, data[0])
	balance, err2 := as[*big.Int](name, data[1])
	reason, err3 := as[string](name, data[2])
	if err := errors.Join(err1, err2, err3); err != nil {
		return WithdrawalPayoutHalted{}, err
	}
	return WithdrawalPayoutHalted{Nonce: nonce, Amount: amount, BridgeBalance: balance, Reason: reason,
		L1Block: block.L1Number(log.BlockNumber)}, nil
}
