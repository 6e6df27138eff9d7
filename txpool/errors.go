package txpool

import "errors"

// Errors returned when the pool refuses a transaction. Stateful rejections
// (nonce too low, insufficient funds, fee cap below the base fee) come from
// the injected Validate function with its own errors.
var (
	ErrAlreadyKnown       = errors.New("already known")
	ErrReplaceUnderpriced = errors.New("replacement transaction underpriced")
	ErrPoolFull           = errors.New("txpool is full")
	ErrNonceGap           = errors.New("nonce too far ahead")
	ErrSenderLimit        = errors.New("too many pending transactions from this sender")
	ErrNotTransaction     = errors.New("nil transaction")
	// ErrStaleNonce is Precheck's: the claimed sender has used the nonce.
	ErrStaleNonce = errors.New("nonce already used")
)
