package syscontract

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
)

// Errors a handler may see from Context; all of them revert the call.
var (
	// ErrOutOfGas means the call or end-of-block hook used up its gas.
	ErrOutOfGas = errors.New("out of gas")
	// ErrWriteProtection means a state change was attempted in a read-only call.
	ErrWriteProtection = errors.New("write protection: state change in a read-only call")
	// ErrContractBalance means the contract's balance cannot cover a transfer.
	ErrContractBalance = errors.New("contract balance too low")
	// ErrUnknownEvent means Emit named an event the ABI does not declare.
	ErrUnknownEvent = errors.New("unknown event")
)

// BlockInfo is what a contract may know about the block it runs in.
type BlockInfo struct {
	ChainID *big.Int
	// ParentHash is the hash of the previous block (EIP-2935 style: a
	// contract may record it, since a block cannot know its own hash).
	ParentHash common.Hash
	Number     uint64
	Time       uint64
	Coinbase   common.Address
	BaseFee    *big.Int
	GasLimit   uint64
}

// BlockInfoFromHeader extracts the BlockInfo of a header.
func BlockInfoFromHeader(chainID *big.Int, h *types.Header) BlockInfo {
	info := BlockInfo{ChainID: chainID, ParentHash: h.ParentHash, Time: h.Time, Coinbase: h.Coinbase, GasLimit: h.GasLimit}
	if h.Number != nil {
		info.Number = h.Number.Uint64()
	}
	if h.BaseFee != nil {
		info.BaseFee = new(big.Int).Set(h.BaseFee)
	}
	return info
}

// Context is the environment of one handler or EndBlock invocation. It is
// only valid during that invocation.
type Context struct {
	state    *state.StateDB
	contract Contract
	block    BlockInfo
	caller   common.Address
	value    *uint256.Int
	gasLeft  uint64
	readOnly bool
	metered  bool // charge state effects (end-of-block mode, internal calls)
	// reg is the registry the invocation runs in (for CallContract);
	// depth counts the internal calls above this invocation.
	reg   *Registry
	depth int
}

// Caller is the account that sent the call (zero in EndBlock).
func (c *Context) Caller() common.Address { return c.caller }

// Value is the wei sent with the call, already credited to the contract.
func (c *Context) Value() *uint256.Int { return new(uint256.Int).Set(c.value) }

// Self is the contract's own address.
func (c *Context) Self() common.Address { return c.contract.Address() }

// Block describes the block being executed.
func (c *Context) Block() BlockInfo { return c.block }

// ReadOnly reports whether this is a read-only call (eth_call).
func (c *Context) ReadOnly() bool { return c.readOnly }

// GasLeft is the gas still available to this invocation.
func (c *Context) GasLeft() uint64 { return c.gasLeft }

// UseGas consumes gas; it fails with ErrOutOfGas (and consumes everything)
// when not enough is left. Handlers that loop call it once per item.
func (c *Context) UseGas(gas uint64) error {
	if gas > c.gasLeft {
		c.gasLeft = 0
		return fmt.Errorf("%w: need %d more gas", ErrOutOfGas, gas)
	}
	c.gasLeft -= gas
	return nil
}

func (c *Context) meter(gas uint64) error {
	if !c.metered {
		return nil
	}
	return c.UseGas(gas)
}

// GetState reads a storage slot of the contract's account.
func (c *Context) GetState(slot common.Hash) common.Hash {
	return c.state.GetState(c.Self(), slot)
}

// GetStateOf reads a storage slot of any account, read-only: a system
// contract may read another's storage (the rollup contract reads the
// bridge's operations) but write only its own. Like GetState it is not
// metered: a handler that reads many slots charges for them with UseGas
// or its method's fixed gas.
func (c *Context) GetStateOf(addr common.Address, slot common.Hash) common.Hash {
	return c.state.GetState(addr, slot)
}

// SetState writes a storage slot of the contract's account.
func (c *Context) SetState(slot, value common.Hash) error {
	if c.readOnly {
		return ErrWriteProtection
	}
	if err := c.meter(StorageWriteGas); err != nil {
		return err
	}
	c.state.SetState(c.Self(), slot, value)
	return nil
}

// GetUint256 reads a slot as a big-endian uint256.
func (c *Context) GetUint256(slot common.Hash) *uint256.Int {
	v := c.GetState(slot)
	return new(uint256.Int).SetBytes32(v[:])
}

