package syscontract

import (
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// DefaultMaxCallDataSize is the calldata limit of a contract that does not
// declare one (128 KiB, the limit of any transaction).
const DefaultMaxCallDataSize = 128 * 1024

// markerByte is the EVM's INVALID opcode.
const markerByte = 0xfe

// MarkerCode returns the code stored in every system contract account: the
// EVM's INVALID opcode, a marker that keeps the account non-empty and
// visible as a contract to eth_getCode.
func MarkerCode() []byte { return []byte{markerByte} }

// Gas prices of state effects metered automatically in end-of-block hooks.
const (
	StorageWriteGas = 5_000 // per SetState
	TransferGas     = 9_000 // per value transfer or burn
	LogGas          = 375   // per log, plus LogTopicGas per topic and LogDataGas per byte
	LogTopicGas     = 375
	LogDataGas      = 8
)

// Handler implements one ABI method. args are the ABI-decoded inputs in
// declaration order; the returned values are ABI-encoded as the method's
// outputs. Returning an error reverts the call: use Context.Revert for a
// reason the caller should see.
type Handler func(ctx *Context, args []any) ([]any, error)

// Method binds an ABI function to its Go implementation.
type Method struct {
	// Gas is the fixed cost charged before Handler runs, on top of the
	// transaction's intrinsic gas.
	Gas uint64
	// Handler runs the method.
	Handler Handler
}

// Contract is a native system contract. Its Go value must hold no chain
// state: everything a contract remembers lives in its account's storage, so
// it is in the state root, reverted with the call and present in witnesses.
// Handlers may run concurrently on different StateDBs (eth_call beside
// block execution), which is safe because they hold no Go state.
type Contract interface {
	// Address is the contract's fixed address.
	Address() common.Address
	// ABI is the parsed Solidity ABI, whose JSON is shipped in abi/.
	ABI() *abi.ABI
	// Methods maps every ABI function name to its implementation.
	Methods() map[string]Method
	// MaxCallDataSize is the largest calldata a transaction may send to this
	// contract; 0 means DefaultMaxCallDataSize. A value above the chain's
	// transaction size limit raises the limit for calls to this contract.
	MaxCallDataSize() uint64
}

// EndBlocker is implemented by contracts that act at the end of every block.
type EndBlocker interface {
	// EndBlockGas is the gas budget of one EndBlock call.
	EndBlockGas() uint64
	// EndBlock runs after the block's last transaction. Caller is the zero
	// address and Value is zero.
	EndBlock(ctx *Context) error
}

// ParseABI parses a contract's Solidity JSON ABI (usually embedded from the
// JSON file shipped in abi/).
func ParseABI(jsonABI string) (*abi.ABI, error) {
	a, err := abi.JSON(strings.NewReader(jsonABI))
	if err != nil {
		return nil, fmt.Errorf("%w: parse ABI: %w", ErrBadContract, err)
	}
	return &a, nil
}
