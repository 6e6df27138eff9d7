package node_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/node/nodetest"
	"github.com/bilayer/bilayer/node/staking"
)

// TestSubscriptionsOnTheL1 is acceptance 1 on a real node: over
// WebSocket, ethclient's SubscribeNewHead sees every committed block once,
// in order, with the hash the node serves; SubscribeFilterLogs sees every
// staking log once, in order: a stake transaction's (a receipt's) and the
// epoch changes of the end-of-block hook (system logs).
func TestSubscriptionsOnTheL1(t *testing.T) {
	key, err := crypto.ToECDSA(common.LeftPadBytes([]byte{0x42}, 32)) // nodetest's validator
	if err != nil {
		t.Fatal(err)
	}
	self := crypto.PubkeyToAddress(key.PublicKey)
	n := nodetest.Start(t, map[common.Address]int64{self: 10}, func(g *genesis.Genesis) { g.Staking.EpochLength = 2 })
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws, err := ethclient.DialContext(ctx, "ws://"+strings.TrimPrefix(n.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	q := ethereum.FilterQuery{Addresses: []common.Address{staking.Address}}
	logs := make(chan types.Log, 256)
	lsub, err := ws.SubscribeFilterLogs(ctx, q, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer lsub.Unsubscribe()
	heads := make(chan *types.Header, 256)
	hsub, err := ws.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer hsub.Unsubscribe()

	// A stake from the validator itself (more power for the only
	// validator) emits Staked.
	data, err := staking.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	input, err := data.Pack("stake")
	if err != nil {
		t.Fatal(err)
	}
	to := staking.Address
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{ChainID: big.NewInt(1337),
		GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 200_000, To: &to, Value: big.NewInt(1e18), Data: input})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}

	// Follow the heads until the stake is in and two epochs passed after it.
	first := uint64(0)
	var last uint64
	included := uint64(0)
	for i := 0; i < 200 && (included == 0 || last < included+4); i++ {
		var h *types.Header
		select {
		case h = <-heads:
		case err := <-hsub.Err():
			t.Fatalf("newHeads: %v", err)
		case <-ctx.Done():
			t.Fatalf("newHeads: %v after block %d", ctx.Err(), last)
		}
		num := h.Number.Uint64()
		if first == 0 {
			first = num
		} else if num != last+1 {
			t.Fatalf("head %d after head %d: every block once, in order", num, last)
		}
		last = num
		b, err := ws.BlockByNumber(ctx, h.Number)
		if err != nil || b.Hash() != h.Hash() {
			t.Fatalf("head %d hashes to %s, the node serves %v (%v)", num, h.Hash(), b, err)
		}
		if included == 0 {
			if r, err := ws.TransactionReceipt(ctx, tx.Hash()); err == nil {
				if r.Status != types.ReceiptStatusSuccessful {
					t.Fatal("the stake transaction failed")
				}
				included = r.BlockNumber.Uint64()
			}
		}
	}
	if included == 0 {
		t.Fatal("the stake transaction was not included")
	}
	q.FromBlock, q.ToBlock = new(big.Int).SetUint64(first), new(big.Int).SetUint64(last)
	want, err := ws.FilterLogs(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	system, staked := 0, 0
	for _, l := range want {
		if l.TxHash == (common.Hash{}) {
			system++
		} else {
			staked++
		}
	}
	if system < 2 || staked != 1 {
		t.Fatalf("blocks %d-%d hold %d system logs and %d receipt logs; want epoch changes and one Staked", first, last, system, staked)
	}
	i := 0
	for i < len(want) {
		var got types.Log
		select {
		case got = <-logs:
		case err := <-lsub.Err():
			t.Fatalf("logs: %v", err)
		case <-ctx.Done():
			t.Fatalf("logs: got %d of %d: %v", i, len(want), ctx.Err())
		}
		if got.BlockNumber < first {
			continue // the logs subscription started a little earlier
		}
		w := want[i]
		if got.BlockNumber != w.BlockNumber || got.Index != w.Index || got.TxHash != w.TxHash || got.BlockHash != w.BlockHash {
			t.Fatalf("log %d: got block %d index %d, want block %d index %d", i, got.BlockNumber, got.Index, w.BlockNumber, w.Index)
		}
		i++
	}
}
