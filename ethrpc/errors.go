package ethrpc

import (
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// RevertError is returned by eth_call and eth_estimateGas when a system
// contract call reverts. As in geth it has JSON-RPC code 3 and carries the
// revert data, so ethers.js and ethclient decode the reason.
type RevertError struct {
	reason string
	data   []byte
}

// NewRevertError wraps the return data of a reverted call.
func NewRevertError(ret []byte) *RevertError {
	reason, err := abi.UnpackRevert(ret)
	if err != nil {
		reason = ""
	}
	return &RevertError{reason: reason, data: ret}
}

// Error returns "execution reverted" with the decoded reason, if any.
func (e *RevertError) Error() string {
	if e.reason == "" {
		return "execution reverted"
	}
	return fmt.Sprintf("execution reverted: %s", e.reason)
}

// ErrorCode returns 3, the code Ethereum nodes use for reverts.
func (e *RevertError) ErrorCode() int { return 3 }

// ErrorData returns the revert data as hex.
func (e *RevertError) ErrorData() any { return hexutil.Encode(e.data) }
