package l1

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Errors of the L1 client. They arrive wrapped with what failed
// ("l1: get block 12: not found"); test for them with errors.Is.
var (
	// ErrNotFound means the node has no such block, receipt or transaction.
	// It is go-ethereum's ethereum.NotFound, so either matches.
	ErrNotFound = ethereum.NotFound
	// ErrReverted is matched by every *RevertError.
	ErrReverted = errors.New("execution reverted")
	// ErrWrongChain means the node serves a chain id other than expected.
	ErrWrongChain = errors.New("wrong L1 chain id")
	// ErrBadBlock means the node returned a block that is not the one asked
	// for, whose hash does not match its header, or that does not link to
	// its parent.
	ErrBadBlock = errors.New("inconsistent L1 block")
	// ErrOutcomeUnknown means a transaction was sent but no answer came
	// back (a timeout, a dropped connection): it may or may not be in the
	// node's pool. The Sender never gives its nonce to another
	// transaction: before its next send it re-broadcasts it, or confirms
	// the nonce was used.
	ErrOutcomeUnknown = errors.New("transaction sent, outcome unknown")
	// ErrTxFailed means a transaction was included with status 0; the
	// error is a *TxFailedError.
	ErrTxFailed = errors.New("transaction failed")
	// ErrNonceTaken means another transaction from the same key was
	// included with the nonce of one the Sender was waiting for.
	ErrNonceTaken = errors.New("nonce used by another transaction")
	// ErrFeeCap means the configured maximum fee cap cannot pay the L1
	// base fee.
	ErrFeeCap = errors.New("maximum fee cap below the L1 base fee")
)

// RevertError is a call or transaction that a system contract reverted.
// Reason is the decoded Error(string) reason (empty if none was given or
// it could not be decoded), Data the raw revert data.
type RevertError struct {
	Reason string // decoded Error(string) reason, or the node's message
	Data   []byte // raw revert data, if the node sent it
}

// Error returns "execution reverted: <reason>".
func (e *RevertError) Error() string {
	if e.Reason == "" {
		return ErrReverted.Error()
	}
	return ErrReverted.Error() + ": " + e.Reason
}

// Is makes errors.Is(err, ErrReverted) true for every revert.
func (e *RevertError) Is(target error) bool { return target == ErrReverted }

// TxFailedError is a transaction included with status 0. Reason is the
// revert recovered by re-running the transaction as a call on the state of
// the block before it (nil if the call did not revert there).
type TxFailedError struct {
	Hash    common.Hash    // the included version of the transaction
	Nonce   uint64         // its nonce
	Block   uint64         // the L1 block that includes it
	Receipt *types.Receipt // its receipt (status 0)
	Reason  *RevertError   // the replayed revert, or nil
}

// Error says which transaction failed where, and why if known.
func (e *TxFailedError) Error() string {
	msg := fmt.Sprintf("transaction %s (nonce %d) failed in L1 block %d", e.Hash, e.Nonce, e.Block)
	if e.Reason != nil {
		msg += ": " + e.Reason.Error()
	}
	return msg
}

// Is makes errors.Is(err, ErrTxFailed) true, and errors.Is(err,
// ErrReverted) when a revert reason was recovered.
func (e *TxFailedError) Is(target error) bool {
	return target == ErrTxFailed || (target == ErrReverted && e.Reason != nil)
}

// Unwrap exposes the revert, for errors.As(err, **RevertError).
func (e *TxFailedError) Unwrap() error {
	if e.Reason == nil {
		return nil
	}
	return e.Reason
}

// asRevert turns a JSON-RPC revert (code 3 with data, as geth and our
// nodes send it, or a bare "execution reverted" message) into a
// *RevertError; other errors come back unchanged.
func asRevert(err error) error {
	if err == nil {
		return nil
	}
	if data, ok := ethclient.RevertErrorData(err); ok {
		reason, uerr := abi.UnpackRevert(data)
		if uerr != nil {
			reason = trimRevert(err.Error())
		}
		return &RevertError{Reason: reason, Data: data}
	}
	var re rpc.Error
	if errors.As(err, &re) && strings.HasPrefix(re.Error(), ErrReverted.Error()) {
		return &RevertError{Reason: trimRevert(re.Error())}
	}
	return err
}

func trimRevert(msg string) string {
	msg = strings.TrimPrefix(msg, ErrReverted.Error())
	return strings.TrimPrefix(msg, ": ")
}

// sendOutcome classifies the answer to eth_sendRawTransaction.
type sendOutcome int

const (
	sentOK        sendOutcome = iota // accepted, or the node already had this very transaction
	sentNonceUsed                    // nonce too low: the nonce is consumed on chain
	sentReplace                      // a different pooled transaction has the nonce
	sentRejected                     // the node refused it: the nonce is free
	sentUnknown                      // no answer: it may be in the pool
)

func classifySend(err error) sendOutcome {
	if err == nil {
		return sentOK
	}
	var re rpc.Error
	var he rpc.HTTPError
	switch {
	case errors.As(err, &re):
		msg := strings.ToLower(re.Error())
		switch {
		case strings.Contains(msg, "already known"):
			return sentOK
		case strings.Contains(msg, "nonce too low"):
			return sentNonceUsed
		case strings.Contains(msg, "replacement transaction underpriced"):
			return sentReplace
		}
		return sentRejected
	case errors.As(err, &he):
		// The server answered without processing the request (too large,
		// bad content type, ...).
		return sentRejected
	}
	return sentUnknown
}
