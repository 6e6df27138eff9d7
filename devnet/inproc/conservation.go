package inproc

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/ethrpc"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
)

// Conservation is what CheckConservation verified.
type Conservation struct {
	// L2Head is the last L2 block checked (every block from 0 on) and
	// Origin its L1 origin.
	L2Head block.L2Number
	Origin block.L1Number
	// L1Head is the last L1 block whose bridge accounting was checked
	// (every block from 0 on).
	L1Head block.L1Number
	// Addresses is how many L2 accounts the supply is summed over.
	Addresses int
	// Operations is how many L1 bridge operations the L2 applied, each
	// once; Withdrawals how many withdrawals it initiated.
	Operations  int
	Withdrawals uint64
	// Locked is the bridge's L1 balance at Origin, Supply the L2 supply
	// after L2Head and Unpaid the withdrawals initiated up to L2Head and
	// not paid by Origin: Locked = Supply + Unpaid.
	Locked, Supply, Unpaid *big.Int
}

// l2Snapshot is what CheckConservation reads of one L2 block.
type l2Snapshot struct {
	hash   common.Hash
	origin block.L1Number
}

// l1Bridge is the bridge's accounting after one L1 block.
type l1Bridge struct {
	balance, deposited, withdrawn *big.Int
}

// CheckConservation checks DESIGN §6's invariant — the L1 bridge's
// balance equals the L2's total supply plus the withdrawals initiated on
// the L2 and not yet paid on the L1 — on the sequencer's chain as it
// stands (every block up to its head) and the L1 up to its head:
//
//   - after every L2 block n, with X = n's origin: the bridge's balance
//     at X = the L2 supply after n + (the queue's totalWithdrawn after
//     n − the bridge's totalWithdrawn at X). The deposits the bridge holds
//     at X are those of L1 blocks up to X, which the L2 has applied by n
//     (an L1 block's operations go into the first L2 block of that
//     origin); a withdrawal the L1 paid by X was initiated in an L2 block
//     of a batch accepted by X − W, whose origin is before that batch's
//     L1 block, so before n. The supply is summed over every account
//     that can hold L2 value: the L2 genesis allocations, the fee vault
//     (which takes every fee), the queue, each block's coinbase, every
//     transaction's sender and recipient and every account an L1
//     operation names.
//   - after every L1 block X up to the head's origin: the origins advance
//     by at most one L1 block per L2 block from the L1 genesis, so X is
//     the origin of at least one L2 block, and the newest L2 block whose
//     origin is at most X is one of them: the first item, checked there,
//     is the invariant at X.
//   - after every L1 block X up to the L1 head (the L1-side form, which
//     needs no L2 block): the bridge's balance at X = its genesis balance
//     (which backs the L2 prefunds: it equals the L2 genesis supply) +
//     totalDeposited(X) − totalWithdrawn(X).
//
// It also checks that every bridge operation logged in L1 blocks up to
// the head's origin is applied, as logged, in exactly one L2 block — the
// first whose origin is its L1 block — and that no other is. Balances and
// views are read over JSON-RPC, in batches (the L2's at each block's
// hash); the blocks' structure from the sequencer's chain, which must
// not be rewound meanwhile (an error says so).
func (r *Rollup) CheckConservation(ctx context.Context) (Conservation, error) {
	chain := r.SequencerChain
	head := chain.Head()
	l1Head := r.L1Head()
	var c Conservation
	c.L2Head, c.L1Head = block.L2Number(head.Number()), l1Head

	addrs := map[common.Address]bool{rollupconfig.FeeVault: true, withdrawalqueue.Address: true}
	for a := range r.Config.L2GenesisAlloc() {
		addrs[a] = true
	}
	snaps := make([]l2Snapshot, 0, head.Number()+1)
	applied := map[block.OperationID]block.Operation{}
	for n := block.L2Number(0); n <= c.L2Head; n++ {
		b, err := chain.BlockByNumber(n)
		if err != nil {
			return c, fmt.Errorf("conservation: L2 block %d: %w", n, err)
		}
		origin := b.L2.Origin.Number
		first := n == 0 || origin != snaps[n-1].origin
		switch {
		case n == 0 && origin != 0:
			return c, fmt.Errorf("conservation: the L2 genesis has origin %d, not the L1 genesis", origin)
		case n > 0 && origin != snaps[n-1].origin && origin != snaps[n-1].origin+1:
			return c, fmt.Errorf("conservation: L2 block %d has origin %d after its parent's %d", n, origin, snaps[n-1].origin)
		}
		snaps = append(snaps, l2Snapshot{hash: b.Hash(), origin: origin})
		addrs[b.Header.Coinbase] = true
		for _, tx := range b.Transactions {
			from, err := types.Sender(chain.Signer(), tx)
			if err != nil {
				return c, fmt.Errorf("conservation: L2 block %d: sender of %s: %w", n, tx.Hash(), err)
			}
			addrs[from] = true
			if tx.To() != nil {
				addrs[*tx.To()] = true
			}
		}
		for _, op := range b.L2.Operations {
			addrs[op.From], addrs[op.To] = true, true
			if op.L1Block != origin || !first {
				return c, fmt.Errorf("conservation: L2 block %d (origin %d, first of it: %t) applies %s %d/%d", n, origin, first, op.Kind, op.L1Block, op.Index)
			}
			if _, dup := applied[op.ID()]; dup {
				return c, fmt.Errorf("conservation: L1 operation %d/%d applied twice (again in L2 block %d)", op.L1Block, op.Index, n)
			}
			applied[op.ID()] = op
		}
	}
	c.Origin = snaps[c.L2Head].origin
	c.Operations = len(applied)
	if c.Origin > l1Head {
		return c, fmt.Errorf("conservation: the L2 head's origin %d is past the L1 head %d", c.Origin, l1Head)
	}

	// Every operation the L1 logged up to the head's origin, applied once
	// as logged.
	logged, err := r.OperationLogs(ctx, 0, c.Origin)
	if err != nil {
		return c, fmt.Errorf("conservation: %w", err)
	}
	for _, op := range logged {
		got, ok := applied[op.ID()]
		if !ok {
			return c, fmt.Errorf("conservation: L1 %s %d/%d (%s wei to %s) is in no L2 block up to %d (origin %d)",
				op.Kind, op.L1Block, op.Index, op.Amount, op.To, c.L2Head, c.Origin)
		}
		if got.Kind != op.Kind || got.From != op.From || got.To != op.To || got.Amount.Cmp(op.Amount) != 0 {
			return c, fmt.Errorf("conservation: L1 operation %d/%d logged as %+v, applied as %+v", op.L1Block, op.Index, op, got)
		}
	}
	if len(logged) != len(applied) {
		return c, fmt.Errorf("conservation: the L2 applied %d L1 operations up to origin %d, the L1 logged %d", len(applied), c.Origin, len(logged))
	}

	// The L1 side, at every L1 block.
	l1, err := r.bridgeAccounts(ctx, l1Head)
	if err != nil {
		return c, err
	}
	prefund := l1[0].balance
	if want := r.Genesis.Rollup.L2Prefund(); prefund.Cmp(want) != 0 {
		return c, fmt.Errorf("conservation: the bridge's genesis balance is %s, the L2 prefunds %s", prefund, want)
	}
	for x, a := range l1 {
		want := new(big.Int).Add(prefund, a.deposited)
		want.Sub(want, a.withdrawn)
		if a.balance.Cmp(want) != 0 {
			return c, fmt.Errorf("conservation: after L1 block %d the bridge holds %s wei; genesis %s + deposited %s − withdrawn %s = %s",
				x, a.balance, prefund, a.deposited, a.withdrawn, want)
		}
	}

	// The L2 side, at every L2 block.
	list := slices.SortedFunc(maps.Keys(addrs), func(a, b common.Address) int { return bytes.Compare(a[:], b[:]) })
	c.Addresses = len(list)
	perBatch := max(1, ethrpc.MaxBatchItems/(len(list)+2))
	for lo := 0; lo < len(snaps); lo += perBatch {
		hi := min(len(snaps), lo+perBatch)
		sums, err := r.l2Accounts(ctx, list, snaps[lo:hi])
		if err != nil {
			return c, err
		}
		for i, s := range sums {
			n := lo + i
			x := snaps[n].origin
			unpaid := new(big.Int).Sub(s.initiated, l1[x].withdrawn)
			if want := new(big.Int).Add(s.supply, unpaid); want.Cmp(l1[x].balance) != 0 {
				return c, fmt.Errorf("conservation: L2 block %d (origin L1 %d): the bridge holds %s wei; the L2 supply %s + unpaid withdrawals %s (initiated %s − paid %s) = %s (difference %s)",
					n, x, l1[x].balance, s.supply, unpaid, s.initiated, l1[x].withdrawn, want, new(big.Int).Sub(l1[x].balance, want))
			}
			if n == len(snaps)-1 {
				c.Supply, c.Unpaid, c.Locked, c.Withdrawals = s.supply, unpaid, l1[x].balance, s.count
			}
		}
	}
	// The chain read is the chain checked.
	for n, s := range snaps {
		b, err := chain.BlockByNumber(block.L2Number(n))
		if err != nil || b.Hash() != s.hash {
			return c, fmt.Errorf("conservation: the sequencer's L2 block %d changed while it was checked (%v)", n, err)
		}
	}
	return c, nil
}

