package ethrpc

import (
	"encoding/json"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/txpool"
)

// TestBlockReceiptsEqualTheTransactionReceipts is acceptance 3:
// eth_getBlockReceipts, by number, tag or hash, is the list of
// eth_getTransactionReceipt answers, field for field.
func TestBlockReceiptsEqualTheTransactionReceipts(t *testing.T) {
	f := newFixture(t)
	b := f.chain.blocks[1]
	for _, at := range []any{"0x1", b.Hash()} {
		var got []map[string]any
		if err := f.call(t, &got, "eth_getBlockReceipts", at); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(b.Transactions) {
			t.Fatalf("%v: %d receipts for %d transactions", at, len(got), len(b.Transactions))
		}
		for i, tx := range b.Transactions {
			var want map[string]any
			if err := f.call(t, &want, "eth_getTransactionReceipt", tx.Hash()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got[i], want) {
				t.Fatalf("%v: receipt %d\n got %v\nwant %v", at, i, got[i], want)
			}
		}
	}
	var empty []map[string]any
	if err := f.call(t, &empty, "eth_getBlockReceipts", "latest"); err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("block without transactions: %v, %v", empty, err)
	}
	var missing json.RawMessage
	if err := f.call(t, &missing, "eth_getBlockReceipts", "0x63"); err != nil || string(missing) != "null" {
		t.Fatalf("unknown block: %s, %v", missing, err)
	}
}

// TestTransactionInBlock: ethclient's TransactionInBlock and
// eth_getTransactionByBlockNumberAndIndex find a block's transaction by
// position; past the end is null.
func TestTransactionInBlock(t *testing.T) {
	f := newFixture(t)
	b := f.chain.blocks[1]
	tx, err := f.client.TransactionInBlock(ctx(t), b.Hash(), 1)
	if err != nil || tx.Hash() != b.Transactions[1].Hash() {
		t.Fatalf("TransactionInBlock: %v", err)
	}
	var byNumber map[string]any
	if err := f.call(t, &byNumber, "eth_getTransactionByBlockNumberAndIndex", "0x1", "0x0"); err != nil || byNumber["hash"] != b.Transactions[0].Hash().Hex() || byNumber["blockNumber"] != "0x1" {
		t.Fatalf("by number: %v, %v", byNumber, err)
	}
	var none json.RawMessage
	if err := f.call(t, &none, "eth_getTransactionByBlockNumberAndIndex", "0x1", "0x2"); err != nil || string(none) != "null" {
		t.Fatalf("past the end: %s, %v", none, err)
	}
}

// TestUnclesAreEthereumsAnswer: no block has uncles (count 0, uncle null);
// an unknown block's count is null.
func TestUnclesAreEthereumsAnswer(t *testing.T) {
	f := newFixture(t)
	h := f.chain.blocks[1].Hash()
	for _, c := range []struct {
		method string
		args   []any
		want   string
	}{
		{"eth_getUncleCountByBlockNumber", []any{"0x1"}, `"0x0"`},
		{"eth_getUncleCountByBlockNumber", []any{"latest"}, `"0x0"`},
		{"eth_getUncleCountByBlockNumber", []any{"0x63"}, `null`},
		{"eth_getUncleCountByBlockHash", []any{h}, `"0x0"`},
		{"eth_getUncleCountByBlockHash", []any{common.Hash{1}}, `null`},
		{"eth_getUncleByBlockNumberAndIndex", []any{"0x1", "0x0"}, `null`},
		{"eth_getUncleByBlockHashAndIndex", []any{h, "0x0"}, `null`},
	} {
		var got json.RawMessage
		if err := f.call(t, &got, c.method, c.args...); err != nil || string(got) != c.want {
			t.Fatalf("%s%v: %s, %v; want %s", c.method, c.args, got, err, c.want)
		}
	}
}

