package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// ErrBadResponse means data from a JSON-RPC node (an eth_call result, a
// log) is not what the bridge returns or emits.
var ErrBadResponse = errors.New("malformed bridge data")

// abiOperationWords is the size of one encoded operation tuple in 32-byte
// words.
const abiOperationWords = 6

// callWithWord returns the calldata of a method whose only input is one
// static word (a uint64 or an address, both right-aligned).
func callWithWord(method string, word common.Hash) []byte {
	return append(append([]byte{}, parsedABI.Methods[method].ID...), word[:]...)
}

func uint64Word(n uint64) common.Hash {
	var w common.Hash
	binary.BigEndian.PutUint64(w[24:], n)
	return w
}

// PackOperationsCall returns the calldata of operations(l1Block), for an
// eth_call to Address at (or after) that L1 block.
func PackOperationsCall(l1Block block.L1Number) []byte {
	return callWithWord("operations", uint64Word(uint64(l1Block)))
}

// PackOperationCountCall returns the calldata of operationCount(l1Block).
func PackOperationCountCall(l1Block block.L1Number) []byte {
	return callWithWord("operationCount", uint64Word(uint64(l1Block)))
}

// PackDeposit returns the calldata of deposit(l2Recipient); the amount is
// the transaction's value.
func PackDeposit(l2Recipient common.Address) []byte {
	return callWithWord("deposit", common.BytesToHash(l2Recipient[:]))
}

// UnpackOperations decodes the result of operations(l1Block) and checks it:
// at most MaxOperationsPerBlock well-formed operations of one L1 block,
// numbered from 0.
func UnpackOperations(ret []byte) ([]block.Operation, error) {
	if maxLen := (2 + MaxOperationsPerBlock*abiOperationWords) * 32; len(ret) > maxLen {
		return nil, fmt.Errorf("%w: operations result of %d bytes, at most %d", ErrBadResponse, len(ret), maxLen)
	}
	out, err := parsedABI.Methods["operations"].Outputs.Unpack(ret)
	if err != nil {
		return nil, fmt.Errorf("%w: operations result: %w", ErrBadResponse, err)
	}
	tuples, ok := abi.ConvertType(out[0], new([]abiOperation)).(*[]abiOperation)
	if !ok {
		return nil, fmt.Errorf("%w: operations result is not a list of operations", ErrBadResponse)
	}
	if len(*tuples) > MaxOperationsPerBlock {
		return nil, fmt.Errorf("%w: %d operations, at most %d", ErrBadResponse, len(*tuples), MaxOperationsPerBlock)
	}
	ops := make([]block.Operation, len(*tuples))
	for i, t := range *tuples {
		ops[i] = fromABI(t)
		if err := ops[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: operation %d: %w", ErrBadResponse, i, err)
		}
		if ops[i].Index != uint64(i) || ops[i].L1Block != ops[0].L1Block {
			return nil, fmt.Errorf("%w: operation %d is numbered %d/%d", ErrBadResponse, i, ops[i].L1Block, ops[i].Index)
		}
	}
	return ops, nil
}

// UnpackOperationCount decodes the result of operationCount(l1Block).
func UnpackOperationCount(ret []byte) (uint64, error) {
	out, err := parsedABI.Methods["operationCount"].Outputs.Unpack(ret)
	if err != nil {
		return 0, fmt.Errorf("%w: operationCount result: %w", ErrBadResponse, err)
	}
	n, ok := out[0].(uint64)
	if !ok {
		return 0, fmt.Errorf("%w: operationCount result is not a uint64", ErrBadResponse)
	}
	return n, nil
}

// ParseDeposit decodes a Deposit log of the bridge into the operation it
// recorded.
func ParseDeposit(log *types.Log) (block.Operation, error) {
	return parseOperationLog(log, block.OpDeposit)
}

// operationEvents names the event each operation kind emits.
var operationEvents = map[block.OpKind]string{
	block.OpDeposit:         "Deposit",
	block.OpForceWithdrawal: forceWithdrawalEvent,
	block.OpForceTransfer:   forceTransferEvent,
}

// parseOperationLog decodes the log of an operation of kind: all three
// events have the inputs (from indexed, to indexed, amount, l1Block,
// index).
func parseOperationLog(log *types.Log, kind block.OpKind) (block.Operation, error) {
	name := operationEvents[kind]
	ev := parsedABI.Events[name]
	if log == nil || log.Address != Address || len(log.Topics) != 3 || log.Topics[0] != ev.ID {
		return block.Operation{}, fmt.Errorf("%w: log is not a bridge %s", ErrBadResponse, name)
	}
	data, err := ev.Inputs.NonIndexed().Unpack(log.Data)
	if err != nil {
		return block.Operation{}, fmt.Errorf("%w: %s data: %w", ErrBadResponse, name, err)
	}
	amount, ok1 := data[0].(*big.Int)
	l1Block, ok2 := data[1].(uint64)
	index, ok3 := data[2].(uint64)
	if !ok1 || !ok2 || !ok3 {
		return block.Operation{}, fmt.Errorf("%w: %s data has the wrong types", ErrBadResponse, name)
	}
	op := block.Operation{
		Kind: kind, L1Block: block.L1Number(l1Block), Index: index,
		From: common.BytesToAddress(log.Topics[1][12:]), To: common.BytesToAddress(log.Topics[2][12:]), Amount: amount,
	}
	if err := op.Validate(); err != nil {
		return block.Operation{}, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	return op, nil
}
