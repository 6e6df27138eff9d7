package syscontract_test

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/tracing"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/core/syscontract/example"
)

var (
	counterAddr = common.HexToAddress("0x00000000000000000000000000000000000000e1")
	alice       = common.HexToAddress("0xa11ce")
)

type fixture struct {
	t       *testing.T
	reg     *syscontract.Registry
	counter *example.Counter
	sdb     *state.StateDB
	block   syscontract.BlockInfo
}

func newFixture(t *testing.T, endBlockGas uint64) *fixture {
	t.Helper()
	c, err := example.New(example.Config{Address: counterAddr, EndBlockGas: endBlockGas})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := syscontract.NewRegistry(c)
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := state.New(types.EmptyRootHash, state.NewDatabaseForTesting())
	if err != nil {
		t.Fatal(err)
	}
	sdb.SetBalance(alice, uint256.NewInt(1_000_000), tracing.BalanceChangeUnspecified)
	return &fixture{t: t, reg: reg, counter: c, sdb: sdb,
		block: syscontract.BlockInfo{ChainID: big.NewInt(1337), Number: 7, Time: 70, BaseFee: big.NewInt(1), GasLimit: 30_000_000}}
}

func (f *fixture) pack(method string, args ...any) []byte {
	f.t.Helper()
	data, err := f.counter.ABI().Pack(method, args...)
	if err != nil {
		f.t.Fatal(err)
	}
	return data
}

func (f *fixture) run(value uint64, gas uint64, method string, args ...any) ([]byte, uint64, error) {
	return f.reg.Run(f.sdb, f.block, alice, counterAddr, uint256.NewInt(value), f.pack(method, args...), gas)
}

func (f *fixture) view(method string, args ...any) *big.Int {
	f.t.Helper()
	ret, _, err := f.reg.Call(f.sdb, f.block, alice, counterAddr, nil, f.pack(method, args...), 100_000)
	if err != nil {
		f.t.Fatalf("call %s: %v", method, err)
	}
	out, err := f.counter.ABI().Unpack(method, ret)
	if err != nil {
		f.t.Fatal(err)
	}
	return out[0].(*big.Int)
}

// TestRunIncrementStoresAndLogs proves dispatch by selector, fixed gas,
// storage in the contract's own account, outputs and ABI-encoded events.
func TestRunIncrementStoresAndLogs(t *testing.T) {
	f := newFixture(t, 0)
	f.sdb.SetTxContext(common.HexToHash("0x77"), 3, 0)
	ret, left, err := f.run(0, 50_000, "increment", big.NewInt(5))
	if err != nil {
		t.Fatal(err)
	}
	if left != 50_000-example.IncrementGas {
		t.Errorf("gas left %d, want %d", left, 50_000-example.IncrementGas)
	}
	out, _ := f.counter.ABI().Unpack("increment", ret)
	if out[0].(*big.Int).Int64() != 5 {
		t.Errorf("returned %v, want 5", out[0])
	}
	if got := f.sdb.GetState(counterAddr, syscontract.Slot(0)); got != common.BigToHash(big.NewInt(5)) {
		t.Errorf("slot 0 = %s", got)
	}
	logs := f.sdb.GetLogs(common.HexToHash("0x77"), 7, common.Hash{}, 70)
	if len(logs) != 1 {
		t.Fatalf("%d logs, want 1", len(logs))
	}
	ev := f.counter.ABI().Events["Incremented"]
	l := logs[0]
	if l.Address != counterAddr || len(l.Topics) != 2 || l.Topics[0] != ev.ID || l.Topics[1] != common.BytesToHash(alice.Bytes()) {
		t.Errorf("bad log %+v", l)
	}
	if l.TxIndex != 3 || l.BlockNumber != 7 {
		t.Errorf("log tx index %d block %d", l.TxIndex, l.BlockNumber)
	}
	vals, err := ev.Inputs.NonIndexed().Unpack(l.Data)
	if err != nil || vals[0].(*big.Int).Int64() != 5 {
		t.Errorf("log data %x: %v %v", l.Data, vals, err)
	}
}

