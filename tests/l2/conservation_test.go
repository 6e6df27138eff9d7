package l2_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/devnet/devkeys"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
)

// testConservation: at every L2 block n of the run so far (deposits,
// transfers, withdrawals, the killed stream), DESIGN §6's invariant holds
// with X = n's origin: the L1 bridge's balance at X equals the L2 supply
// after n plus the withdrawals initiated up to n that the L1 has not paid
// by X (the withdrawal queue's totalWithdrawn at n minus the bridge's
// totalWithdrawn at X; every withdrawal paid by X was initiated before n,
// since its batch finalized W blocks before). The supply is summed over
// every address that can hold L2 value: the ten development accounts, the
// fee vault, the withdrawal queue, every block's coinbase, every sender and
// recipient of an L2 transaction and every account an L1 operation names
// (read from the operations each block commits to). Also: every L1 bridge
// operation log (deposit, forced withdrawal, forced transfer) up to the
// head's origin is applied in exactly one L2 block, and every block's
// timestamp is not before its parent's nor its origin's.
func testConservation(t *testing.T, e *env) {
	ctx := testCtx(t, 2*time.Minute)
	head, err := e.l2().BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	addrs := map[common.Address]bool{rollupconfig.FeeVault: true, bridge.WithdrawalQueueAddress: true}
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accounts {
		addrs[a.Address] = true
	}
	applied := map[block.OperationID]uint64{}
	var prevTime uint64
	for n := uint64(0); n <= head; n++ {
		b, err := e.l2().BlockByNumber(ctx, big64(n))
		if err != nil {
			t.Fatalf("L2 block %d: %v", n, err)
		}
		addrs[b.Coinbase()] = true
		for _, tx := range b.Transactions() {
			from, err := types.Sender(e.l2Signer, tx)
			if err != nil {
				t.Fatalf("L2 block %d: sender of %s: %v", n, tx.Hash(), err)
			}
			addrs[from] = true
			if tx.To() != nil {
				addrs[*tx.To()] = true
			}
		}
		o, err := e.origins.at(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		if o.Header.Hash() != b.Hash() {
			t.Fatalf("L2 block %d changed while the test read it: %s, then %s", n, o.Header.Hash(), b.Hash())
		}
		for _, op := range o.Operations {
			addrs[op.From], addrs[op.To] = true, true
			if first, ok := applied[op.ID()]; ok {
				t.Fatalf("L1 operation %d/%d applied in L2 blocks %d and %d", op.L1Block, op.Index, first, n)
			}
			applied[op.ID()] = n
		}
		l1h, err := e.l1c().HeaderByNumber(ctx, big64(uint64(o.Origin.Number)))
		if err != nil {
			t.Fatal(err)
		}
		if b.Time() < prevTime || b.Time() < l1h.Time {
			t.Fatalf("L2 block %d time %d: parent's %d, origin %d's %d", n, b.Time(), prevTime, o.Origin.Number, l1h.Time)
		}
		prevTime = b.Time()
	}
	last, err := e.origins.at(ctx, head)
	if err != nil {
		t.Fatal(err)
	}
	logs, err := e.l1c().FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big64(0), ToBlock: big64(uint64(last.Origin.Number)),
		Addresses: []common.Address{bridge.Address}})
	if err != nil {
		t.Fatal(err)
	}
	deposits := 0
	for i := range logs {
		op, err := bridge.ParseOperation(&logs[i])
		if err != nil {
			continue // not an operation's event
		}
		deposits++
		if _, ok := applied[op.ID()]; !ok {
			t.Fatalf("L1 %s %d/%d (to %s, %s wei) is in no L2 block up to %d (origin %d)", op.Kind, op.L1Block, op.Index, op.To, op.Amount, head, last.Origin.Number)
		}
	}
	if deposits != len(applied) || deposits == 0 {
		t.Fatalf("%d operation logs on L1 up to block %d, %d operations applied on L2; want the same, and some", deposits, last.Origin.Number, len(applied))
	}

	list := slices.SortedFunc(maps.Keys(addrs), func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	bridgeAt := map[block.L1Number]*big.Int{}
	for n := uint64(0); n <= head; n++ {
		o, err := e.origins.at(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		locked, ok := bridgeAt[o.Origin.Number]
		if !ok {
			if locked, err = e.l1c().BalanceAt(ctx, bridge.Address, big64(uint64(o.Origin.Number))); err != nil {
				t.Fatalf("L1 bridge balance at %d: %v", o.Origin.Number, err)
			}
			bridgeAt[o.Origin.Number] = locked
		}
		supply, err := e.l2Supply(ctx, list, n)
		if err != nil {
			t.Fatal(err)
		}
		unpaid, err := e.unpaidWithdrawals(ctx, n, o.Origin.Number)
		if err != nil {
			t.Fatal(err)
		}
		if want := new(big.Int).Add(supply, unpaid); want.Cmp(locked) != 0 {
			t.Fatalf("L2 block %d (origin L1 %d): the L1 bridge holds %s wei; the L2 accounts %s wei plus %s wei of unpaid withdrawals (difference %s)",
				n, o.Origin.Number, locked, supply, unpaid, new(big.Int).Sub(locked, want))
		}
	}
	t.Logf("value conserved at all %d L2 blocks: %d addresses, %d deposits, %s wei locked at origin %d",
		head+1, len(list), deposits, bridgeAt[last.Origin.Number], last.Origin.Number)
}

// l2Supply sums the L2 balances of addrs after block n, in one batch call.
func (e *env) l2Supply(ctx context.Context, addrs []common.Address, n uint64) (*big.Int, error) {
	results := make([]hexutil.Big, len(addrs))
	batch := make([]rpc.BatchElem, len(addrs))
	for i, a := range addrs {
		batch[i] = rpc.BatchElem{Method: "eth_getBalance", Args: []any{a, hexutil.EncodeUint64(n)}, Result: &results[i]}
	}
	if err := e.seq.RPC().BatchCallContext(ctx, batch); err != nil {
		return nil, fmt.Errorf("L2 balances at %d: %w", n, err)
	}
	sum := new(big.Int)
	for i := range batch {
		if batch[i].Error != nil {
			return nil, fmt.Errorf("L2 balance of %s at %d: %w", addrs[i], n, batch[i].Error)
		}
		sum.Add(sum, results[i].ToInt())
	}
	return sum, nil
}

// unpaidWithdrawals returns the wei withdrawn from the L2 up to block n
// (the queue's totalWithdrawn there) minus what the L1 bridge had paid out
// by L1 block x (its totalWithdrawn there).
func (e *env) unpaidWithdrawals(ctx context.Context, n uint64, x block.L1Number) (*big.Int, error) {
	q := withdrawalqueue.Address
	ret, err := e.l2().CallContract(ctx, ethereum.CallMsg{To: &q, Data: withdrawalqueue.PackTotalWithdrawn()}, big64(n))
	if err != nil {
		return nil, fmt.Errorf("L2 withdrawal queue total at %d: %w", n, err)
	}
	initiated, err := withdrawalqueue.UnpackTotalWithdrawn(ret)
	if err != nil {
		return nil, err
	}
	b := bridge.Address
	if ret, err = e.l1c().CallContract(ctx, ethereum.CallMsg{To: &b, Data: bridge.PackTotalWithdrawn()}, big64(uint64(x))); err != nil {
		return nil, fmt.Errorf("L1 bridge paid total at %d: %w", x, err)
	}
	paid, err := bridge.UnpackTotalWithdrawn(ret)
	if err != nil {
		return nil, err
	}
	return initiated.Sub(initiated, paid), nil
}
