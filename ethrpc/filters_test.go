package ethrpc

import (
	"encoding/json"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// fakeClock is an injected clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (f *fixture) call(t *testing.T, out any, method string, args ...any) error {
	t.Helper()
	return f.client.Client().CallContext(ctx(t), out, method, args...)
}

// TestLogFilterReturnsTheLogsOfNewBlocks is acceptance 2: the changes of
// an eth_newFilter filter are exactly the matching logs of the blocks
// committed since the previous call, system logs included.
func TestLogFilterReturnsTheLogsOfNewBlocks(t *testing.T) {
	f := newFixture(t)
	key := fixtureKey(t)
	var id string
	crit := map[string]any{"address": logEmitter, "topics": [][]common.Hash{{logTopic}}}
	if err := f.call(t, &id, "eth_newFilter", crit); err != nil {
		t.Fatal(err)
	}
	var changes []types.Log
	if err := f.call(t, &changes, "eth_getFilterChanges", id); err != nil || len(changes) != 0 {
		t.Fatalf("no new block yet: %d logs, %v", len(changes), err)
	}
	f.chain.addBlock(t, signTransfer(t, key, 2, f.to, 1))
	f.chain.addBlock(t) // no log
	f.chain.nextSystemLog = &types.Log{Address: logEmitter, Topics: []common.Hash{logTopic}, Data: []byte{9}}
	f.chain.addBlock(t, signTransfer(t, key, 3, f.to, 1))
	want, err := f.client.FilterLogs(ctx(t), ethereum.FilterQuery{FromBlock: big.NewInt(3), ToBlock: big.NewInt(5),
		Addresses: []common.Address{logEmitter}, Topics: [][]common.Hash{{logTopic}}})
	if err != nil || len(want) != 3 {
		t.Fatalf("eth_getLogs: %d, %v", len(want), err)
	}
	if err := f.call(t, &changes, "eth_getFilterChanges", id); err != nil {
		t.Fatal(err)
	}
	sameLogs(t, changes, want)
	if err := f.call(t, &changes, "eth_getFilterChanges", id); err != nil || len(changes) != 0 {
		t.Fatalf("nothing new since: %d logs, %v", len(changes), err)
	}
	f.chain.addBlock(t, signTransfer(t, key, 4, f.to, 1))
	if err := f.call(t, &changes, "eth_getFilterChanges", id); err != nil || len(changes) != 1 || changes[0].BlockNumber != 6 {
		t.Fatalf("block 6: %+v, %v", changes, err)
	}
	// eth_getFilterLogs is eth_getLogs with the filter's criteria (the
	// latest block by default).
	var all []types.Log
	if err := f.call(t, &all, "eth_getFilterLogs", id); err != nil || len(all) != 1 || all[0].BlockNumber != 6 {
		t.Fatalf("eth_getFilterLogs: %+v, %v", all, err)
	}
	var removed bool
	if err := f.call(t, &removed, "eth_uninstallFilter", id); err != nil || !removed {
		t.Fatalf("uninstall: %v, %v", removed, err)
	}
	if err := f.call(t, &removed, "eth_uninstallFilter", id); err != nil || removed {
		t.Fatalf("second uninstall: %v, %v", removed, err)
	}
	if err := f.call(t, &changes, "eth_getFilterChanges", id); err == nil || err.Error() != "filter not found" {
		t.Fatalf("uninstalled filter: %v", err)
	}
}

func sameLogs(t *testing.T, got, want []types.Log) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d logs, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.BlockHash != w.BlockHash || g.Index != w.Index || g.TxHash != w.TxHash || g.Removed != w.Removed {
			t.Fatalf("log %d: got block %d index %d tx %s, want block %d index %d tx %s", i, g.BlockNumber, g.Index, g.TxHash, w.BlockNumber, w.Index, w.TxHash)
		}
	}
}

