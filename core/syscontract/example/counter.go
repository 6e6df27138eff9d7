package example

import (
	_ "embed"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/syscontract"
)

//go:embed counter.json
var counterABI string

// Gas costs of Counter's methods.
const (
	IncrementGas = 20_000
	DepositGas   = 10_000
	WithdrawGas  = 15_000
	ViewGas      = 1_000
	FailGas      = 5_000
	SpinGas      = 1_000
	SpinRoundGas = 1_000 // per round of spin
	EchoGas      = 2_000
)

// Storage layout.
var (
	slotCount     = syscontract.Slot(0)
	slotDeposits  = syscontract.Slot(1) // mapping(address => uint256)
	slotEndBlocks = syscontract.Slot(2)
)

// Config parameterises a Counter.
type Config struct {
	Address         common.Address
	EndBlockGas     uint64 // 0: no end-of-block hook work fits, it fails
	MaxCallDataSize uint64 // 0: the framework default
}

// Counter is the example contract.
type Counter struct {
	cfg Config
	abi *abi.ABI
}

// New parses the ABI and returns a Counter.
func New(cfg Config) (*Counter, error) {
	a, err := syscontract.ParseABI(counterABI)
	if err != nil {
		return nil, fmt.Errorf("counter: %w", err)
	}
	return &Counter{cfg: cfg, abi: a}, nil
}

// Address implements syscontract.Contract.
func (c *Counter) Address() common.Address { return c.cfg.Address }

// ABI implements syscontract.Contract.
func (c *Counter) ABI() *abi.ABI { return c.abi }

// MaxCallDataSize implements syscontract.Contract.
func (c *Counter) MaxCallDataSize() uint64 { return c.cfg.MaxCallDataSize }

// EndBlockGas implements syscontract.EndBlocker.
func (c *Counter) EndBlockGas() uint64 { return c.cfg.EndBlockGas }

// Methods implements syscontract.Contract.
func (c *Counter) Methods() map[string]syscontract.Method {
	return map[string]syscontract.Method{
		"increment":   {Gas: IncrementGas, Handler: increment},
		"deposit":     {Gas: DepositGas, Handler: deposit},
		"withdraw":    {Gas: WithdrawGas, Handler: withdraw},
		"count":       {Gas: ViewGas, Handler: readSlot(slotCount)},
		"endBlocks":   {Gas: ViewGas, Handler: readSlot(slotEndBlocks)},
		"depositOf":   {Gas: ViewGas, Handler: depositOf},
		"fail":        {Gas: FailGas, Handler: fail},
		"spin":        {Gas: SpinGas, Handler: spin},
		"echo":        {Gas: EchoGas, Handler: echo},
		"writeInView": {Gas: ViewGas, Handler: writeInView},
	}
}

// EndBlock implements syscontract.EndBlocker: it counts blocks and logs.
func (c *Counter) EndBlock(ctx *syscontract.Context) error {
	total := ctx.GetUint256(slotEndBlocks)
	total.AddUint64(total, 1)
	if err := ctx.SetUint256(slotEndBlocks, total); err != nil {
		return err
	}
	return ctx.Emit("BlockEnded", new(big.Int).SetUint64(ctx.Block().Number), total.ToBig())
}

func increment(ctx *syscontract.Context, args []any) ([]any, error) {
	by, overflow := uint256.FromBig(args[0].(*big.Int))
	count := ctx.GetUint256(slotCount)
	if _, o := count.AddOverflow(count, by); o || overflow {
		return nil, ctx.Revert("counter overflow")
	}
	if err := ctx.SetUint256(slotCount, count); err != nil {
		return nil, err
	}
	if err := ctx.Emit("Incremented", ctx.Caller(), count.ToBig()); err != nil {
		return nil, err
	}
	return []any{count.ToBig()}, nil
}

func depositSlot(a common.Address) common.Hash {
	return syscontract.MappingSlot(syscontract.AddressKey(a), slotDeposits)
}

func deposit(ctx *syscontract.Context, _ []any) ([]any, error) {
	if ctx.Value().IsZero() {
		return nil, ctx.Revert("deposit needs value")
	}
	slot := depositSlot(ctx.Caller())
	bal := ctx.GetUint256(slot)
	bal.Add(bal, ctx.Value())
	if err := ctx.SetUint256(slot, bal); err != nil {
		return nil, err
	}
	return nil, ctx.Emit("Deposited", ctx.Caller(), ctx.Value().ToBig())
}

func withdraw(ctx *syscontract.Context, args []any) ([]any, error) {
	amount, overflow := uint256.FromBig(args[0].(*big.Int))
	slot := depositSlot(ctx.Caller())
	bal := ctx.GetUint256(slot)
	if overflow || bal.Lt(amount) {
		return nil, ctx.Revert("withdraw %s: only %s deposited", args[0], bal)
	}
	if err := ctx.SetUint256(slot, bal.Sub(bal, amount)); err != nil {
		return nil, err
	}
	return nil, ctx.Transfer(ctx.Caller(), amount)
}

func readSlot(slot common.Hash) syscontract.Handler {
	return func(ctx *syscontract.Context, _ []any) ([]any, error) {
		return []any{ctx.GetUint256(slot).ToBig()}, nil
	}
}

func depositOf(ctx *syscontract.Context, args []any) ([]any, error) {
	return []any{ctx.GetUint256(depositSlot(args[0].(common.Address))).ToBig()}, nil
}

func fail(ctx *syscontract.Context, args []any) ([]any, error) {
	if err := ctx.SetUint256(slotCount, uint256.NewInt(999)); err != nil {
		return nil, err
	}
	return nil, ctx.Revert("%s", args[0].(string))
}

func spin(ctx *syscontract.Context, args []any) ([]any, error) {
	rounds := args[0].(*big.Int)
	for i := new(big.Int); i.Cmp(rounds) < 0; i.Add(i, big.NewInt(1)) {
		if err := ctx.UseGas(SpinRoundGas); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func echo(_ *syscontract.Context, args []any) ([]any, error) {
	return []any{args[0].([]byte)}, nil
}

func writeInView(ctx *syscontract.Context, _ []any) ([]any, error) {
	return nil, ctx.SetUint256(slotCount, uint256.NewInt(1))
}
