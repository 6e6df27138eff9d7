package bridge_test

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

var (
	alice = common.HexToAddress("0xa11ce")
	bob   = common.HexToAddress("0xb0b")
	carol = common.HexToAddress("0xca501")
	// payer stands for the rollup contract, the bridge's configured payer.
	payer = common.HexToAddress("0x0000000000000000000000000000000000001002")
)

func eth(n int64) *uint256.Int {
	return new(uint256.Int).Mul(uint256.NewInt(uint64(n)), uint256.NewInt(1e18))
}

type env struct {
	t     *testing.T
	db    *statedb.DB
	reg   *syscontract.Registry
	st    *state.StateDB
	block uint64
}

// newEnv is an L1 state with the bridge (marker code, a genesis balance
// of 100 ETH backing L2 prefunds) and alice and bob holding 1,000 ETH.
func newEnv(t *testing.T) *env {
	t.Helper()
	c, err := bridge.New(bridge.Config{Payer: payer})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: statedb.New(rawdb.NewMemoryDatabase()), block: 1}
	if e.reg, err = syscontract.NewRegistry(c); err != nil {
		t.Fatal(err)
	}
	alloc := e.reg.Accounts()
	acc := alloc[bridge.Address]
	acc.Balance = eth(100).ToBig()
	alloc[bridge.Address] = acc
	alloc[alice] = types.Account{Balance: eth(1000).ToBig()}
	alloc[bob] = types.Account{Balance: eth(1000).ToBig()}
	root, err := e.db.ApplyAlloc(alloc)
	if err != nil {
		t.Fatal(err)
	}
	if e.st, err = e.db.StateAt(root); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) info() syscontract.BlockInfo {
	return syscontract.BlockInfo{ChainID: big.NewInt(1337), Number: e.block, GasLimit: 30_000_000, BaseFee: big.NewInt(1)}
}

// call runs a transaction's call to the bridge.
func (e *env) call(from common.Address, value *uint256.Int, input []byte) error {
	e.t.Helper()
	_, _, err := e.reg.Run(e.st, e.info(), from, bridge.Address, value, input, 1_000_000)
	return err
}

func (e *env) deposit(from, to common.Address, value *uint256.Int) error {
	e.t.Helper()
	return e.call(from, value, bridge.PackDeposit(to))
}

// view runs an eth_call to the bridge.
func (e *env) view(input []byte) []byte {
	e.t.Helper()
	ret, _, err := e.reg.Call(e.st, e.info(), alice, bridge.Address, nil, input, 30_000_000)
	if err != nil {
		e.t.Fatal(err)
	}
	return ret
}

func (e *env) ops(l1Block uint64) []block.Operation {
	e.t.Helper()
	ops, err := bridge.ReadOperations(e.st, block.L1Number(l1Block))
	if err != nil {
		e.t.Fatal(err)
	}
	return ops
}

func wantOp(t *testing.T, got block.Operation, kind block.OpKind, l1Block, index uint64, from, to common.Address, amount *uint256.Int) {
	t.Helper()
	want := block.Operation{Kind: kind, L1Block: block.L1Number(l1Block), Index: index, From: from, To: to, Amount: amount.ToBig()}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("operation %+v, want %+v", got, want)
	}
}

func TestABIFileAndAddresses(t *testing.T) {
	embedded, err := os.ReadFile("bridge.json")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := os.ReadFile(filepath.Join("..", "abi", "bridge.json"))
	if err != nil || string(shipped) != string(embedded) {
		t.Fatalf("abi/bridge.json differs from bridge/bridge.json: %v", err)
	}
	if bridge.Address != common.HexToAddress("0x0000000000000000000000000000000000001003") ||
		bridge.WithdrawalQueueAddress != common.HexToAddress("0x0000000000000000000000000000000000002001") {
		t.Fatal("fixed addresses moved")
	}
	a := bridge.ABI()
	if !a.Methods["deposit"].IsPayable() || !a.Methods["operations"].IsConstant() || a.Events["Deposit"].ID == (common.Hash{}) {
		t.Fatal("ABI mutabilities are wrong")
	}
	if sig := a.Events["Deposit"].Sig; sig != "Deposit(address,address,uint256,uint64,uint64)" {
		t.Fatalf("Deposit event signature %s", sig)
	}
}