// TestRunFailuresRevertEverything is a table of call failures: each leaves
// storage and balances exactly as before and reports the right error.
func TestRunFailuresRevertEverything(t *testing.T) {
	tests := []struct {
		name     string
		value    uint64
		gas      uint64
		input    func(f *fixture) []byte
		want     error
		wantLeft func(gas uint64) uint64
		reason   string
	}{
		{"revert after write", 0, 50_000, func(f *fixture) []byte { return f.pack("fail", "nope") },
			syscontract.ErrExecutionReverted, func(g uint64) uint64 { return g - example.FailGas }, "nope"},
		{"value to non-payable", 10, 50_000, func(f *fixture) []byte { return f.pack("increment", big.NewInt(1)) },
			syscontract.ErrNotPayable, func(g uint64) uint64 { return g - example.IncrementGas }, "method is not payable: increment does not accept value"},
		{"unknown selector", 0, 50_000, func(*fixture) []byte { return []byte{1, 2, 3, 4} },
			syscontract.ErrUnknownMethod, func(g uint64) uint64 { return g }, "unknown method: selector 0x01020304"},
		{"short calldata", 0, 50_000, func(*fixture) []byte { return []byte{1} },
			syscontract.ErrUnknownMethod, func(g uint64) uint64 { return g }, ""},
		{"bad arguments", 0, 50_000, func(f *fixture) []byte { return f.pack("increment", big.NewInt(1))[:10] },
			syscontract.ErrBadArguments, func(g uint64) uint64 { return g - example.IncrementGas }, ""},
		{"below fixed gas", 0, example.IncrementGas - 1, func(f *fixture) []byte { return f.pack("increment", big.NewInt(1)) },
			syscontract.ErrOutOfGas, func(uint64) uint64 { return 0 }, ""},
		{"metered out of gas", 0, 10_000, func(f *fixture) []byte { return f.pack("spin", big.NewInt(100)) },
			syscontract.ErrOutOfGas, func(uint64) uint64 { return 0 }, ""},
		{"value above caller balance", 2_000_000, 50_000, func(f *fixture) []byte { return f.pack("deposit") },
			syscontract.ErrCallerBalance, func(g uint64) uint64 { return g - example.DepositGas }, ""},
		{"withdraw more than deposited", 0, 50_000, func(f *fixture) []byte { return f.pack("withdraw", big.NewInt(1)) },
			syscontract.ErrExecutionReverted, func(g uint64) uint64 { return g - example.WithdrawGas }, "withdraw 1: only 0 deposited"},
		{"write in a view", 0, 50_000, func(f *fixture) []byte { return f.pack("writeInView") },
			syscontract.ErrWriteProtection, func(g uint64) uint64 { return g - example.ViewGas }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, 0)
			ret, left, err := f.reg.Run(f.sdb, f.block, alice, counterAddr, uint256.NewInt(tt.value), tt.input(f), tt.gas)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if ret != nil {
				t.Errorf("ret = %x on failure", ret)
			}
			if want := tt.wantLeft(tt.gas); left != want {
				t.Errorf("gas left %d, want %d", left, want)
			}
			if got := f.sdb.GetState(counterAddr, syscontract.Slot(0)); got != (common.Hash{}) {
				t.Errorf("storage changed: %s", got)
			}
			if got := f.sdb.GetBalance(alice).Uint64(); got != 1_000_000 {
				t.Errorf("caller balance %d", got)
			}
			if got := f.sdb.GetBalance(counterAddr).Uint64(); got != 0 {
				t.Errorf("contract balance %d", got)
			}
			var rev *syscontract.RevertError
			if tt.reason != "" {
				if !errors.As(err, &rev) {
					t.Fatalf("not a RevertError: %T", err)
				}
				decoded, derr := abi.UnpackRevert(rev.Data)
				if derr != nil || decoded != tt.reason {
					t.Errorf("revert data decodes to %q (%v), want %q", decoded, derr, tt.reason)
				}
			}
		})
	}
}

// TestDepositWithdrawMovesValue proves payable value reaches the contract's
// balance and Transfer pays it back out.
func TestDepositWithdrawMovesValue(t *testing.T) {
	f := newFixture(t, 0)
	if _, _, err := f.run(400, 50_000, "deposit"); err != nil {
		t.Fatal(err)
	}
	if got := f.view("depositOf", alice); got.Int64() != 400 {
		t.Errorf("depositOf = %s", got)
	}
	if got := f.sdb.GetBalance(counterAddr).Uint64(); got != 400 {
		t.Errorf("contract balance %d", got)
	}
	if _, _, err := f.run(0, 50_000, "withdraw", big.NewInt(150)); err != nil {
		t.Fatal(err)
	}
	if got := f.sdb.GetBalance(alice).Uint64(); got != 1_000_000-400+150 {
		t.Errorf("alice balance %d", got)
	}
	if got := f.view("depositOf", alice); got.Int64() != 250 {
		t.Errorf("depositOf after withdraw = %s", got)
	}
}

