package execution

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
)

// queueEnv is an L2 env whose system contracts are the withdrawal queue.
func queueEnv(t *testing.T, n int) *env {
	e := l2Env(t, n, 0)
	q := withdrawalqueue.New()
	e.cfg.L2.Queue = q
	reg, err := e.cfg.L2.SystemContracts()
	if err != nil {
		t.Fatal(err)
	}
	e.reg = reg
	return e
}

func forceWithdrawal(l1 block.L1Number, index uint64, who common.Address, amount *big.Int) block.Operation {
	return block.Operation{Kind: block.OpForceWithdrawal, L1Block: l1, Index: index, From: who, To: who, Amount: amount}
}

// TestWithdrawalsOfABlock proves a block's withdrawal list: its forced
// withdrawals first, then its transactions', numbered by one nonce
// sequence that continues in the next block; the value leaves the L2
// supply; a forced withdrawal the balance cannot cover is recorded as
// failed and takes no nonce; a reverted withdrawal transaction adds none.
func TestWithdrawalsOfABlock(t *testing.T) {
	e := queueEnv(t, 3)
	q := withdrawalqueue.Address
	alice, bob, carol := addrOf(e.keys[0]), addrOf(e.keys[1]), addrOf(e.keys[2])
	l1Recipient := common.HexToAddress("0x7777777777777777777777777777777777777777")
	withdrawTx := e.dyn(1, 0, &q, big.NewInt(300), 100_000, withdrawalqueue.PackInitiate(l1Recipient))
	zeroTx := e.dyn(2, 0, &q, new(big.Int), 100_000, withdrawalqueue.PackInitiate(l1Recipient)) // reverts: no value
	sdb := e.state()
	supplyBefore := sumBalances(sdb, alice, bob, carol, testVault, q)
	res, err := ApplyBlock(e.cfg, sdb, l2Header(1), []*types.Transaction{withdrawTx, zeroTx}, e.reg, RejectInvalid,
		Options{L2: l2Extras(
			forceWithdrawal(3, 0, alice, big.NewInt(500)),
			forceWithdrawal(3, 1, carol, new(big.Int).Mul(ether, big.NewInt(2))), // more than carol has
		)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Operations[0].Err != nil || !errors.Is(res.Operations[1].Err, ErrOperationFailed) {
		t.Fatalf("operations %+v", res.Operations)
	}
	if res.Receipts[0].Status != types.ReceiptStatusSuccessful || res.Receipts[1].Status != types.ReceiptStatusFailed {
		t.Fatalf("receipt statuses %d, %d", res.Receipts[0].Status, res.Receipts[1].Status)
	}
	want := []block.Withdrawal{
		{Nonce: 0, From: alice, To: alice, Amount: big.NewInt(500)},
		{Nonce: 1, From: bob, To: l1Recipient, Amount: big.NewInt(300)},
	}
	if !equalWithdrawals(res.Withdrawals, want) {
		t.Fatalf("withdrawals %+v, want %+v", res.Withdrawals, want)
	}
	// The withdrawn value left the L2: the supply fell by exactly 800.
	supplyAfter := sumBalances(sdb, alice, bob, carol, testVault, q)
	if diff := new(big.Int).Sub(supplyBefore, supplyAfter); diff.Cmp(big.NewInt(800)) != 0 {
		t.Fatalf("supply fell by %s, want 800", diff)
	}
	if got := sdb.GetBalance(q); !got.IsZero() {
		t.Fatalf("the queue holds %s: withdrawn value must be burned", got)
	}

	// The next block continues the nonces.
	e.root = commitState(t, e, sdb)
	again := e.dyn(0, 0, &q, big.NewInt(7), 100_000, withdrawalqueue.PackInitiate(alice))
	res2, err := ApplyBlock(e.cfg, e.state(), l2Header(2), []*types.Transaction{again}, e.reg, RejectInvalid, Options{L2: l2Extras()})
	if err != nil {
		t.Fatal(err)
	}
	if !equalWithdrawals(res2.Withdrawals, []block.Withdrawal{{Nonce: 2, From: alice, To: alice, Amount: big.NewInt(7)}}) {
		t.Fatalf("next block's withdrawals %+v", res2.Withdrawals)
	}
}

// TestWithdrawalsNeedTheQueueInTheRegistry proves an L2 with a queue
// refuses to run without it among its system contracts.
func TestWithdrawalsNeedTheQueueInTheRegistry(t *testing.T) {
	e := queueEnv(t, 1)
	empty, err := syscontract.NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	_, err = ApplyBlock(e.cfg, e.state(), l2Header(1), nil, empty, RejectInvalid, Options{L2: l2Extras()})
	if !errors.Is(err, ErrBadConfig) {
		t.Fatalf("executor without the queue: %v, want ErrBadConfig", err)
	}
}

// TestWithdrawalsAreStateless proves a stateless re-execution from the
// witness finds the same withdrawals (the fraud proof's computed root).
func TestWithdrawalsAreStateless(t *testing.T) {
	e := queueEnv(t, 2)
	q := withdrawalqueue.Address
	tx := e.dyn(1, 0, &q, big.NewInt(42), 100_000, withdrawalqueue.PackInitiate(addrOf(e.keys[1])))
	extras := l2Extras(forceWithdrawal(3, 0, addrOf(e.keys[0]), big.NewInt(9)))
	full, err := ApplyBlock(e.cfg, e.state(), l2Header(1), []*types.Transaction{tx}, e.reg, SkipInvalid,
		Options{L2: extras, CollectWitness: true})
	if err != nil {
		t.Fatal(err)
	}
	sdb, err := OpenWitnessState(full.Witness, e.root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ApplyBlock(e.cfg, sdb, l2Header(1), []*types.Transaction{tx}, e.reg, SkipInvalid, Options{L2: extras})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Withdrawals) != 2 || !equalWithdrawals(res.Withdrawals, full.Withdrawals) || res.StateRoot != full.StateRoot {
		t.Fatalf("stateless withdrawals %+v, full %+v", res.Withdrawals, full.Withdrawals)
	}
}

func equalWithdrawals(a, b []block.Withdrawal) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Nonce != b[i].Nonce || a[i].From != b[i].From || a[i].To != b[i].To || a[i].Amount.Cmp(b[i].Amount) != 0 {
			return false
		}
	}
	return true
}

// commitState commits sdb as block 1's post-state and returns its root.
func commitState(t *testing.T, e *env, sdb *state.StateDB) common.Hash {
	t.Helper()
	root, err := e.db.Commit(sdb, 1)
	if err != nil {
		t.Fatal(err)
	}
	return root
}
