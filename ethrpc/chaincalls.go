package ethrpc

import (
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/syscontract"
)

// DefaultTip is the priority fee suggested when recent blocks had room.
var DefaultTip = big.NewInt(1_000_000_000)

// SuggestTipAfter returns DefaultTip, or, when head was nearly full, the
// median tip it paid plus 10 %. L1 and L2 backends share it.
func SuggestTipAfter(head *block.Block) *big.Int {
	h := head.Header
	if h.GasLimit == 0 || h.GasUsed*10 < h.GasLimit*9 || len(head.Transactions) == 0 {
		return new(big.Int).Set(DefaultTip)
	}
	tips := make([]*big.Int, len(head.Transactions))
	for i, tx := range head.Transactions {
		tip := new(big.Int).Sub(tx.GasFeeCap(), h.BaseFee)
		if tip.Cmp(tx.GasTipCap()) > 0 {
			tip.Set(tx.GasTipCap())
		}
		tips[i] = tip
	}
	slices.SortFunc(tips, (*big.Int).Cmp)
	out := new(big.Int).Mul(tips[len(tips)/2], big.NewInt(11))
	out.Quo(out, big.NewInt(10))
	if out.Cmp(DefaultTip) < 0 {
		out.Set(DefaultTip)
	}
	return out
}

// CallEnv is the state and block a read-only call runs against.
type CallEnv struct {
	State    *state.StateDB
	Block    syscontract.BlockInfo
	Registry *syscontract.Registry
}

// callInputs resolves a call's data, sender and value.
func callInputs(args CallArgs) ([]byte, common.Address, *uint256.Int, error) {
	data, err := args.CallData()
	if err != nil {
		return nil, common.Address{}, nil, err
	}
	var from common.Address
	if args.From != nil {
		from = *args.From
	}
	value := new(uint256.Int)
	if args.Value != nil {
		v, overflow := uint256.FromBig(args.Value.ToInt())
		if overflow {
			return nil, common.Address{}, nil, errors.New("value does not fit 256 bits")
		}
		value = v
	}
	return data, from, value, nil
}

// CallSystem runs a system contract method read-only (eth_call). A call to
// a plain account returns nothing, as Ethereum does for an account
// without code.
func CallSystem(env CallEnv, args CallArgs) ([]byte, error) {
	if args.To == nil {
		return nil, execution.ErrContractCreation
	}
	data, from, value, err := callInputs(args)
	if err != nil {
		return nil, err
	}
	if !env.Registry.IsSystemContract(*args.To) {
		return nil, nil
	}
	gas := env.Block.GasLimit
	if args.Gas != nil {
		gas = uint64(*args.Gas)
	}
	ret, _, err := env.Registry.Call(env.State, env.Block, from, *args.To, value, data, gas)
	return ret, err
}

// EstimateSystemGas returns the intrinsic gas, plus, for a system
// contract, what the method uses (methods have fixed costs, so one run
// tells).
func EstimateSystemGas(env CallEnv, args CallArgs) (uint64, error) {
	if args.To == nil {
		return 0, execution.ErrContractCreation
	}
	data, from, value, err := callInputs(args)
	if err != nil {
		return 0, err
	}
	intrinsic := execution.IntrinsicGas(data)
	if !env.Registry.IsSystemContract(*args.To) {
		if len(data) > 0 {
			return 0, fmt.Errorf("%w: %s", execution.ErrCalldataToAccount, args.To)
		}
		if args.From != nil && env.State.GetBalance(from).Lt(value) {
			return 0, fmt.Errorf("%w: balance %s, value %s", execution.ErrInsufficientFunds, env.State.GetBalance(from), value)
		}
		return intrinsic, nil
	}
	gasLimit := env.Block.GasLimit
	_, used, err := env.Registry.Call(env.State, env.Block, from, *args.To, value, data, gasLimit-min(intrinsic, gasLimit))
	if err != nil {
		return 0, err
	}
	return intrinsic + used, nil
}

// ReceiptExtender is implemented by a Backend whose receipts carry fields
// beyond Ethereum's (the L2's l1Fee). The API merges them into every
// receipt it renders.
type ReceiptExtender interface {
	// ReceiptFields returns the extra fields of the receipt of
	// transaction index of block b.
	ReceiptFields(b *block.Block, index int) (map[string]any, error)
}