// SetUint256 writes a uint256 into a slot.
func (c *Context) SetUint256(slot common.Hash, v *uint256.Int) error {
	return c.SetState(slot, v.Bytes32())
}

// GetAddress reads a slot holding an address (right-aligned, as Solidity).
func (c *Context) GetAddress(slot common.Hash) common.Address {
	return common.BytesToAddress(c.GetState(slot).Bytes())
}

// SetAddress writes an address into a slot (right-aligned, as Solidity).
func (c *Context) SetAddress(slot common.Hash, a common.Address) error {
	return c.SetState(slot, common.BytesToHash(a.Bytes()))
}

// Balance returns the balance of any account.
func (c *Context) Balance(addr common.Address) *uint256.Int {
	return c.state.GetBalance(addr).Clone()
}

// Transfer sends amount wei from the contract's account to to.
func (c *Context) Transfer(to common.Address, amount *uint256.Int) error {
	if c.readOnly {
		return ErrWriteProtection
	}
	if err := c.meter(TransferGas); err != nil {
		return err
	}
	self := c.Self()
	if bal := c.state.GetBalance(self); bal.Lt(amount) {
		return fmt.Errorf("%w: transfer %s wei, balance %s", ErrContractBalance, amount, bal)
	}
	c.state.SubBalance(self, amount, tracing.BalanceChangeTransfer)
	c.state.AddBalance(to, amount, tracing.BalanceChangeTransfer)
	return nil
}

// Mint creates amount wei in to's account, out of nothing. It is for
// protocol rules that create money (block rewards on L1, deposits on L2);
// a contract must only mint what the chain's rules say.
func (c *Context) Mint(to common.Address, amount *uint256.Int) error {
	if c.readOnly {
		return ErrWriteProtection
	}
	if err := c.meter(TransferGas); err != nil {
		return err
	}
	c.state.AddBalance(to, amount, tracing.BalanceIncreaseRewardMineBlock)
	return nil
}

// Burn destroys amount wei held by the contract (e.g. value withdrawn to L1).
func (c *Context) Burn(amount *uint256.Int) error {
	if c.readOnly {
		return ErrWriteProtection
	}
	if err := c.meter(TransferGas); err != nil {
		return err
	}
	self := c.Self()
	if bal := c.state.GetBalance(self); bal.Lt(amount) {
		return fmt.Errorf("%w: burn %s wei, balance %s", ErrContractBalance, amount, bal)
	}
	c.state.SubBalance(self, amount, tracing.BalanceDecreaseSelfdestructBurn)
	return nil
}

// Emit records an Ethereum log for the ABI event name. args are all the
// event's inputs in declaration order; indexed ones become topics.
func (c *Context) Emit(name string, args ...any) error {
	ev, ok := c.contract.ABI().Events[name]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownEvent, name)
	}
	if len(args) != len(ev.Inputs) {
		return fmt.Errorf("emit %s: %d arguments, event has %d", name, len(args), len(ev.Inputs))
	}
	topics := []common.Hash{ev.ID}
	var data []any
	for i, in := range ev.Inputs {
		if !in.Indexed {
			data = append(data, args[i])
			continue
		}
		t, err := abi.MakeTopics([]any{args[i]})
		if err != nil {
			return fmt.Errorf("emit %s: topic %s: %w", name, in.Name, err)
		}
		topics = append(topics, t[0][0])
	}
	if ev.Anonymous {
		topics = topics[1:]
	}
	packed, err := ev.Inputs.NonIndexed().Pack(data...)
	if err != nil {
		return fmt.Errorf("emit %s: %w", name, err)
	}
	if c.readOnly {
		return nil // a read-only call sees no logs; nothing to record
	}
	if err := c.meter(LogGas + LogTopicGas*uint64(len(topics)) + LogDataGas*uint64(len(packed))); err != nil {
		return err
	}
	c.state.AddLog(&types.Log{Address: c.Self(), Topics: topics, Data: packed, BlockNumber: c.block.Number})
	return nil
}

// Revert returns an error that reverts the call with reason, shown by
// wallets and libraries as "execution reverted: reason".
func (c *Context) Revert(format string, args ...any) error {
	return NewRevertError(fmt.Sprintf(format, args...))
}