func TestDepositLocksRecordsAndEmits(t *testing.T) {
	e := newEnv(t)
	e.block = 7
	if err := e.deposit(alice, bob, eth(5)); err != nil {
		t.Fatal(err)
	}
	if got := e.st.GetBalance(bridge.Address); !got.Eq(eth(105)) {
		t.Fatalf("bridge holds %s, want 105 ETH", got)
	}
	if got := e.st.GetBalance(alice); !got.Eq(eth(995)) {
		t.Fatalf("alice holds %s, want 995 ETH", got)
	}
	if !e.st.GetBalance(bob).Eq(eth(1000)) {
		t.Fatal("the recipient was credited on L1")
	}
	ops := e.ops(7)
	if len(ops) != 1 {
		t.Fatalf("%d operations recorded", len(ops))
	}
	wantOp(t, ops[0], block.OpDeposit, 7, 0, alice, bob, eth(5))
	if got := bridge.TotalDeposited(e.st); got.Cmp(eth(5).ToBig()) != 0 {
		t.Fatalf("total deposited %s", got)
	}
	logs := e.st.Logs()
	if len(logs) != 1 {
		t.Fatalf("%d logs", len(logs))
	}
	logged, err := bridge.ParseDeposit(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(logged, ops[0]) {
		t.Fatalf("Deposit log %+v, recorded %+v", logged, ops[0])
	}
	if logs[0].Topics[1] != common.BytesToHash(alice[:]) || logs[0].Topics[2] != common.BytesToHash(bob[:]) {
		t.Fatal("from and to are not the indexed topics")
	}
}

func TestIndicesCountTheOperationsOfEachL1Block(t *testing.T) {
	e := newEnv(t)
	e.block = 7
	for _, d := range []struct {
		from, to common.Address
		eth      int64
	}{{alice, bob, 1}, {bob, alice, 2}, {alice, carol, 3}} {
		if err := e.deposit(d.from, d.to, eth(d.eth)); err != nil {
			t.Fatal(err)
		}
	}
	e.block = 8
	if err := e.deposit(bob, bob, eth(4)); err != nil {
		t.Fatal(err)
	}
	if err := e.deposit(alice, alice, eth(5)); err != nil {
		t.Fatal(err)
	}
	in7, in8 := e.ops(7), e.ops(8)
	if len(in7) != 3 || len(in8) != 2 || len(e.ops(9)) != 0 {
		t.Fatalf("operations per block: %d, %d, %d", len(in7), len(in8), len(e.ops(9)))
	}
	wantOp(t, in7[0], block.OpDeposit, 7, 0, alice, bob, eth(1))
	wantOp(t, in7[1], block.OpDeposit, 7, 1, bob, alice, eth(2))
	wantOp(t, in7[2], block.OpDeposit, 7, 2, alice, carol, eth(3))
	wantOp(t, in8[0], block.OpDeposit, 8, 0, bob, bob, eth(4))
	wantOp(t, in8[1], block.OpDeposit, 8, 1, alice, alice, eth(5))
	if bridge.OperationCount(e.st, 7) != 3 || bridge.OperationCount(e.st, 8) != 2 {
		t.Fatal("operation counts are wrong")
	}
	if got := bridge.TotalDeposited(e.st); got.Cmp(eth(15).ToBig()) != 0 {
		t.Fatalf("total deposited %s, want 15 ETH", got)
	}
	if got := e.st.GetBalance(bridge.Address); !got.Eq(eth(115)) {
		t.Fatalf("bridge holds %s, want 115 ETH", got)
	}
}

func TestRefusedDepositsRevertWithAReasonAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	e.block = 3
	if err := e.deposit(alice, bob, eth(1)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		from  common.Address
		value *uint256.Int
		input []byte
		want  string
	}{
		{"zero value", alice, nil, bridge.PackDeposit(bob), "deposit of 0 wei: send the amount to deposit as the transaction value"},
		{"zero recipient", alice, eth(1), bridge.PackDeposit(common.Address{}), "deposit to the zero address"},
		{"withdrawal queue", alice, eth(1), bridge.PackDeposit(bridge.WithdrawalQueueAddress), "L2 withdrawal queue"},
		{"more than the balance", alice, eth(5000), bridge.PackDeposit(bob), "caller balance too low"},
		{"value to a view", alice, eth(1), bridge.PackOperationsCall(3), "not payable"},
		{"truncated calldata", alice, eth(1), bridge.PackDeposit(bob)[:20], "invalid method arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.st.IntermediateRoot(statedb.Rules())
			err := e.call(tc.from, tc.value, tc.input)
			if !errors.Is(err, syscontract.ErrExecutionReverted) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a revert containing %q", err, tc.want)
			}
			if after := e.st.IntermediateRoot(statedb.Rules()); after != before {
				t.Fatal("a refused deposit changed the state")
			}
			if len(e.ops(3)) != 1 || !e.st.GetBalance(alice).Eq(eth(999)) {
				t.Fatal("a refused deposit was recorded or took value")
			}
		})
	}
}

