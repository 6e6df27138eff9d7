package bridge

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// Calldata and decoders of the forced operations, the payout and the
// totals, for JSON-RPC clients (the wallet, the L2 RPC) and for the
// rollup contract's internal call.

// selectorOf returns a fresh copy of method's 4-byte selector.
func selectorOf(method string) []byte { return append([]byte{}, parsedABI.Methods[method].ID...) }

// PackForceWithdrawal returns the calldata of forceWithdrawal(amount): a
// forced withdrawal of amount wei from the sender's L2 account to the
// sender on L1. The transaction carries no value.
func PackForceWithdrawal(amount *uint256.Int) []byte {
	w := amount.Bytes32()
	return append(selectorOf("forceWithdrawal"), w[:]...)
}

// PackForceTransfer returns the calldata of forceTransfer(to, amount): a
// forced transfer of amount wei from the sender's L2 account to the L2
// account to. The transaction carries no value.
func PackForceTransfer(to common.Address, amount *uint256.Int) []byte {
	t, w := common.BytesToHash(to[:]), amount.Bytes32()
	return append(append(selectorOf("forceTransfer"), t[:]...), w[:]...)
}

// PackPayWithdrawal returns the calldata of payWithdrawal(nonce, to,
// amount), which only the configured payer (the rollup contract) may send.
func PackPayWithdrawal(nonce uint64, to common.Address, amount *uint256.Int) []byte {
	n, t, w := uint64Word(nonce), common.BytesToHash(to[:]), amount.Bytes32()
	out := selectorOf("payWithdrawal")
	for _, word := range []common.Hash{n, t, w} {
		out = append(out, word[:]...)
	}
	return out
}

// PackTotalDeposited returns the calldata of totalDeposited().
func PackTotalDeposited() []byte { return selectorOf("totalDeposited") }

// PackTotalWithdrawn returns the calldata of totalWithdrawn().
func PackTotalWithdrawn() []byte { return selectorOf("totalWithdrawn") }

// unpackAmount decodes the single uint256 result of method.
func unpackAmount(method string, ret []byte) (*big.Int, error) {
	out, err := parsedABI.Methods[method].Outputs.Unpack(ret)
	if err != nil {
		return nil, fmt.Errorf("%w: %s result: %w", ErrBadResponse, method, err)
	}
	v, ok := out[0].(*big.Int)
	if !ok {
		return nil, fmt.Errorf("%w: %s result is not a uint256", ErrBadResponse, method)
	}
	return v, nil
}

// UnpackTotalDeposited decodes the result of totalDeposited().
func UnpackTotalDeposited(ret []byte) (*big.Int, error) { return unpackAmount("totalDeposited", ret) }

// UnpackTotalWithdrawn decodes the result of totalWithdrawn().
func UnpackTotalWithdrawn(ret []byte) (*big.Int, error) { return unpackAmount("totalWithdrawn", ret) }

// ParseOperation decodes a log of any bridge operation (Deposit,
// ForceWithdrawal or ForceTransfer) into the operation it recorded.
func ParseOperation(log *types.Log) (block.Operation, error) {
	if log != nil && len(log.Topics) > 0 {
		for kind, name := range operationEvents {
			if log.Topics[0] == parsedABI.Events[name].ID {
				return parseOperationLog(log, kind)
			}
		}
	}
	return block.Operation{}, fmt.Errorf("%w: log is not a bridge operation", ErrBadResponse)
}

// WithdrawalPaid is a decoded WithdrawalPaid log: the bridge paid Amount
// wei to To for the L2 withdrawal Nonce.
type WithdrawalPaid struct {
	Nonce  uint64
	To     common.Address
	Amount *big.Int
	// L1Block is the L1 block of the log (the block whose end-of-block
	// hook paid).
	L1Block block.L1Number
}

// WithdrawalPaidTopic is the topic of WithdrawalPaid logs, for filters
// (the second topic is the nonce, the third the recipient).
func WithdrawalPaidTopic() common.Hash { return parsedABI.Events["WithdrawalPaid"].ID }

// ParseWithdrawalPaid decodes a WithdrawalPaid log of the bridge.
func ParseWithdrawalPaid(log *types.Log) (WithdrawalPaid, error) {
	ev := parsedABI.Events["WithdrawalPaid"]
	if log == nil || log.Address != Address || len(log.Topics) != 3 || log.Topics[0] != ev.ID {
		return WithdrawalPaid{}, fmt.Errorf("%w: log is not a bridge WithdrawalPaid", ErrBadResponse)
	}
	nonceTopic := log.Topics[1]
	if common.BytesToHash(nonceTopic[:24]) != (common.Hash{}) {
		return WithdrawalPaid{}, fmt.Errorf("%w: WithdrawalPaid nonce topic %s is not a uint64", ErrBadResponse, nonceTopic)
	}
	data, err := ev.Inputs.NonIndexed().Unpack(log.Data)
	if err != nil {
		return WithdrawalPaid{}, fmt.Errorf("%w: WithdrawalPaid data: %w", ErrBadResponse, err)
	}
	amount, ok := data[0].(*big.Int)
	if !ok {
		return WithdrawalPaid{}, fmt.Errorf("%w: WithdrawalPaid amount is a %T", ErrBadResponse, data[0])
	}
	return WithdrawalPaid{
		Nonce: binary.BigEndian.Uint64(nonceTopic[24:]), To: common.BytesToAddress(log.Topics[2][12:]),
		Amount: amount, L1Block: block.L1Number(log.BlockNumber),
	}, nil
}
