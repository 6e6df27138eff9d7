package syscontract

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// Internal calls between system contracts.
const (
	// InternalCallGas is charged to the caller for every
	// Context.CallContract, on top of the callee method's fixed gas and
	// its metered state effects.
	InternalCallGas = 700
	// MaxCallDepth bounds nested internal calls (a contract calling one
	// that calls another ...), so no cycle of calls can recurse without
	// limit.
	MaxCallDepth = 8
)

// ErrCallDepth means an internal call would nest deeper than MaxCallDepth.
var ErrCallDepth = errors.New("internal call depth exceeded")

// CallContract runs the method of the system contract at addr that input
// (a 4-byte selector and ABI-encoded arguments) names, as an internal call:
// the callee sees the calling contract as its Caller, receives no value,
// and runs with this invocation's remaining gas. The caller pays
// InternalCallGas, the callee method's fixed gas and, always (the caller
// cannot know what the callee does), the callee's state effects at the
// metered prices (StorageWriteGas, TransferGas, LogGas...). The callee is
// read-only if this invocation is (or if its method is a view). Its logs
// carry its own address.
//
// On failure the callee's changes are reverted and the error is returned;
// this invocation continues (it may handle the failure or return it, which
// reverts it too). A callee that runs out of gas leaves no gas here either.
// Failures: ErrNotSystemContract (no contract at addr), ErrCallDepth, and
// every failure of a call (a *RevertError naming addr, ErrOutOfGas).
func (c *Context) CallContract(addr common.Address, input []byte) ([]byte, error) {
	var e *entry
	if c.reg != nil {
		e = c.reg.entries[addr]
	}
	if e == nil {
		return nil, fmt.Errorf("internal call to %s: %w", addr, ErrNotSystemContract)
	}
	if c.depth >= MaxCallDepth {
		return nil, revertf(ErrCallDepth, "call to %s at depth %d", addr, c.depth)
	}
	if err := c.UseGas(InternalCallGas); err != nil {
		return nil, err
	}
	ensureAccount(c.state, addr)
	snap := c.state.Snapshot()
	ret, left, err := e.invoke(c.state, c.block, c.Self(), new(uint256.Int), input, c.gasLeft,
		frame{reg: c.reg, metered: true, readOnly: c.readOnly, depth: c.depth + 1})
	c.gasLeft = left
	if err != nil {
		c.state.RevertToSnapshot(snap)
		if errors.Is(err, ErrOutOfGas) {
			c.gasLeft = 0
			return nil, fmt.Errorf("internal call to %s: %w", addr, err)
		}
		return nil, internalRevert(addr, err)
	}
	return ret, nil
}

// internalRevert turns a callee's failure into a revert of the caller
// whose reason names the callee, keeping the callee's error (and its
// sentinel) reachable with errors.Is and errors.As.
func internalRevert(addr common.Address, err error) *RevertError {
	reason := err.Error()
	var rev *RevertError
	if errors.As(err, &rev) {
		reason = rev.Reason
	}
	r := NewRevertError(fmt.Sprintf("internal call to %s: %s", addr, reason))
	r.cause = err
	return r
}
