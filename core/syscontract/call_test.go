package syscontract_test

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/core/syscontract/example"
)

var proxyAddr = common.HexToAddress("0x00000000000000000000000000000000000000e2")

const proxyABI = `[
  {"type":"function","name":"forward","stateMutability":"nonpayable","inputs":[{"name":"target","type":"address"},{"name":"data","type":"bytes"}],"outputs":[{"name":"","type":"bytes"}]},
  {"type":"function","name":"tryForward","stateMutability":"nonpayable","inputs":[{"name":"target","type":"address"},{"name":"data","type":"bytes"}],"outputs":[{"name":"ok","type":"bool"}]},
  {"type":"function","name":"viewForward","stateMutability":"view","inputs":[{"name":"target","type":"address"},{"name":"data","type":"bytes"}],"outputs":[{"name":"","type":"bytes"}]},
  {"type":"function","name":"recurse","stateMutability":"nonpayable","inputs":[],"outputs":[]}
]`

// Gas of the proxy's methods.
const (
	forwardGas = 1_000
	recurseGas = 100
)

// proxy is a test contract whose methods call other system contracts, and
// whose end-of-block hook sends endBlockCall to the counter.
type proxy struct {
	abi          *abi.ABI
	endBlockCall []byte
	endBlockGas  uint64
}

func newProxy(t *testing.T, endBlockCall []byte, endBlockGas uint64) *proxy {
	t.Helper()
	a, err := syscontract.ParseABI(proxyABI)
	if err != nil {
		t.Fatal(err)
	}
	return &proxy{abi: a, endBlockCall: endBlockCall, endBlockGas: endBlockGas}
}

func (p *proxy) Address() common.Address { return proxyAddr }
func (p *proxy) ABI() *abi.ABI           { return p.abi }
func (p *proxy) MaxCallDataSize() uint64 { return 0 }
func (p *proxy) EndBlockGas() uint64     { return p.endBlockGas }

func (p *proxy) EndBlock(ctx *syscontract.Context) error {
	if p.endBlockCall == nil {
		return nil
	}
	_, err := ctx.CallContract(counterAddr, p.endBlockCall)
	return err
}

func (p *proxy) Methods() map[string]syscontract.Method {
	forward := func(ctx *syscontract.Context, args []any) ([]any, error) {
		ret, err := ctx.CallContract(args[0].(common.Address), args[1].([]byte))
		if err != nil {
			return nil, err
		}
		return []any{ret}, nil
	}
	return map[string]syscontract.Method{
		"forward":     {Gas: forwardGas, Handler: forward},
		"viewForward": {Gas: forwardGas, Handler: forward},
		"tryForward": {Gas: forwardGas, Handler: func(ctx *syscontract.Context, args []any) ([]any, error) {
			_, err := ctx.CallContract(args[0].(common.Address), args[1].([]byte))
			// The caller goes on after a failed call, and its own write stays.
			if werr := ctx.SetState(syscontract.Slot(0), common.BigToHash(big.NewInt(1))); werr != nil {
				return nil, werr
			}
			return []any{err == nil}, nil
		}},
		"recurse": {Gas: recurseGas, Handler: func(ctx *syscontract.Context, _ []any) ([]any, error) {
			if err := ctx.SetState(syscontract.Slot(1), common.BigToHash(big.NewInt(1))); err != nil {
				return nil, err
			}
			_, err := ctx.CallContract(proxyAddr, p.abi.Methods["recurse"].ID)
			return nil, err
		}},
	}
}

// newCallFixture is the counter fixture with the proxy registered beside
// the counter.
func newCallFixture(t *testing.T, endBlockCall []byte, endBlockGas uint64) (*fixture, *proxy) {
	t.Helper()
	f := newFixture(t, 0)
	p := newProxy(t, endBlockCall, endBlockGas)
	reg, err := syscontract.NewRegistry(f.counter, p)
	if err != nil {
		t.Fatal(err)
	}
	f.reg = reg
	return f, p
}

func (f *fixture) packProxy(p *proxy, method string, args ...any) []byte {
	f.t.Helper()
	data, err := p.abi.Pack(method, args...)
	if err != nil {
		f.t.Fatal(err)
	}
	return data
}

// incrementLogGas is the metered price of the counter's Incremented log
// (two topics, one word of data).
const incrementLogGas = syscontract.LogGas + 2*syscontract.LogTopicGas + 32*syscontract.LogDataGas

// TestCallContractRunsCalleeAsCaller: the callee's method runs with the
// calling contract as its caller, writes the callee's storage, emits the
// callee's log, returns its outputs, and the caller pays the call, the
// callee's fixed gas and its metered effects.
func TestCallContractRunsCalleeAsCaller(t *testing.T) {
	f, p := newCallFixture(t, nil, 0)
	f.sdb.SetTxContext(common.HexToHash("0x78"), 0, 0)
	const gas = 100_000
	ret, left, err := f.reg.Run(f.sdb, f.block, alice, proxyAddr, nil,
		f.packProxy(p, "forward", counterAddr, f.pack("increment", big.NewInt(4))), gas)
	if err != nil {
		t.Fatal(err)
	}
	want := uint64(forwardGas + syscontract.InternalCallGas + example.IncrementGas + syscontract.StorageWriteGas + incrementLogGas)
	if used := gas - left; used != want {
		t.Errorf("gas used %d, want %d", used, want)
	}
	out, err := p.abi.Unpack("forward", ret)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := f.counter.ABI().Unpack("increment", out[0].([]byte))
	if err != nil || inner[0].(*big.Int).Int64() != 4 {
		t.Fatalf("callee returned %v (%v)", inner, err)
	}
	if got := f.view("count"); got.Int64() != 4 {
		t.Errorf("count = %s", got)
	}
	logs := f.sdb.GetLogs(common.HexToHash("0x78"), 7, common.Hash{}, 70)
	if len(logs) != 1 || logs[0].Address != counterAddr || logs[0].Topics[1] != common.BytesToHash(proxyAddr.Bytes()) {
		t.Fatalf("logs %+v: want the counter's log naming the proxy as caller", logs)
	}
}

