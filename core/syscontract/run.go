package syscontract

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// Run executes a call to the system contract at to, as part of a
// transaction. gas is what remains of the transaction's gas after intrinsic
// gas. On failure every change made by the call (including the value
// transfer) is reverted and err is non-nil (a *RevertError, or an error
// wrapping ErrOutOfGas, in which case gasLeft is 0). Run fails with
// ErrNotSystemContract, changing nothing, if to has no contract.
//
// A nil value means zero. Database failures are not returned here: they are recorded in the
// StateDB (sdb.Error()) and the caller must check it.
func (r *Registry) Run(sdb *state.StateDB, block BlockInfo, caller, to common.Address, value *uint256.Int, input []byte, gas uint64) (ret []byte, gasLeft uint64, err error) {
	if !r.IsSystemContract(to) {
		return nil, gas, fmt.Errorf("call %s: %w", to, ErrNotSystemContract)
	}
	if value == nil {
		value = new(uint256.Int)
	}
	e := r.entries[to]
	ensureAccount(sdb, to)
	snap := sdb.Snapshot()
	ret, gasLeft, err = e.invoke(sdb, block, caller, value, input, gas, frame{reg: r})
	if err != nil {
		sdb.RevertToSnapshot(snap)
		if errors.Is(err, ErrOutOfGas) {
			gasLeft = 0
		}
		return nil, gasLeft, err
	}
	return ret, gasLeft, nil
}

// Call simulates a call for eth_call and eth_estimateGas: the same path as
// Run, but every change is reverted afterwards, whatever the outcome. Use a
// StateDB that no one commits. gasUsed excludes intrinsic gas.
func (r *Registry) Call(sdb *state.StateDB, block BlockInfo, from, to common.Address, value *uint256.Int, input []byte, gas uint64) (ret []byte, gasUsed uint64, err error) {
	if value == nil {
		value = new(uint256.Int)
	}
	snap := sdb.Snapshot()
	defer sdb.RevertToSnapshot(snap)
	ret, left, err := r.Run(sdb, block, from, to, value, input, gas)
	if dbErr := sdb.Error(); dbErr != nil {
		return nil, 0, fmt.Errorf("call %s: state unavailable: %w", to, dbErr)
	}
	return ret, gas - left, err
}

// ensureAccount gives a system contract account its nonce and marker code
// if it lacks them, so EIP-161 never deletes it. Deterministic: it depends
// only on the state. It reads the code hash, never the code, so witnesses
// need no code.
func ensureAccount(sdb *state.StateDB, addr common.Address) {
	if sdb.GetNonce(addr) == 0 {
		sdb.SetNonce(addr, 1, tracing.NonceChangeUnspecified)
	}
	if h := sdb.GetCodeHash(addr); h == (common.Hash{}) || h == types.EmptyCodeHash {
		sdb.SetCode(addr, MarkerCode(), tracing.CodeChangeUnspecified)
	}
}

// frame describes how a method runs: for a transaction's call (Run) the
// zero frame with the registry; for an internal call (Context.CallContract)
// metered, one level deeper, and read-only if its caller is.
type frame struct {
	reg      *Registry
	metered  bool
	readOnly bool
	depth    int
}

func (e *entry) invoke(sdb *state.StateDB, block BlockInfo, caller common.Address, value *uint256.Int, input []byte, gas uint64, f frame) (ret []byte, gasLeft uint64, err error) {
	if len(input) < 4 {
		return nil, gas, revertf(ErrUnknownMethod, "calldata of %d bytes has no 4-byte selector", len(input))
	}
	m, ok := e.methods[[4]byte(input[:4])]
	if !ok {
		return nil, gas, revertf(ErrUnknownMethod, "selector %#x", input[:4])
	}
	if gas < m.Gas {
		return nil, 0, fmt.Errorf("%w: method %s costs %d gas, %d available", ErrOutOfGas, m.abi.Name, m.Gas, gas)
	}
	gas -= m.Gas
	if !value.IsZero() {
		if !m.abi.IsPayable() {
			return nil, gas, revertf(ErrNotPayable, "%s does not accept value", m.abi.Name)
		}
		if bal := sdb.GetBalance(caller); bal.Lt(value) {
			return nil, gas, revertf(ErrCallerBalance, "balance %s, value %s", bal, value)
		}
		self := e.contract.Address()
		sdb.SubBalance(caller, value, tracing.BalanceChangeTransfer)
		sdb.AddBalance(self, value, tracing.BalanceChangeTransfer)
	}
	args, err := m.abi.Inputs.Unpack(input[4:])
	if err != nil {
		return nil, gas, revertf(ErrBadArguments, "%s: %v", m.abi.Name, err)
	}
	ctx := &Context{
		state: sdb, contract: e.contract, block: block, caller: caller,
		value: value.Clone(), gasLeft: gas, readOnly: f.readOnly || m.abi.IsConstant(),
		metered: f.metered, reg: f.reg, depth: f.depth,
	}
	outs, err := safeHandle(m.Handler, ctx, args)
	if err != nil {
		return nil, ctx.gasLeft, asCallFailure(err)
	}
	ret, err = m.abi.Outputs.Pack(outs...)
	if err != nil {
		return nil, ctx.gasLeft, revertf(ErrContractPanic, "encode outputs of %s: %v", m.abi.Name, err)
	}
	return ret, ctx.gasLeft, nil
}

// safeHandle runs a handler and turns a panic into an error, so no input
// can crash a node; the call then reverts like any other failure.
func safeHandle(h Handler, ctx *Context, args []any) (outs []any, err error) {
	defer func() {
		if p := recover(); p != nil {
			outs, err = nil, revertf(ErrContractPanic, "%v", p)
		}
	}()
	return h(ctx, args)
}

// asCallFailure keeps reverts and out-of-gas as they are and turns any
// other handler error into a revert whose reason is the error text.
func asCallFailure(err error) error {
	var rev *RevertError
	if errors.As(err, &rev) || errors.Is(err, ErrOutOfGas) {
		return err
	}
	r := NewRevertError(err.Error())
	r.cause = err
	return r
}