// bridgeAccounts reads the bridge's balance and totals after every L1
// block from 0 to to, in JSON-RPC batches.
func (r *Rollup) bridgeAccounts(ctx context.Context, to block.L1Number) ([]l1Bridge, error) {
	out := make([]l1Bridge, 0, to+1)
	const items = 3
	perBatch := block.L1Number(ethrpc.MaxBatchItems / items)
	dep, wd := hexutil.Bytes(bridge.PackTotalDeposited()), hexutil.Bytes(bridge.PackTotalWithdrawn())
	for lo := block.L1Number(0); lo <= to; lo += perBatch {
		hi := min(to+1, lo+perBatch)
		res := make([]struct {
			balance     hexutil.Big
			dep, wdrawn hexutil.Bytes
		}, hi-lo)
		var batch []rpc.BatchElem
		for x := lo; x < hi; x++ {
			at, e := hexutil.EncodeUint64(uint64(x)), &res[x-lo]
			batch = append(batch,
				rpc.BatchElem{Method: "eth_getBalance", Args: []any{bridge.Address, at}, Result: &e.balance},
				rpc.BatchElem{Method: "eth_call", Args: []any{map[string]any{"to": bridge.Address, "data": dep}, at}, Result: &e.dep},
				rpc.BatchElem{Method: "eth_call", Args: []any{map[string]any{"to": bridge.Address, "data": wd}, at}, Result: &e.wdrawn})
		}
		if err := r.L1.RPC().BatchCallContext(ctx, batch); err != nil {
			return nil, fmt.Errorf("conservation: the bridge at L1 blocks %d-%d: %w", lo, hi-1, err)
		}
		for i := range batch {
			if batch[i].Error != nil {
				return nil, fmt.Errorf("conservation: the bridge at L1 block %d: %s: %w", lo+block.L1Number(i/items), batch[i].Method, batch[i].Error)
			}
		}
		for i := range res {
			d, err := bridge.UnpackTotalDeposited(res[i].dep)
			if err != nil {
				return nil, err
			}
			w, err := bridge.UnpackTotalWithdrawn(res[i].wdrawn)
			if err != nil {
				return nil, err
			}
			out = append(out, l1Bridge{balance: res[i].balance.ToInt(), deposited: d, withdrawn: w})
		}
	}
	return out, nil
}