// TestCallContractFailureRevertsOnlyCallee: a callee that reverts after a
// write leaves nothing behind; the caller sees the error, goes on, and its
// own write stays. Returned from the handler, the failure reverts the
// caller too, with a reason naming the callee.
func TestCallContractFailureRevertsOnlyCallee(t *testing.T) {
	f, p := newCallFixture(t, nil, 0)
	ret, _, err := f.reg.Run(f.sdb, f.block, alice, proxyAddr, nil,
		f.packProxy(p, "tryForward", counterAddr, f.pack("fail", "no")), 100_000)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ := p.abi.Unpack("tryForward", ret); out[0].(bool) {
		t.Fatal("tryForward reports success")
	}
	if got := f.view("count"); got.Sign() != 0 {
		t.Errorf("the failed callee's write persisted: count %s", got)
	}
	if got := f.sdb.GetState(proxyAddr, syscontract.Slot(0)); got != common.BigToHash(big.NewInt(1)) {
		t.Error("the caller's own write after the failed call was lost")
	}

	_, _, err = f.reg.Run(f.sdb, f.block, alice, proxyAddr, nil, f.packProxy(p, "forward", counterAddr, f.pack("fail", "no")), 100_000)
	var rev *syscontract.RevertError
	if !errors.As(err, &rev) || rev.Reason != "internal call to "+counterAddr.Hex()+": no" {
		t.Fatalf("forward of a failing call: %v", err)
	}
	if decoded, derr := abi.UnpackRevert(rev.Data); derr != nil || decoded != rev.Reason {
		t.Errorf("revert data %q (%v)", decoded, derr)
	}
}

// TestCallContractRefusals: no contract at the address, a write from a
// view caller, a callee out of gas, and unbounded recursion.
func TestCallContractRefusals(t *testing.T) {
	f, p := newCallFixture(t, nil, 0)
	run := func(input []byte, gas uint64) (uint64, error) {
		_, left, err := f.reg.Run(f.sdb, f.block, alice, proxyAddr, nil, input, gas)
		return left, err
	}
	if _, err := run(f.packProxy(p, "forward", common.HexToAddress("0x1234"), f.pack("count")), 100_000); !errors.Is(err, syscontract.ErrNotSystemContract) {
		t.Errorf("call to a plain account: %v", err)
	}
	if _, err := run(f.packProxy(p, "viewForward", counterAddr, f.pack("increment", big.NewInt(1))), 100_000); !errors.Is(err, syscontract.ErrWriteProtection) {
		t.Errorf("write through a view: %v", err)
	}
	ret, _, err := f.reg.Call(f.sdb, f.block, alice, proxyAddr, nil, f.packProxy(p, "viewForward", counterAddr, f.pack("count")), 100_000)
	if err != nil {
		t.Fatalf("view through a view: %v", err)
	}
	if out, _ := p.abi.Unpack("viewForward", ret); len(out[0].([]byte)) != 32 {
		t.Errorf("view through a view returned %x", out[0])
	}
	left, err := run(f.packProxy(p, "forward", counterAddr, f.pack("spin", big.NewInt(1000))), 50_000)
	if !errors.Is(err, syscontract.ErrOutOfGas) || left != 0 {
		t.Errorf("callee out of gas: %v, %d gas left", err, left)
	}
	if _, err := run(f.packProxy(p, "recurse"), 1_000_000); !errors.Is(err, syscontract.ErrCallDepth) {
		t.Errorf("recursion: %v", err)
	}
	if got := f.sdb.GetState(proxyAddr, syscontract.Slot(1)); got != (common.Hash{}) {
		t.Error("a refused recursion left a write")
	}
	if got := f.view("count"); got.Sign() != 0 {
		t.Errorf("count = %s after refused calls", got)
	}
}

// TestCallContractFromEndBlock: a hook calls another contract within its
// budget, metered; a budget too small for the call reverts the hook.
func TestCallContractFromEndBlock(t *testing.T) {
	c, err := example.New(example.Config{Address: counterAddr})
	if err != nil {
		t.Fatal(err)
	}
	call, err := c.ABI().Pack("increment", big.NewInt(2))
	if err != nil {
		t.Fatal(err)
	}
	need := uint64(syscontract.InternalCallGas + example.IncrementGas + syscontract.StorageWriteGas + incrementLogGas)
	for _, budget := range []uint64{need, need - 1} {
		f, _ := newCallFixture(t, call, budget)
		var hook *syscontract.EndBlockOutcome
		for _, o := range f.reg.EndBlock(f.sdb, f.block) {
			if o.Address == proxyAddr {
				hook = &o
			}
		}
		want := int64(2)
		switch {
		case hook == nil:
			t.Fatal("the proxy's hook did not run")
		case budget == need && (hook.Err != nil || hook.GasUsed != need):
			t.Fatalf("hook: %v, %d gas used, want %d", hook.Err, hook.GasUsed, need)
		case budget < need:
			if !errors.Is(hook.Err, syscontract.ErrOutOfGas) {
				t.Fatalf("hook over budget: %v", hook.Err)
			}
			want = 0
		}
		if got := f.view("count"); got.Int64() != want {
			t.Errorf("budget %d: count = %s, want %d", budget, got, want)
		}
	}
}