// TestTxPool: txpool_status and txpool_content as geth serves them.
func TestTxPool(t *testing.T) {
	f := newFixture(t)
	key := fixtureKey(t)
	var status map[string]hexutil.Uint
	if err := f.call(t, &status, "txpool_status"); err != nil || status["pending"] != 0 || status["queued"] != 0 {
		t.Fatalf("empty pool: %v, %v", status, err)
	}
	tx := signTransfer(t, key, 2, f.to, 5)
	if err := f.client.SendTransaction(ctx(t), tx); err != nil {
		t.Fatal(err)
	}
	if err := f.call(t, &status, "txpool_status"); err != nil || status["pending"] != 1 {
		t.Fatalf("one pending: %v, %v", status, err)
	}
	var content map[string]map[string]map[string]map[string]any
	if err := f.call(t, &content, "txpool_content"); err != nil {
		t.Fatal(err)
	}
	got := content["pending"][f.from.Hex()]["2"]
	if got == nil || got["hash"] != tx.Hash().Hex() || got["blockHash"] != nil || !strings.EqualFold(got["from"].(string), f.from.Hex()) {
		t.Fatalf("txpool_content: %v", content)
	}
	if _, ok := content["queued"]; !ok {
		t.Fatalf("txpool_content has no queued: %v", content)
	}
	var from map[string]map[string]map[string]any
	if err := f.call(t, &from, "txpool_contentFrom", f.from); err != nil || from["pending"]["2"]["hash"] != tx.Hash().Hex() {
		t.Fatalf("txpool_contentFrom: %v, %v", from, err)
	}
	var inspect map[string]map[string]map[string]string
	if err := f.call(t, &inspect, "txpool_inspect"); err != nil || inspect["pending"][f.from.Hex()]["2"] == "" {
		t.Fatalf("txpool_inspect: %v, %v", inspect, err)
	}
}

// zeroState is an empty account state for a txpool.
type zeroState struct{}

func (zeroState) GetNonce(common.Address) uint64 { return 0 }
func (zeroState) GetBalance(common.Address) *uint256.Int {
	return uint256.NewInt(1e18)
}

// TestPoolContentOf: the pending transactions of a real pool are each
// sender's run of nonces from its account nonce; the rest are listed as
// queued, in nonce order.
func TestPoolContentOf(t *testing.T) {
	key := fixtureKey(t)
	signer := types.LatestSignerForChainID(testChainID)
	p := txpool.New(txpool.DefaultConfig(), signer,
		func(*types.Transaction, common.Address, txpool.StateView, *big.Int) error { return nil }, zeroState{}, big.NewInt(1))
	to := common.HexToAddress("0xdead")
	for _, n := range []uint64{0, 1, 7, 5} {
		if err := p.Add(signTransfer(t, key, n, to, 1))[0]; err != nil {
			t.Fatal(err)
		}
	}
	c := PoolContentOf(p)
	from := crypto.PubkeyToAddress(key.PublicKey)
	if len(c.Pending) != 1 || len(c.Pending[from]) != 2 || c.Pending[from][0].Nonce() != 0 || c.Pending[from][1].Nonce() != 1 || c.QueuedCount != 2 {
		t.Fatalf("pending %v, queued count %d", c.Pending, c.QueuedCount)
	}
	if q := c.Queued[from]; len(c.Queued) != 1 || len(q) != 2 || q[0].Nonce() != 5 || q[1].Nonce() != 7 {
		t.Fatalf("queued %v, want nonces 5 and 7 of one sender", c.Queued)
	}
	// txpool_status counts what the listing holds, without listing it.
	if pending, queued := p.Counts(); pending != 2 || queued != 2 {
		t.Fatalf("Counts: pending %d, queued %d; the listing: 2 and 2", pending, queued)
	}
	// Nonce 2 extends the run (0-2 pending); 5 and 7 still wait behind a gap.
	if err := p.Add(signTransfer(t, key, 2, to, 1))[0]; err != nil {
		t.Fatal(err)
	}
	c = PoolContentOf(p)
	if pending, queued := p.Counts(); pending != len(c.Pending[from]) || queued != c.QueuedCount || pending != 3 || queued != len(c.Queued[from]) {
		t.Fatalf("Counts: pending %d, queued %d; the listing: %d and %d (%d listed)", pending, queued, len(c.Pending[from]), c.QueuedCount, len(c.Queued[from]))
	}
}
