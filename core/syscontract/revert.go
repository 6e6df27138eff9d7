package syscontract

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrExecutionReverted is wrapped by every *RevertError.
var ErrExecutionReverted = errors.New("execution reverted")

// Call failures the framework itself detects; they arrive wrapped in a
// *RevertError.
var (
	// ErrUnknownMethod means the calldata names no method of the contract.
	ErrUnknownMethod = errors.New("unknown method")
	// ErrNotPayable means value was sent to a method that does not accept it.
	ErrNotPayable = errors.New("method is not payable")
	// ErrBadArguments means the calldata does not decode as the method's inputs.
	ErrBadArguments = errors.New("invalid method arguments")
	// ErrCallerBalance means the caller cannot cover the value of a call.
	ErrCallerBalance = errors.New("caller balance too low for the call value")
	// ErrContractPanic means a contract handler panicked; the call reverts.
	ErrContractPanic = errors.New("system contract internal error")
)

// errorSelector is the 4-byte selector of Solidity's Error(string).
func errorSelector() []byte { return crypto.Keccak256([]byte("Error(string)"))[:4] }

// RevertError is a failed system-contract call. Its Data is the ABI encoding
// of Error(string), the form ethers and ethclient decode into a reason.
// It implements go-ethereum rpc's DataError (code 3, like geth), so the
// JSON-RPC layer can return it unchanged.
type RevertError struct {
	Reason string
	Data   []byte
	cause  error
}

// NewRevertError builds a revert with a human-readable reason.
func NewRevertError(reason string) *RevertError {
	return &RevertError{Reason: reason, Data: encodeReason(reason), cause: ErrExecutionReverted}
}

// revertf builds a revert that also matches sentinel with errors.Is.
func revertf(sentinel error, format string, args ...any) *RevertError {
	reason := sentinel.Error()
	if format != "" {
		reason += ": " + fmt.Sprintf(format, args...)
	}
	r := NewRevertError(reason)
	r.cause = sentinel
	return r
}

func encodeReason(reason string) []byte {
	str, _ := abi.NewType("string", "", nil)
	packed, err := abi.Arguments{{Type: str}}.Pack(reason)
	if err != nil {
		return nil // cannot happen for a string; keep the revert without data
	}
	return append(errorSelector(), packed...)
}

// Error implements error: "execution reverted: <reason>".
func (e *RevertError) Error() string {
	if e.Reason == "" {
		return ErrExecutionReverted.Error()
	}
	return ErrExecutionReverted.Error() + ": " + e.Reason
}

// Is makes errors.Is(err, ErrExecutionReverted) true for every revert.
func (e *RevertError) Is(target error) bool { return target == ErrExecutionReverted }

// Unwrap returns the sentinel describing the cause, if any.
func (e *RevertError) Unwrap() error { return e.cause }

// ErrorCode is the JSON-RPC error code of a revert (3, as geth).
func (e *RevertError) ErrorCode() int { return 3 }

// ErrorData is the hex-encoded revert data, as geth returns it.
func (e *RevertError) ErrorData() any { return hexutil.Encode(e.Data) }
