package withdrawalqueue

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
)

//go:embed withdrawal_queue.json
var queueABI string

// Address is the withdrawal queue's fixed L2 address.
var Address = bridge.WithdrawalQueueAddress

// Gas costs of the methods, on top of the intrinsic gas.
const (
	// InitiateGas covers two storage writes (count, total), the burn and
	// the WithdrawalInitiated log.
	InitiateGas = 30_000
	// ViewGas is the cost of a view method.
	ViewGas = 2_000
)

// Revert reasons a user may see.
const (
	reasonNoValue     = "withdrawal queue: withdrawal of 0 wei: send the amount to withdraw as the transaction value"
	reasonNoRecipient = "withdrawal queue: withdrawal to the zero address: name the L1 recipient (your own address to withdraw to yourself)"
	reasonSystem      = "withdrawal queue: withdrawal to %s, an L1 system contract or precompile, would be lost: name an account you control"
)

// systemRange bounds the addresses that hold L1 system contracts and
// precompiles (0x…0001 to 0x…ffff): none can use a withdrawal.
var systemRange = common.BigToAddress(big.NewInt(0x10000))

// ReservedRecipient reports whether to cannot receive a withdrawal: the
// zero address, an L1 system contract or a precompile (below 0x…010000).
// The queue refuses such a withdrawal; the rollup contract refuses a batch
// that carries one (no honest L2 block can).
func ReservedRecipient(to common.Address) bool {
	return bytes.Compare(to[:], systemRange[:]) < 0
}

// ErrBadLog means a log of the queue's address does not decode as a
// WithdrawalInitiated event.
var ErrBadLog = errors.New("withdrawal queue: malformed log")

// Storage slots (doc.go describes the layout).
var (
	slotCount = syscontract.Slot(0)
	slotTotal = syscontract.Slot(1)
)

var parsedABI = mustParseABI()

func mustParseABI() *abi.ABI {
	a, err := syscontract.ParseABI(queueABI)
	if err != nil {
		panic(fmt.Sprintf("withdrawalqueue: embedded withdrawal_queue.json: %v", err))
	}
	return a
}

// ABI returns the queue's Solidity ABI (shared; do not modify it).
func ABI() *abi.ABI { return parsedABI }

// Contract is the L2 withdrawal queue system contract.
type Contract struct{}

// New returns the withdrawal queue.
func New() *Contract { return &Contract{} }

var _ syscontract.Contract = (*Contract)(nil)

// Address implements syscontract.Contract.
func (c *Contract) Address() common.Address { return Address }

// ABI implements syscontract.Contract.
func (c *Contract) ABI() *abi.ABI { return parsedABI }

// MaxCallDataSize implements syscontract.Contract: the default.
func (c *Contract) MaxCallDataSize() uint64 { return 0 }

// Methods implements syscontract.Contract.
func (c *Contract) Methods() map[string]syscontract.Method {
	return map[string]syscontract.Method{
		"initiateWithdrawal": {Gas: InitiateGas, Handler: c.initiate},
		"withdrawalCount":    {Gas: ViewGas, Handler: c.viewCount},
		"totalWithdrawn":     {Gas: ViewGas, Handler: c.viewTotal},
	}
}

// initiate burns the call's value and records it as the next withdrawal.
func (c *Contract) initiate(ctx *syscontract.Context, args []any) ([]any, error) {
	to, _ := args[0].(common.Address)
	value := ctx.Value()
	switch {
	case value.IsZero():
		return nil, ctx.Revert(reasonNoValue)
	case to == (common.Address{}):
		return nil, ctx.Revert(reasonNoRecipient)
	case ReservedRecipient(to):
		return nil, ctx.Revert(reasonSystem, to)
	}
	if err := ctx.Burn(value); err != nil {
		return nil, err
	}
	nonce := ctx.GetUint256(slotCount).Uint64()
	if err := ctx.SetUint256(slotCount, uint256.NewInt(nonce+1)); err != nil {
		return nil, err
	}
	total := ctx.GetUint256(slotTotal)
	if err := ctx.SetUint256(slotTotal, total.Add(total, value)); err != nil {
		return nil, err
	}
	if err := ctx.Emit("WithdrawalInitiated", nonce, ctx.Caller(), to, value.ToBig()); err != nil {
		return nil, err
	}
	return []any{nonce}, nil
}

func (c *Contract) viewCount(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{ctx.GetUint256(slotCount).Uint64()}, nil
}

