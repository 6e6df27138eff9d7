package ethrpc

import (
	"bytes"
	"crypto/ecdsa"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// fixtureKey is the key that funds the fixture's sender; the fixture's
// blocks used its nonces 0 and 1.
func fixtureKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := crypto.ToECDSA(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// recv waits for one value (a deadline, not a sleep: it returns as soon
// as the value comes).
func recv[T any](t *testing.T, ch <-chan T, errc <-chan error, what string) T {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case v := <-ch:
		return v
	case err := <-errc:
		t.Fatalf("%s: subscription failed: %v", what, err)
	case <-timer.C:
		t.Fatalf("%s: nothing within 10s", what)
	}
	panic("unreachable")
}

func dialWS(t *testing.T, f *fixture) *ethclient.Client {
	t.Helper()
	c, err := ethclient.Dial("ws://" + f.server.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestSubscriptionsSeeEveryBlockAndLogOnceInOrder is acceptance 1 on the
// fake chain: ethclient's SubscribeNewHead gets every new block's header,
// whose hash it computes as the node's, and SubscribeFilterLogs every
// matching log once, in order, system logs included.
func TestSubscriptionsSeeEveryBlockAndLogOnceInOrder(t *testing.T) {
	f := newFixture(t)
	key := fixtureKey(t)
	c := dialWS(t, f)
	q := ethereum.FilterQuery{Addresses: []common.Address{logEmitter}, Topics: [][]common.Hash{{logTopic}}}
	logs := make(chan types.Log, 64)
	lsub, err := c.SubscribeFilterLogs(ctx(t), q, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer lsub.Unsubscribe()
	heads := make(chan *types.Header, 64)
	hsub, err := c.SubscribeNewHead(ctx(t), heads)
	if err != nil {
		t.Fatal(err)
	}
	defer hsub.Unsubscribe()

	nonce := uint64(2)
	for i := range 5 {
		var txs []*types.Transaction
		if i != 2 { // block 5 has no transaction, hence no log
			txs = append(txs, signTransfer(t, key, nonce, f.to, 1))
			nonce++
		}
		if i == 3 { // block 6 also has a system log
			f.chain.nextSystemLog = &types.Log{Address: logEmitter, Topics: []common.Hash{logTopic, {5}}, Data: []byte{2}}
		}
		f.chain.addBlock(t, txs...)
	}
	for n := uint64(3); n <= 7; n++ {
		h := recv(t, heads, hsub.Err(), "head")
		if h.Number.Uint64() != n || h.Hash() != f.chain.blocks[n].Hash() {
			t.Fatalf("head %d: got block %d with hash %s, want %s", n, h.Number, h.Hash(), f.chain.blocks[n].Hash())
		}
	}
	q.FromBlock, q.ToBlock = big.NewInt(3), big.NewInt(7)
	want, err := f.client.FilterLogs(ctx(t), q)
	if err != nil || len(want) != 5 || want[3].TxHash != (common.Hash{}) || want[3].BlockNumber != 6 {
		t.Fatalf("eth_getLogs over blocks 3-7: %d logs (want 4 from receipts and a system log), %v", len(want), err)
	}
	for i, w := range want {
		got := recv(t, logs, lsub.Err(), "log")
		if got.BlockNumber != w.BlockNumber || got.Index != w.Index || got.TxHash != w.TxHash || !bytes.Equal(got.Data, w.Data) || got.Removed {
			t.Fatalf("log %d: got block %d index %d tx %s, want block %d index %d tx %s", i, got.BlockNumber, got.Index, got.TxHash, w.BlockNumber, w.Index, w.TxHash)
		}
	}
	// The next log is the next block's: nothing came twice.
	f.chain.addBlock(t, signTransfer(t, key, nonce, f.to, 1))
	if got := recv(t, logs, lsub.Err(), "log of block 8"); got.BlockNumber != 8 {
		t.Fatalf("after block 7's logs came a log of block %d, want 8", got.BlockNumber)
	}
	if h := recv(t, heads, hsub.Err(), "head 8"); h.Number.Uint64() != 8 {
		t.Fatalf("after head 7 came head %d", h.Number)
	}
}

// TestFollowerReportsARewind: when the chain loses blocks (an L2 rolled
// back), the follower reports each lost block, newest first, with its logs
// marked removed, then the new blocks.
func TestFollowerReportsARewind(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(map[bool]string{false: "backend", true: "shared cache"}[cached], func(t *testing.T) { testFollowerRewind(t, cached) })
	}
}

func testFollowerRewind(t *testing.T, cached bool) {
	f := newFixture(t)
	key := fixtureKey(t)
	api := NewEthAPI(f.chain)
	fol, err := api.newFollower(ctx(t), &FilterQuery{Addresses: []common.Address{logEmitter}})
	if err != nil {
		t.Fatal(err)
	}
	if cached {
		fol.cache = newBlockCache(api)
	}
	b3 := f.chain.addBlock(t, signTransfer(t, key, 2, f.to, 1))
	b4 := f.chain.addBlock(t, signTransfer(t, key, 3, f.to, 1))
	evs, err := fol.step(ctx(t), nil, 10, 0)
	if err != nil || len(evs) != 2 || evs[0].hash != b3.Hash() || evs[1].hash != b4.Hash() || len(evs[1].logs) != 1 {
		t.Fatalf("blocks 3 and 4: %+v, %v", evs, err)
	}
	f.chain.rewind(3)
	n4 := f.chain.addBlock(t, signTransfer(t, key, 3, f.to, 2))
	n5 := f.chain.addBlock(t)
	evs, err = fol.step(ctx(t), nil, 10, 0)
	if err != nil || len(evs) != 3 {
		t.Fatalf("after the rewind: %d events, %v", len(evs), err)
	}
	if !evs[0].removed || evs[0].hash != b4.Hash() || len(evs[0].logs) != 1 || !evs[0].logs[0].Removed {
		t.Fatalf("first event should remove block 4 and its log: %+v", evs[0])
	}
	if evs[1].removed || evs[1].hash != n4.Hash() || len(evs[1].logs) != 1 || evs[1].logs[0].Removed || evs[2].hash != n5.Hash() {
		t.Fatalf("then the new blocks 4 and 5: %+v %+v", evs[1], evs[2])
	}
	if evs, err := fol.step(ctx(t), nil, 10, 0); err != nil || len(evs) != 0 {
		t.Fatalf("nothing new: %d events, %v", len(evs), err)
	}
}

// TestPendingTransactionsSubscription: the hash of a transaction sent
// through this server comes at once, one the pool got otherwise (gossip)
// at the next pool listing.
func TestPendingTransactionsSubscription(t *testing.T) {
	f := newFixture(t)
	key := fixtureKey(t)
	c := dialWS(t, f)
	hashes := make(chan common.Hash, 8)
	sub, err := c.Client().EthSubscribe(ctx(t), hashes, "newPendingTransactions")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	sent := signTransfer(t, key, 2, f.to, 1)
	if err := f.client.SendTransaction(ctx(t), sent); err != nil {
		t.Fatal(err)
	}
	if h := recv(t, hashes, sub.Err(), "sent tx"); h != sent.Hash() {
		t.Fatalf("got %s, want %s", h, sent.Hash())
	}
	gossiped := signTransfer(t, key, 3, f.to, 1)
	f.chain.mu.Lock()
	f.chain.pool[gossiped.Hash()] = gossiped
	f.chain.mu.Unlock()
	if h := recv(t, hashes, sub.Err(), "gossiped tx"); h != gossiped.Hash() {
		t.Fatalf("got %s, want %s", h, gossiped.Hash())
	}
}

// TestSubscriptionLimits: a connection holds at most
// MaxSubscriptionsPerConnection subscriptions, and HTTP has none.
func TestSubscriptionLimits(t *testing.T) {
	f := newFixture(t)
	c := dialWS(t, f)
	for i := range MaxSubscriptionsPerConnection {
		if _, err := c.Client().EthSubscribe(ctx(t), make(chan common.Hash), "newPendingTransactions"); err != nil {
			t.Fatalf("subscription %d: %v", i, err)
		}
	}
	_, err := c.Client().EthSubscribe(ctx(t), make(chan common.Hash), "newHeads")
	if err == nil || !strings.Contains(err.Error(), "too many subscriptions on this connection: at most 128") {
		t.Fatalf("subscription over the limit: %v", err)
	}
	// Another connection has its own allowance.
	other := dialWS(t, f)
	if _, err := other.SubscribeNewHead(ctx(t), make(chan *types.Header)); err != nil {
		t.Fatalf("second connection: %v", err)
	}
	if _, err := f.client.SubscribeNewHead(ctx(t), make(chan *types.Header)); err == nil {
		t.Fatal("a subscription over HTTP was accepted")
	}
	var id string
	err = f.client.Client().CallContext(ctx(t), &id, "eth_subscribe", "syncing")
	if err == nil {
		t.Fatal("an unknown subscription was accepted")
	}
}

// TestSubscribersShareBlockReads: many subscriptions read each new block
// once between them (the shared cache), not once each.
func TestSubscribersShareBlockReads(t *testing.T) {
	f := newFixture(t)
	c := dialWS(t, f)
	const subs = 20
	var chans []chan *types.Header
	var errs []<-chan error
	for range subs {
		ch := make(chan *types.Header, 4)
		sub, err := c.SubscribeNewHead(ctx(t), ch)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Unsubscribe()
		chans, errs = append(chans, ch), append(errs, sub.Err())
	}
	f.chain.addBlock(t)
	f.chain.addBlock(t)
	for i, ch := range chans {
		for n := uint64(3); n <= 4; n++ {
			if h := recv(t, ch, errs[i], "head"); h.Number.Uint64() != n {
				t.Fatalf("subscription %d: head %d, want %d", i, h.Number, n)
			}
		}
	}
	for n := uint64(3); n <= 4; n++ {
		count, _ := f.chain.reads.Load(n)
		if got := count.(*atomic.Int64).Load(); got != 1 {
			t.Fatalf("block %d read %d times by %d subscriptions, want once", n, got, subs)
		}
	}
}
