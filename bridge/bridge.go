package bridge

import (
	_ "embed"
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

//go:embed bridge.json
var bridgeABI string

// Address is the L1 bridge's fixed address.
var Address = common.HexToAddress("0x0000000000000000000000000000000000001003")

// WithdrawalQueueAddress is the fixed address of the L2 withdrawal queue,
// the L2 side of the bridge (its contract comes with the withdrawals).
var WithdrawalQueueAddress = common.HexToAddress("0x0000000000000000000000000000000000002001")

// Gas costs of the methods, on top of the intrinsic gas.
const (
	// DepositGas covers six storage writes (the operation's four words, the
	// count, the total) and the Deposit log.
	DepositGas = 40_000
	// ViewGas is the base cost of a view method.
	ViewGas = 5_000
	// OperationViewGas is charged per operation the operations view
	// returns (four storage reads).
	OperationViewGas = 1_000
)

// MaxOperationsPerBlock bounds the bridge operations (deposits and forced
// operations, numbered together) of one L1 block. One L2 block
// applies at most one L1 block's operations, so this bounds its
// pre-transaction work: 1,024 newly touched accounts add about 0.65 MB to
// the block's witness (500 transfers gave 630 KB for ~1,000 accounts),
// leaving room in a 4 MiB challenge beside a full block of transactions.
// It is below block.MaxL2Operations.
const MaxOperationsPerBlock = 1024

// Revert reasons a user may see.
const (
	reasonNoValue     = "bridge: deposit of 0 wei: send the amount to deposit as the transaction value"
	reasonNoRecipient = "bridge: deposit to the zero address: name the L2 recipient (your own address to deposit to yourself)"
	reasonQueue       = "bridge: deposit to the L2 withdrawal queue %s would lock the value forever: name an L2 account you control"
	reasonFull        = "bridge: too many operations in this L1 block, retry in the next"
)

// parsedABI is the bridge's ABI, parsed once from the embedded JSON (a
// test proves it parses and equals abi/bridge.json).
var parsedABI = mustParseABI()

func mustParseABI() *abi.ABI {
	a, err := syscontract.ParseABI(bridgeABI)
	if err != nil {
		panic(fmt.Sprintf("bridge: embedded bridge.json: %v", err))
	}
	return a
}

// ABI returns the bridge's Solidity ABI (shared; do not modify it).
func ABI() *abi.ABI { return parsedABI }

// Config holds the bridge's parameters.
type Config struct {
	// Payer is the only account that may call payWithdrawal: the L1
	// rollup contract (the node passes its address; this package cannot
	// import it, since the rollup contract imports this one). The zero
	// address means no one: every payWithdrawal reverts.
	Payer common.Address
}

// Contract is the L1 bridge system contract.
type Contract struct {
	cfg Config
}

// New returns the L1 bridge contract for cfg.
func New(cfg Config) (*Contract, error) {
	return &Contract{cfg: cfg}, nil
}

var _ syscontract.Contract = (*Contract)(nil)

// Address implements syscontract.Contract.
func (c *Contract) Address() common.Address { return Address }

// ABI implements syscontract.Contract.
func (c *Contract) ABI() *abi.ABI { return parsedABI }

// MaxCallDataSize implements syscontract.Contract: the default.
func (c *Contract) MaxCallDataSize() uint64 { return 0 }

// Methods implements syscontract.Contract.
func (c *Contract) Methods() map[string]syscontract.Method {
	return map[string]syscontract.Method{
		"deposit":         {Gas: DepositGas, Handler: c.deposit},
		"forceWithdrawal": {Gas: ForceOperationGas, Handler: c.forceWithdrawal},
		"forceTransfer":   {Gas: ForceOperationGas, Handler: c.forceTransfer},
		"payWithdrawal":   {Gas: PayWithdrawalGas, Handler: c.payWithdrawal},
		"operationCount":  {Gas: ViewGas, Handler: c.viewOperationCount},
		"operations":      {Gas: ViewGas, Handler: c.viewOperations},
		"totalDeposited":  {Gas: ViewGas, Handler: c.viewTotalDeposited},
		"totalWithdrawn":  {Gas: ViewGas, Handler: c.viewTotalWithdrawn},
	}
}

// deposit locks the call's value in the bridge (it stays in the
// contract's balance) and records it as the next operation of this L1
// block, to be minted to the recipient on L2.
func (c *Contract) deposit(ctx *syscontract.Context, args []any) ([]any, error) {
	to := args[0].(common.Address)
	value := ctx.Value()
	switch {
	case value.IsZero():
		return nil, ctx.Revert(reasonNoValue)
	case to == (common.Address{}):
		return nil, ctx.Revert(reasonNoRecipient)
	case to == WithdrawalQueueAddress:
		return nil, ctx.Revert(reasonQueue, WithdrawalQueueAddress)
	}
	l1Block := block.L1Number(ctx.Block().Number)
	op := block.Operation{Kind: block.OpDeposit, L1Block: l1Block, From: ctx.Caller(), To: to, Amount: value.ToBig()}
	index, err := appendOperation(ctx, &op)
	if err != nil {
		return nil, err
	}
	total := ctx.GetUint256(slotTotalDeposited)
	total.Add(total, value)
	if err := ctx.SetUint256(slotTotalDeposited, total); err != nil {
		return nil, err
	}
	return nil, ctx.Emit("Deposit", op.From, op.To, op.Amount, uint64(l1Block), index)
}

// appendOperation stores op as the next operation of its L1 block, setting
// its index; it reverts when the block has no room left.
func appendOperation(ctx *syscontract.Context, op *block.Operation) (uint64, error) {
	lenSlot := opsSlot(op.L1Block)
	n := ctx.GetUint256(lenSlot).Uint64()
	if n >= MaxOperationsPerBlock {
		return 0, ctx.Revert(reasonFull)
	}
	op.Index = n
	for i, word := range encodeOperation(op) {
		if err := ctx.SetState(elemSlot(lenSlot, n, uint64(i)), word); err != nil {
			return 0, err
		}
	}
	if err := ctx.SetUint256(lenSlot, uint256.NewInt(n+1)); err != nil {
		return 0, err
	}
	return n, nil
}

func (c *Contract) viewOperationCount(ctx *syscontract.Context, args []any) ([]any, error) {
	n := ctx.GetUint256(opsSlot(block.L1Number(args[0].(uint64)))).Uint64()
	return []any{min(n, MaxOperationsPerBlock)}, nil
}

func (c *Contract) viewOperations(ctx *syscontract.Context, args []any) ([]any, error) {
	l1Block := block.L1Number(args[0].(uint64))
	n := ctx.GetUint256(opsSlot(l1Block)).Uint64()
	if n > MaxOperationsPerBlock {
		return nil, fmt.Errorf("bridge: L1 block %d records %d operations, more than %d", l1Block, n, MaxOperationsPerBlock)
	}
	if err := ctx.UseGas(n * OperationViewGas); err != nil {
		return nil, err
	}
	ops, err := readOperations(ctx.GetState, l1Block)
	if err != nil {
		return nil, err
	}
	out := make([]abiOperation, len(ops))
	for i := range ops {
		out[i] = toABI(&ops[i])
	}
	return []any{out}, nil
}

func (c *Contract) viewTotalDeposited(ctx *syscontract.Context, _ []any) ([]any, error) {
	return []any{ctx.GetUint256(slotTotalDeposited).ToBig()}, nil
}

// abiOperation is the ABI tuple of an operation; its field names are the
// tuple's component names in Go's spelling, as go-ethereum's abi packs
// structs.
type abiOperation struct {
	Kind    uint8
	L1Block uint64
	Index   uint64
	From    common.Address
	To      common.Address
	Amount  *big.Int
}

func toABI(op *block.Operation) abiOperation {
	return abiOperation{Kind: uint8(op.Kind), L1Block: uint64(op.L1Block), Index: op.Index, From: op.From, To: op.To,
		Amount: new(big.Int).Set(op.Amount)}
}

func fromABI(t abiOperation) block.Operation {
	return block.Operation{Kind: block.OpKind(t.Kind), L1Block: block.L1Number(t.L1Block), Index: t.Index, From: t.From, To: t.To,
		Amount: t.Amount}
}
