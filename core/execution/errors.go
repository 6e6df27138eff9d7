package execution

import (
	"errors"
	"fmt"
)

// Reasons a transaction is invalid. An invalid transaction is never
// included: ApplyTx returns an *InvalidTxError wrapping one of these, with
// the details a user needs, and leaves the state untouched. The messages
// reach JSON-RPC users.
var (
	ErrInvalidChainID     = errors.New("invalid chain id")
	ErrUnprotectedTx      = errors.New("transaction is not replay-protected (EIP-155 chain id required)")
	ErrUnsupportedTxType  = errors.New("transaction type not supported")
	ErrAccessList         = errors.New("access lists are not supported (no EVM): send an empty access list")
	ErrInvalidSignature   = errors.New("invalid transaction signature")
	ErrNonceTooLow        = errors.New("nonce too low")
	ErrNonceTooHigh       = errors.New("nonce too high")
	ErrNonceMax           = errors.New("nonce has max value")
	ErrIntrinsicGas       = errors.New("intrinsic gas too low")
	ErrGasLimitTooHigh    = errors.New("transaction gas limit above the block gas limit")
	ErrBlockGasLimit      = errors.New("transaction gas limit above the block's remaining gas")
	ErrFeeCapTooHigh      = errors.New("max fee per gas higher than 2^256-1")
	ErrTipTooHigh         = errors.New("max priority fee per gas higher than 2^256-1")
	ErrTipAboveFeeCap     = errors.New("max priority fee per gas higher than max fee per gas")
	ErrFeeCapBelowBaseFee = errors.New("max fee per gas below base fee")
	ErrInsufficientFunds  = errors.New("insufficient funds for gas * price + value")
	ErrTxTooLarge         = errors.New("transaction too large")
	ErrContractCreation   = errors.New("contract creation is not supported: transactions need a recipient")
	ErrCalldataToAccount  = errors.New("calldata sent to an account that is not a system contract")
)

// Failures that make a whole block (not one transaction) unusable.
var (
	// ErrStateUnavailable means the state could not be read: a missing trie
	// node (an incomplete witness in stateless execution) or a database
	// failure. It is never a reason to skip a transaction.
	ErrStateUnavailable = errors.New("state unavailable")
	// ErrInvalidBlock means a block breaks a rule of the state transition
	// (an invalid transaction under RejectInvalid, a malformed header).
	ErrInvalidBlock = errors.New("invalid block")
	// ErrFinished means the executor was used after Finish.
	ErrFinished = errors.New("block executor already finished")
)

// InvalidTxError is a transaction that cannot be included. Err wraps one of
// the sentinel reasons above; the message is Err's, for the user.
type InvalidTxError struct {
	Err error
}

// Error returns the reason with its details.
func (e *InvalidTxError) Error() string { return e.Err.Error() }

// Unwrap exposes the sentinel reason to errors.Is.
func (e *InvalidTxError) Unwrap() error { return e.Err }

// IsInvalidTx reports whether err means "this transaction is invalid" (skip
// it) as opposed to a failure of the block or the database.
func IsInvalidTx(err error) bool {
	var ite *InvalidTxError
	return errors.As(err, &ite)
}

func invalid(reason error, format string, args ...any) error {
	if format == "" {
		return &InvalidTxError{Err: reason}
	}
	return &InvalidTxError{Err: fmt.Errorf("%w: "+format, append([]any{reason}, args...)...)}
}