// TestCallNeverPersists proves a simulated state-changing call returns its
// result but leaves the state untouched.
func TestCallNeverPersists(t *testing.T) {
	f := newFixture(t, 0)
	ret, used, err := f.reg.Call(f.sdb, f.block, alice, counterAddr, nil, f.pack("increment", big.NewInt(9)), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	if used != example.IncrementGas {
		t.Errorf("gas used %d, want %d", used, example.IncrementGas)
	}
	out, _ := f.counter.ABI().Unpack("increment", ret)
	if out[0].(*big.Int).Int64() != 9 {
		t.Errorf("simulated result %v", out[0])
	}
	if got := f.view("count"); got.Sign() != 0 {
		t.Errorf("count persisted: %s", got)
	}
	if f.sdb.Exist(counterAddr) {
		t.Error("Call created the contract account")
	}
	if _, _, err := f.reg.Call(f.sdb, f.block, alice, counterAddr, uint256.NewInt(10), f.pack("deposit"), 100_000); err != nil {
		t.Fatalf("simulated deposit: %v", err)
	}
	if f.sdb.GetBalance(alice).Uint64() != 1_000_000 || f.sdb.GetBalance(counterAddr).Sign() != 0 {
		t.Error("simulated deposit moved value")
	}
	_, _, err = f.reg.Call(f.sdb, f.block, alice, common.HexToAddress("0x1234"), nil, nil, 100_000)
	if !errors.Is(err, syscontract.ErrNotSystemContract) {
		t.Errorf("call to plain account: %v", err)
	}
}

// TestEndBlockBudget proves hooks run with their budget, that metered
// writes count against it, and that a hook over budget is reverted.
func TestEndBlockBudget(t *testing.T) {
	enough := uint64(syscontract.StorageWriteGas + 10_000)
	f := newFixture(t, enough)
	f.sdb.SetTxContext(common.Hash{}, 0, 0)
	out := f.reg.EndBlock(f.sdb, f.block)
	if len(out) != 1 || out[0].Err != nil || out[0].Address != counterAddr {
		t.Fatalf("outcome %+v", out)
	}
	if out[0].GasUsed < syscontract.StorageWriteGas || out[0].GasUsed > enough {
		t.Errorf("gas used %d", out[0].GasUsed)
	}
	if got := f.view("endBlocks"); got.Int64() != 1 {
		t.Errorf("endBlocks = %s", got)
	}
	if logs := f.sdb.GetLogs(common.Hash{}, 7, common.Hash{}, 70); len(logs) != 1 {
		t.Errorf("%d end-block logs", len(logs))
	}

	poor := newFixture(t, syscontract.StorageWriteGas-1)
	out = poor.reg.EndBlock(poor.sdb, poor.block)
	if len(out) != 1 || !errors.Is(out[0].Err, syscontract.ErrOutOfGas) {
		t.Fatalf("outcome %+v, want out of gas", out)
	}
	if got := poor.view("endBlocks"); got.Sign() != 0 {
		t.Errorf("over-budget hook persisted endBlocks = %s", got)
	}
}

// TestSystemAccountSurvivesEIP158 proves a contract account called with no
// value is not deleted as empty, and carries the marker code.
func TestSystemAccountSurvivesEIP158(t *testing.T) {
	f := newFixture(t, 0)
	if _, _, err := f.run(0, 50_000, "fail", "x"); err == nil {
		t.Fatal("want revert")
	}
	f.sdb.Finalise(statedb.Rules())
	if !f.sdb.Exist(counterAddr) || f.sdb.GetNonce(counterAddr) != 1 {
		t.Fatal("system contract account missing after EIP-158 finalise")
	}
	if code := f.sdb.GetCode(counterAddr); len(code) != 1 || code[0] != 0xfe {
		t.Errorf("code %x", code)
	}
	fresh := newFixture(t, 0)
	fresh.sdb.SetNonce(counterAddr, 1, tracing.NonceChangeUnspecified) // a genesis alloc without code
	fresh.reg.Install(fresh.sdb)
	if fresh.sdb.GetNonce(counterAddr) != 1 || len(fresh.sdb.GetCode(counterAddr)) != 1 {
		t.Error("Install did not complete the account")
	}
	acct := f.reg.Accounts()[counterAddr]
	if acct.Nonce != 1 || string(acct.Code) != string(syscontract.MarkerCode()) {
		t.Errorf("genesis account %+v", acct)
	}
}

type badContract struct {
	*example.Counter
	methods map[string]syscontract.Method
}

func (b badContract) Methods() map[string]syscontract.Method { return b.methods }

// TestNewRegistryRejectsInconsistentContracts proves ABI/handler mismatches
// and duplicate addresses are refused at construction.
func TestNewRegistryRejectsInconsistentContracts(t *testing.T) {
	c, _ := example.New(example.Config{Address: counterAddr})
	missing := c.Methods()
	delete(missing, "count")
	extra := c.Methods()
	extra["notInABI"] = syscontract.Method{Handler: extra["count"].Handler}
	nilHandler := c.Methods()
	nilHandler["count"] = syscontract.Method{Gas: 1}
	for name, contracts := range map[string][]syscontract.Contract{
		"missing handler": {badContract{c, missing}},
		"extra handler":   {badContract{c, extra}},
		"nil handler":     {badContract{c, nilHandler}},
		"duplicate":       {c, c},
	} {
		if _, err := syscontract.NewRegistry(contracts...); !errors.Is(err, syscontract.ErrBadContract) {
			t.Errorf("%s: err = %v, want ErrBadContract", name, err)
		}
	}
}

// TestMappingSlotMatchesSolidity checks the slot helper against the naive
// Solidity definition keccak256(pad32(key) ++ pad32(slot)).
func TestMappingSlotMatchesSolidity(t *testing.T) {
	key := common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
	want := crypto.Keccak256Hash(common.LeftPadBytes(key.Bytes(), 32), common.LeftPadBytes([]byte{3}, 32))
	if got := syscontract.MappingSlot(syscontract.AddressKey(key), syscontract.Slot(3)); got != want {
		t.Fatalf("got %s want %s", got, want)
	}
	if !strings.HasPrefix(syscontract.NewRevertError("x").ErrorData().(string), "0x08c379a0") {
		t.Error("revert data does not start with the Error(string) selector")
	}
}