func TestAFullL1BlockRefusesDeposits(t *testing.T) {
	e := newEnv(t)
	e.block = 5
	for i := range bridge.MaxOperationsPerBlock {
		if err := e.deposit(alice, bob, uint256.NewInt(uint64(i+1))); err != nil {
			t.Fatalf("deposit %d: %v", i, err)
		}
	}
	before := e.st.IntermediateRoot(statedb.Rules())
	err := e.deposit(bob, bob, eth(1))
	if !errors.Is(err, syscontract.ErrExecutionReverted) ||
		!strings.Contains(err.Error(), "bridge: too many operations in this L1 block, retry in the next") {
		t.Fatalf("deposit beyond the bound: %v", err)
	}
	if e.st.IntermediateRoot(statedb.Rules()) != before {
		t.Fatal("the refused deposit changed the state")
	}
	e.block = 6
	if err := e.deposit(bob, bob, eth(1)); err != nil {
		t.Fatalf("the next L1 block refused a deposit: %v", err)
	}
	if ops := e.ops(5); len(ops) != bridge.MaxOperationsPerBlock || ops[len(ops)-1].Index != bridge.MaxOperationsPerBlock-1 {
		t.Fatalf("%d operations in the full block", len(ops))
	}
	ret := e.view(bridge.PackOperationsCall(5))
	ops, err := bridge.UnpackOperations(ret)
	if err != nil || len(ops) != bridge.MaxOperationsPerBlock {
		t.Fatalf("full block through the view: %d operations, %v", len(ops), err)
	}
}