// TestBlockAndPendingFilters: a block filter returns the new blocks'
// hashes, a pending-transaction filter the new transactions' hashes.
func TestBlockAndPendingFilters(t *testing.T) {
	f := newFixture(t)
	key := fixtureKey(t)
	var blocks, pending string
	if err := f.call(t, &blocks, "eth_newBlockFilter"); err != nil {
		t.Fatal(err)
	}
	if err := f.call(t, &pending, "eth_newPendingTransactionFilter"); err != nil {
		t.Fatal(err)
	}
	b3, b4 := f.chain.addBlock(t), f.chain.addBlock(t)
	var hashes []common.Hash
	if err := f.call(t, &hashes, "eth_getFilterChanges", blocks); err != nil || len(hashes) != 2 || hashes[0] != b3.Hash() || hashes[1] != b4.Hash() {
		t.Fatalf("block filter: %v, %v", hashes, err)
	}
	if err := f.call(t, &hashes, "eth_getFilterChanges", blocks); err != nil || len(hashes) != 0 {
		t.Fatalf("block filter again: %v, %v", hashes, err)
	}
	tx := signTransfer(t, key, 2, f.to, 1)
	if err := f.client.SendTransaction(ctx(t), tx); err != nil {
		t.Fatal(err)
	}
	if err := f.call(t, &hashes, "eth_getFilterChanges", pending); err != nil || len(hashes) != 1 || hashes[0] != tx.Hash() {
		t.Fatalf("pending filter: %v, %v", hashes, err)
	}
	var logs []types.Log
	if err := f.call(t, &logs, "eth_getFilterLogs", blocks); err == nil || !strings.Contains(err.Error(), "not a log filter") {
		t.Fatalf("eth_getFilterLogs on a block filter: %v", err)
	}
	if err := f.call(t, new(string), "eth_newFilter", map[string]any{"blockHash": b3.Hash()}); err == nil {
		t.Fatal("a filter on a block hash was installed")
	}
}

// TestFiltersExpireAfterFiveMinutesUnused: a filter polled within five
// minutes lives on; one left alone longer gives "filter not found".
func TestFiltersExpireAfterFiveMinutesUnused(t *testing.T) {
	f := newFixture(t)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	f.server.events.filters.now = clock.now
	var id string
	if err := f.call(t, &id, "eth_newBlockFilter"); err != nil {
		t.Fatal(err)
	}
	var raw json.RawMessage
	for range 3 {
		clock.add(FilterTimeout - time.Second)
		if err := f.call(t, &raw, "eth_getFilterChanges", id); err != nil {
			t.Fatalf("polled within %s: %v", FilterTimeout, err)
		}
	}
	clock.add(FilterTimeout + time.Second)
	if err := f.call(t, &raw, "eth_getFilterChanges", id); err == nil || err.Error() != "filter not found" {
		t.Fatalf("after %s unused: %v", FilterTimeout+time.Second, err)
	}
	if len(f.server.events.filters.m) != 0 {
		t.Fatal("the expired filter is still installed")
	}
}

// TestFilterCountIsBounded: at most MaxFilters filters per node; removing
// one makes room.
func TestFilterCountIsBounded(t *testing.T) {
	f := newFixture(t)
	var last string
	for i := range MaxFilters {
		id, err := f.server.events.filters.install(&filter{kind: blocksFilter})
		if err != nil {
			t.Fatalf("filter %d: %v", i, err)
		}
		last = string(id)
	}
	err := f.call(t, new(string), "eth_newBlockFilter")
	if err == nil || !strings.Contains(err.Error(), "too many filters: at most 512 per node") {
		t.Fatalf("filter %d: %v", MaxFilters+1, err)
	}
	if err := f.call(t, new(bool), "eth_uninstallFilter", last); err != nil {
		t.Fatal(err)
	}
	if err := f.call(t, new(string), "eth_newBlockFilter"); err != nil {
		t.Fatalf("after an uninstall: %v", err)
	}
}
