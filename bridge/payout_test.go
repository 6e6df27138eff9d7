package bridge_test

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestPayWithdrawalPaysOnceAndEmits: the payer's call moves exactly the
// amount from the bridge to the recipient, adds it to totalWithdrawn and
// emits WithdrawalPaid, which decodes to the payout.
func TestPayWithdrawalPaysOnceAndEmits(t *testing.T) {
	e := newEnv(t)
	e.block = 20
	logsBefore := len(e.st.Logs())
	if err := e.call(payer, nil, bridge.PackPayWithdrawal(7, carol, eth(3))); err != nil {
		t.Fatal(err)
	}
	if !e.st.GetBalance(bridge.Address).Eq(eth(97)) || !e.st.GetBalance(carol).Eq(eth(3)) {
		t.Fatalf("bridge %s, recipient %s", e.st.GetBalance(bridge.Address), e.st.GetBalance(carol))
	}
	if got := bridge.TotalWithdrawn(e.st); got.Cmp(eth(3).ToBig()) != 0 {
		t.Fatalf("total withdrawn %s", got)
	}
	viewed, err := bridge.UnpackTotalWithdrawn(e.view(bridge.PackTotalWithdrawn()))
	if err != nil || viewed.Cmp(eth(3).ToBig()) != 0 {
		t.Fatalf("totalWithdrawn() = %v, %v", viewed, err)
	}
	if dep, err := bridge.UnpackTotalDeposited(e.view(bridge.PackTotalDeposited())); err != nil || dep.Sign() != 0 {
		t.Fatalf("totalDeposited() = %v, %v", dep, err)
	}
	logs := e.st.Logs()[logsBefore:]
	if len(logs) != 1 {
		t.Fatalf("%d logs", len(logs))
	}
	logs[0].BlockNumber = 20
	paid, err := bridge.ParseWithdrawalPaid(logs[0])
	if err != nil || paid.Nonce != 7 || paid.To != carol || paid.Amount.Cmp(eth(3).ToBig()) != 0 || paid.L1Block != 20 {
		t.Fatalf("WithdrawalPaid %+v, %v", paid, err)
	}
	if logs[0].Topics[0] != bridge.WithdrawalPaidTopic() || logs[0].Topics[2] != common.BytesToHash(carol[:]) {
		t.Fatal("WithdrawalPaid topics")
	}
	want, err := bridge.ABI().Pack("payWithdrawal", uint64(7), carol, eth(3).ToBig())
	if err != nil || string(want) != string(bridge.PackPayWithdrawal(7, carol, eth(3))) {
		t.Fatal("PackPayWithdrawal differs from the ABI encoding")
	}
	// A second payout of the same amount is another payout: the bridge
	// does not decide what is paid, the rollup contract does.
	if err := e.call(payer, nil, bridge.PackPayWithdrawal(8, carol, eth(1))); err != nil {
		t.Fatal(err)
	}
	if got := bridge.TotalWithdrawn(e.st); got.Cmp(eth(4).ToBig()) != 0 {
		t.Fatalf("total withdrawn %s after two payouts", got)
	}
}

