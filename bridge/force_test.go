package bridge_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"
)

// TestForcedOperationsAreRecordedLikeDeposits: forced withdrawals and
// transfers share the deposits' per-block numbering and storage, carry the
// caller as their L2 account (and as the L1 recipient of a withdrawal),
// move nothing on L1, and emit logs that decode to what was recorded.
func TestForcedOperationsAreRecordedLikeDeposits(t *testing.T) {
	e := newEnv(t)
	e.block = 12
	if err := e.deposit(alice, bob, eth(4)); err != nil {
		t.Fatal(err)
	}
	logsBefore := len(e.st.Logs())
	if err := e.call(bob, nil, bridge.PackForceWithdrawal(eth(2))); err != nil {
		t.Fatal(err)
	}
	if err := e.call(alice, nil, bridge.PackForceTransfer(carol, eth(3))); err != nil {
		t.Fatal(err)
	}
	ops := e.ops(12)
	if len(ops) != 3 {
		t.Fatalf("%d operations", len(ops))
	}
	wantOp(t, ops[0], block.OpDeposit, 12, 0, alice, bob, eth(4))
	wantOp(t, ops[1], block.OpForceWithdrawal, 12, 1, bob, bob, eth(2))
	wantOp(t, ops[2], block.OpForceTransfer, 12, 2, alice, carol, eth(3))
	if !e.st.GetBalance(bridge.Address).Eq(eth(104)) || !e.st.GetBalance(bob).Eq(eth(1000)) || !e.st.GetBalance(alice).Eq(eth(996)) {
		t.Fatal("a forced operation moved value on L1")
	}
	if got := bridge.TotalDeposited(e.st); got.Cmp(eth(4).ToBig()) != 0 {
		t.Fatalf("total deposited %s: forced operations are not deposits", got)
	}
	logs := e.st.Logs()[logsBefore:]
	if len(logs) != 2 {
		t.Fatalf("%d logs", len(logs))
	}
	for i, lg := range logs {
		got, err := bridge.ParseOperation(lg)
		if err != nil || !reflect.DeepEqual(got, ops[i+1]) {
			t.Fatalf("log %d decodes to %+v (%v), recorded %+v", i, got, err, ops[i+1])
		}
	}
	if lg := logs[0]; lg.Topics[0] != bridge.ABI().Events["ForceWithdrawal"].ID || lg.Topics[1] != common.BytesToHash(bob[:]) {
		t.Fatal("ForceWithdrawal topics")
	}
	if _, err := bridge.ParseDeposit(logs[0]); !errors.Is(err, bridge.ErrBadResponse) {
		t.Fatal("ParseDeposit accepted a ForceWithdrawal log")
	}
	// Derivation reads them through the view unchanged.
	viewed, err := bridge.UnpackOperations(e.view(bridge.PackOperationsCall(12)))
	if err != nil || !reflect.DeepEqual(viewed, ops) {
		t.Fatalf("operations view %+v (%v), storage %+v", viewed, err, ops)
	}
	// The hand-made calldata equals what the ABI packs.
	for name, c := range map[string]struct {
		got  []byte
		args []any
	}{
		"forceWithdrawal": {bridge.PackForceWithdrawal(eth(2)), []any{eth(2).ToBig()}},
		"forceTransfer":   {bridge.PackForceTransfer(carol, eth(3)), []any{carol, eth(3).ToBig()}},
	} {
		want, err := bridge.ABI().Pack(name, c.args...)
		if err != nil || string(want) != string(c.got) {
			t.Errorf("Pack of %s differs from the ABI encoding (%v)", name, err)
		}
	}
}

func TestRefusedForcedOperationsRevertWithAReasonAndChangeNothing(t *testing.T) {
	e := newEnv(t)
	e.block = 3
	if err := e.call(alice, nil, bridge.PackForceWithdrawal(eth(1))); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		value *uint256.Int
		input []byte
		want  string
	}{
		{"withdrawal of zero", nil, bridge.PackForceWithdrawal(new(uint256.Int)), "forced withdrawal of 0 wei"},
		{"transfer of zero", nil, bridge.PackForceTransfer(bob, new(uint256.Int)), "forced transfer of 0 wei"},
		{"transfer to zero", nil, bridge.PackForceTransfer(common.Address{}, eth(1)), "forced transfer to the zero address"},
		{"transfer to the queue", nil, bridge.PackForceTransfer(bridge.WithdrawalQueueAddress, eth(1)), "L2 withdrawal queue"},
		{"value with a withdrawal", eth(1), bridge.PackForceWithdrawal(eth(1)), "forceWithdrawal does not accept value"},
		{"value with a transfer", eth(1), bridge.PackForceTransfer(bob, eth(1)), "forceTransfer does not accept value"},
		{"truncated calldata", nil, bridge.PackForceTransfer(bob, eth(1))[:40], "invalid method arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.st.IntermediateRoot(statedb.Rules())
			err := e.call(alice, tc.value, tc.input)
			if !errors.Is(err, syscontract.ErrExecutionReverted) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a revert containing %q", err, tc.want)
			}
			if e.st.IntermediateRoot(statedb.Rules()) != before || len(e.ops(3)) != 1 {
				t.Fatal("a refused forced operation changed the state")
			}
		})
	}
}

// TestForcedOperationsShareTheBlockBound: deposits and forced operations
// together fill an L1 block; the next one refuses either, and the next L1
// block takes them again.
func TestForcedOperationsShareTheBlockBound(t *testing.T) {
	e := newEnv(t)
	e.block = 5
	for i := range bridge.MaxOperationsPerBlock {
		var err error
		switch i % 3 {
		case 0:
			err = e.deposit(alice, bob, uint256.NewInt(uint64(i+1)))
		case 1:
			err = e.call(bob, nil, bridge.PackForceWithdrawal(uint256.NewInt(uint64(i+1))))
		default:
			err = e.call(carol, nil, bridge.PackForceTransfer(alice, uint256.NewInt(uint64(i+1))))
		}
		if err != nil {
			t.Fatalf("operation %d: %v", i, err)
		}
	}
	for name, input := range map[string][]byte{
		"forceWithdrawal": bridge.PackForceWithdrawal(eth(1)),
		"forceTransfer":   bridge.PackForceTransfer(bob, eth(1)),
	} {
		err := e.call(alice, nil, input)
		if !errors.Is(err, syscontract.ErrExecutionReverted) || !strings.Contains(err.Error(), "too many operations in this L1 block") {
			t.Fatalf("%s beyond the bound: %v", name, err)
		}
	}
	e.block = 6
	if err := e.call(alice, nil, bridge.PackForceTransfer(bob, eth(1))); err != nil {
		t.Fatalf("the next L1 block refused a forced transfer: %v", err)
	}
	ops := e.ops(5)
	if len(ops) != bridge.MaxOperationsPerBlock {
		t.Fatalf("%d operations in the full block", len(ops))
	}
	wantOp(t, ops[bridge.MaxOperationsPerBlock-1], block.OpDeposit, 5, bridge.MaxOperationsPerBlock-1, alice, bob,
		uint256.NewInt(bridge.MaxOperationsPerBlock))
	wantOp(t, ops[1], block.OpForceWithdrawal, 5, 1, bob, bob, uint256.NewInt(2))
	wantOp(t, ops[2], block.OpForceTransfer, 5, 2, carol, alice, uint256.NewInt(3))
}