// l2Sums is the L2 supply and the queue's totals after one L2 block.
type l2Sums struct {
	supply, initiated *big.Int
	count             uint64
}

// l2Accounts sums the balances of addrs and reads the withdrawal queue's
// totals after each of blocks, by block hash, in one JSON-RPC batch.
func (r *Rollup) l2Accounts(ctx context.Context, addrs []common.Address, blocks []l2Snapshot) ([]l2Sums, error) {
	per := len(addrs) + 2
	balances := make([]hexutil.Big, len(blocks)*len(addrs))
	total := make([]hexutil.Bytes, len(blocks))
	count := make([]hexutil.Bytes, len(blocks))
	batch := make([]rpc.BatchElem, 0, len(blocks)*per)
	q := withdrawalqueue.Address
	for i, b := range blocks {
		at := map[string]any{"blockHash": b.hash}
		for j, a := range addrs {
			batch = append(batch, rpc.BatchElem{Method: "eth_getBalance", Args: []any{a, at}, Result: &balances[i*len(addrs)+j]})
		}
		batch = append(batch,
			rpc.BatchElem{Method: "eth_call", Args: []any{map[string]any{"to": q, "data": hexutil.Bytes(withdrawalqueue.PackTotalWithdrawn())}, at}, Result: &total[i]},
			rpc.BatchElem{Method: "eth_call", Args: []any{map[string]any{"to": q, "data": hexutil.Bytes(withdrawalqueue.PackWithdrawalCount())}, at}, Result: &count[i]})
	}
	if err := r.L2.Client().BatchCallContext(ctx, batch); err != nil {
		return nil, fmt.Errorf("conservation: L2 balances: %w", err)
	}
	for k := range batch {
		if batch[k].Error != nil {
			return nil, fmt.Errorf("conservation: L2 block %s: %s %v: %w", blocks[k/per].hash, batch[k].Method, batch[k].Args[0], batch[k].Error)
		}
	}
	out := make([]l2Sums, len(blocks))
	for i := range blocks {
		s := l2Sums{supply: new(big.Int)}
		for j := range addrs {
			s.supply.Add(s.supply, balances[i*len(addrs)+j].ToInt())
		}
		var err error
		if s.initiated, err = withdrawalqueue.UnpackTotalWithdrawn(total[i]); err != nil {
			return nil, err
		}
		if s.count, err = withdrawalqueue.UnpackWithdrawalCount(count[i]); err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}