func (c *Contract) viewTotal(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{ctx.GetUint256(slotTotal).ToBig()}, nil
}

// InitiateCallData returns the calldata of initiateWithdrawal(l1Recipient):
// what a wallet sends, and what a forced withdrawal runs on L2.
func (c *Contract) InitiateCallData(l1Recipient common.Address) []byte {
	return PackInitiate(l1Recipient)
}

// PackInitiate returns the calldata of initiateWithdrawal(l1Recipient).
func PackInitiate(l1Recipient common.Address) []byte {
	data, err := parsedABI.Pack("initiateWithdrawal", l1Recipient)
	if err != nil {
		panic(fmt.Sprintf("withdrawalqueue: pack initiateWithdrawal: %v", err)) // an address always packs
	}
	return data
}

// InitiatedTopic is the topic of WithdrawalInitiated logs, for filters.
func InitiatedTopic() common.Hash { return parsedABI.Events["WithdrawalInitiated"].ID }

// Withdrawals implements execution.WithdrawalQueue: it decodes the
// withdrawals the queue's logs record, in log order, ignoring every other
// log.
func (c *Contract) Withdrawals(logs []*types.Log) ([]block.Withdrawal, error) {
	var out []block.Withdrawal
	for _, l := range logs {
		if l.Address != Address {
			continue
		}
		w, err := ParseInitiated(l)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// ParseInitiated decodes a WithdrawalInitiated log of the queue.
func ParseInitiated(l *types.Log) (block.Withdrawal, error) {
	ev := parsedABI.Events["WithdrawalInitiated"]
	if l == nil || l.Address != Address || len(l.Topics) != 4 || l.Topics[0] != ev.ID {
		return block.Withdrawal{}, fmt.Errorf("%w: not a WithdrawalInitiated log", ErrBadLog)
	}
	n, from, to := l.Topics[1], l.Topics[2], l.Topics[3]
	if common.BytesToHash(n[:24]) != (common.Hash{}) || common.BytesToHash(from[:12]) != (common.Hash{}) || common.BytesToHash(to[:12]) != (common.Hash{}) {
		return block.Withdrawal{}, fmt.Errorf("%w: topics are not a uint64 and two addresses", ErrBadLog)
	}
	data, err := ev.Inputs.NonIndexed().Unpack(l.Data)
	if err != nil {
		return block.Withdrawal{}, fmt.Errorf("%w: data: %w", ErrBadLog, err)
	}
	amount, ok := data[0].(*big.Int)
	if !ok {
		return block.Withdrawal{}, fmt.Errorf("%w: amount is %T, not a uint256", ErrBadLog, data[0])
	}
	return block.Withdrawal{Nonce: binary.BigEndian.Uint64(n[24:]), From: common.BytesToAddress(from[12:]),
		To: common.BytesToAddress(to[12:]), Amount: amount}, nil
}

// PackTotalWithdrawn returns the calldata of totalWithdrawn().
func PackTotalWithdrawn() []byte { return append([]byte{}, parsedABI.Methods["totalWithdrawn"].ID...) }

// UnpackTotalWithdrawn decodes the result of totalWithdrawn(): every wei
// ever withdrawn from the L2.
func UnpackTotalWithdrawn(ret []byte) (*big.Int, error) {
	out, err := parsedABI.Unpack("totalWithdrawn", ret)
	if err != nil {
		return nil, fmt.Errorf("withdrawal queue: totalWithdrawn result: %w", err)
	}
	v, ok := out[0].(*big.Int)
	if !ok {
		return nil, fmt.Errorf("withdrawal queue: totalWithdrawn result is %T", out[0])
	}
	return v, nil
}

// PackWithdrawalCount returns the calldata of withdrawalCount().
func PackWithdrawalCount() []byte {
	return append([]byte{}, parsedABI.Methods["withdrawalCount"].ID...)
}

// UnpackWithdrawalCount decodes the result of withdrawalCount(): the next
// withdrawal nonce.
func UnpackWithdrawalCount(ret []byte) (uint64, error) {
	out, err := parsedABI.Unpack("withdrawalCount", ret)
	if err != nil {
		return 0, fmt.Errorf("withdrawal queue: withdrawalCount result: %w", err)
	}
	v, ok := out[0].(uint64)
	if !ok {
		return 0, fmt.Errorf("withdrawal queue: withdrawalCount result is %T", out[0])
	}
	return v, nil
}