// TestPayWithdrawalRefusals: only the payer may pay; the bridge never pays
// more than it holds, nor part of an amount; an unconfigured payer lets no
// one pay.
func TestPayWithdrawalRefusals(t *testing.T) {
	e := newEnv(t)
	before := e.st.IntermediateRoot(statedb.Rules())
	for _, who := range []common.Address{alice, bridge.Address, {}} {
		err := e.call(who, nil, bridge.PackPayWithdrawal(0, alice, eth(1)))
		if !errors.Is(err, bridge.ErrNotPayer) || !errors.Is(err, syscontract.ErrExecutionReverted) {
			t.Fatalf("payout by %s: %v", who, err)
		}
	}
	err := e.call(payer, nil, bridge.PackPayWithdrawal(0, alice, eth(101)))
	if !errors.Is(err, bridge.ErrPayout) || !errors.Is(err, syscontract.ErrContractBalance) {
		t.Fatalf("payout above the balance: %v", err)
	}
	if err := e.call(payer, eth(1), bridge.PackPayWithdrawal(0, alice, eth(1))); !errors.Is(err, syscontract.ErrNotPayable) {
		t.Fatalf("payout with value: %v", err)
	}
	if e.st.IntermediateRoot(statedb.Rules()) != before {
		t.Fatal("a refused payout changed the state")
	}

	unset, err := bridge.New(bridge.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := syscontract.NewRegistry(unset)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = reg.Run(e.st, e.info(), common.Address{}, bridge.Address, nil, bridge.PackPayWithdrawal(0, alice, eth(1)), 1_000_000)
	if !errors.Is(err, bridge.ErrNotPayer) {
		t.Fatalf("payout by the zero address to a bridge without payer: %v", err)
	}
}

// TestPayWithdrawalToTheBridgeBurns: a withdrawal whose L1 recipient is
// the bridge itself leaves the bridge's balance lower by the amount, as
// every payout does.
func TestPayWithdrawalToTheBridgeBurns(t *testing.T) {
	e := newEnv(t)
	if err := e.call(payer, nil, bridge.PackPayWithdrawal(0, bridge.Address, eth(2))); err != nil {
		t.Fatal(err)
	}
	if got := e.st.GetBalance(bridge.Address); !got.Eq(eth(98)) {
		t.Fatalf("bridge holds %s after paying itself 2 ETH", got)
	}
}

func TestParseWithdrawalPaidRefusesForeignLogs(t *testing.T) {
	topic := bridge.WithdrawalPaidTopic()
	amount, _ := bridge.ABI().Events["WithdrawalPaid"].Inputs.NonIndexed().Pack(big.NewInt(1))
	good := &types.Log{Address: bridge.Address, Topics: []common.Hash{topic, common.BigToHash(big.NewInt(3)), common.BytesToHash(alice[:])}, Data: amount}
	if got, err := bridge.ParseWithdrawalPaid(good); err != nil || got.Nonce != 3 || got.To != alice {
		t.Fatalf("a good log: %+v, %v", got, err)
	}
	wideNonce := *good
	wideNonce.Topics = []common.Hash{topic, common.BigToHash(new(big.Int).Lsh(big.NewInt(1), 64)), good.Topics[2]}
	otherContract, noData := *good, *good
	otherContract.Address = common.HexToAddress("0x1002")
	noData.Data = nil
	for name, lg := range map[string]*types.Log{
		"nil": nil, "wide nonce": &wideNonce, "other contract": &otherContract, "no data": &noData,
		"deposit": {Address: bridge.Address, Topics: []common.Hash{bridge.ABI().Events["Deposit"].ID, {}, {}}},
	} {
		if _, err := bridge.ParseWithdrawalPaid(lg); !errors.Is(err, bridge.ErrBadResponse) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := bridge.ParseOperation(good); !errors.Is(err, bridge.ErrBadResponse) {
		t.Errorf("ParseOperation of a WithdrawalPaid log: %v", err)
	}
}

func TestNewMethodsAndEventsInTheABI(t *testing.T) {
	a := bridge.ABI()
	for name, sig := range map[string]string{
		"forceWithdrawal": "forceWithdrawal(uint256)", "forceTransfer": "forceTransfer(address,uint256)",
		"payWithdrawal": "payWithdrawal(uint64,address,uint256)", "totalWithdrawn": "totalWithdrawn()",
	} {
		m, ok := a.Methods[name]
		if !ok || m.Sig != sig || m.IsPayable() {
			t.Errorf("method %s: %v %s payable=%v", name, ok, m.Sig, m.IsPayable())
		}
	}
	for name, sig := range map[string]string{
		"WithdrawalPaid":  "WithdrawalPaid(uint64,address,uint256)",
		"ForceWithdrawal": "ForceWithdrawal(address,address,uint256,uint64,uint64)",
		"ForceTransfer":   "ForceTransfer(address,address,uint256,uint64,uint64)",
	} {
		if ev, ok := a.Events[name]; !ok || ev.Sig != sig {
			t.Errorf("event %s: %v %s", name, ok, ev.Sig)
		}
	}
}