func TestViewsRoundTripThroughTheClientCodec(t *testing.T) {
	e := newEnv(t)
	e.block = 9
	if err := e.deposit(alice, bob, eth(2)); err != nil {
		t.Fatal(err)
	}
	if err := e.deposit(bob, carol, eth(3)); err != nil {
		t.Fatal(err)
	}
	ops, err := bridge.UnpackOperations(e.view(bridge.PackOperationsCall(9)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ops, e.ops(9)) {
		t.Fatalf("view %+v, storage %+v", ops, e.ops(9))
	}
	n, err := bridge.UnpackOperationCount(e.view(bridge.PackOperationCountCall(9)))
	if err != nil || n != 2 {
		t.Fatalf("operationCount = %d, %v", n, err)
	}
	empty, err := bridge.UnpackOperations(e.view(bridge.PackOperationsCall(10)))
	if err != nil || len(empty) != 0 {
		t.Fatalf("operations of a block without any: %v, %v", empty, err)
	}
	out, err := bridge.ABI().Unpack("totalDeposited", e.view(bridge.ABI().Methods["totalDeposited"].ID))
	if err != nil || out[0].(*big.Int).Cmp(eth(5).ToBig()) != 0 {
		t.Fatalf("totalDeposited = %v, %v", out, err)
	}
	// The hand-made calldata equals what the ABI packs.
	packed, err := bridge.ABI().Pack("operations", uint64(9))
	if err != nil || string(packed) != string(bridge.PackOperationsCall(9)) {
		t.Fatal("PackOperationsCall differs from the ABI encoding")
	}
	packed, err = bridge.ABI().Pack("deposit", carol)
	if err != nil || string(packed) != string(bridge.PackDeposit(carol)) {
		t.Fatal("PackDeposit differs from the ABI encoding")
	}
}

func TestUnpackOperationsRefusesMalformedResults(t *testing.T) {
	type tuple = struct {
		Kind    uint8
		L1Block uint64
		Index   uint64
		From    common.Address
		To      common.Address
		Amount  *big.Int
	}
	good := tuple{Kind: 1, L1Block: 4, Index: 0, From: alice, To: bob, Amount: big.NewInt(1)}
	enc := func(list ...tuple) []byte {
		ret, err := bridge.ABI().Methods["operations"].Outputs.Pack(list)
		if err != nil {
			t.Fatal(err)
		}
		return ret
	}
	if ops, err := bridge.UnpackOperations(enc(good)); err != nil || len(ops) != 1 {
		t.Fatalf("a good result: %v, %v", ops, err)
	}
	badKind, misnumbered, otherBlock := good, good, good
	badKind.Kind = 9
	misnumbered.Index = 5
	otherBlock.L1Block, otherBlock.Index = 5, 1
	for name, ret := range map[string][]byte{
		"garbage":      {1, 2, 3},
		"unknown kind": enc(badKind),
		"misnumbered":  enc(misnumbered),
		"mixed blocks": enc(good, otherBlock),
		"too long":     make([]byte, 64+(bridge.MaxOperationsPerBlock+1)*6*32),
	} {
		if _, err := bridge.UnpackOperations(ret); !errors.Is(err, bridge.ErrBadResponse) {
			t.Errorf("%s: got %v, want ErrBadResponse", name, err)
		}
	}
	if _, err := bridge.ParseDeposit(&types.Log{Address: bridge.Address}); !errors.Is(err, bridge.ErrBadResponse) {
		t.Fatalf("ParseDeposit of a foreign log: %v", err)
	}
}

func TestOperationsAreInTheStateRoot(t *testing.T) {
	e := newEnv(t)
	e.block = 2
	rootBefore, err := e.db.Commit(e.st, 1)
	if err != nil {
		t.Fatal(err)
	}
	if e.st, err = e.db.StateAt(rootBefore); err != nil {
		t.Fatal(err)
	}
	if err := e.deposit(alice, bob, eth(7)); err != nil {
		t.Fatal(err)
	}
	root, err := e.db.Commit(e.st, 2)
	if err != nil {
		t.Fatal(err)
	}
	if root == rootBefore {
		t.Fatal("a deposit did not change the state root")
	}
	// A fresh view of the committed state reads the same operation.
	fresh, err := e.db.StateAt(root)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := bridge.ReadOperations(fresh, 2)
	if err != nil || len(ops) != 1 {
		t.Fatalf("operations from the committed state: %v, %v", ops, err)
	}
	wantOp(t, ops[0], block.OpDeposit, 2, 0, alice, bob, eth(7))
	// The bridge's storage root commits to every word of it.
	storageRoot := fresh.GetStorageRoot(bridge.Address)
	if storageRoot == types.EmptyRootHash || storageRoot == (common.Hash{}) {
		t.Fatal("the bridge has no storage root")
	}
	amountSlot := documentedSlot(2, 0, 3)
	if fresh.GetState(bridge.Address, amountSlot) != eth(7).Bytes32() {
		t.Fatal("the amount is not where doc.go says")
	}
	if head := fresh.GetState(bridge.Address, documentedSlot(2, 0, 0)); head != common.BigToHash(big.NewInt(1|2<<8)) {
		t.Fatalf("the packed kind/l1Block/index word is %s", head)
	}
	fresh.SetState(bridge.Address, amountSlot, eth(8).Bytes32())
	if fresh.IntermediateRoot(statedb.Rules()) == root {
		t.Fatal("changing a recorded amount does not change the state root")
	}
}

// countSlot is the documented slot of L1 block l1Block's operation count.
func countSlot(l1Block uint64) common.Hash {
	return syscontract.MappingSlot(syscontract.Uint64Key(l1Block), syscontract.Slot(1))
}

// documentedSlot is word w of operation i of L1 block l1Block, as doc.go
// lays it out: keccak256(countSlot) + 4i + w.
func documentedSlot(l1Block, i, w uint64) common.Hash {
	p := countSlot(l1Block)
	base := new(uint256.Int).SetBytes(crypto.Keccak256(p[:]))
	return base.AddUint64(base, 4*i+w).Bytes32()
}

func TestReadOperationsRefusesInconsistentStorage(t *testing.T) {
	e := newEnv(t)
	e.block = 4
	if err := e.deposit(alice, bob, eth(1)); err != nil {
		t.Fatal(err)
	}
	// Corrupt the count: more than the bound.
	st := e.st.Copy()
	st.SetState(bridge.Address, countSlot(4), common.BigToHash(big.NewInt(bridge.MaxOperationsPerBlock+1)))
	if _, err := bridge.ReadOperations(st, 4); !errors.Is(err, bridge.ErrBadState) {
		t.Fatalf("count over the bound: %v", err)
	}
	// A count of two with only one operation written: the second is empty.
	st = e.st.Copy()
	st.SetState(bridge.Address, countSlot(4), common.BigToHash(big.NewInt(2)))
	if _, err := bridge.ReadOperations(st, 4); !errors.Is(err, bridge.ErrBadState) {
		t.Fatalf("a missing operation: %v", err)
	}
}
