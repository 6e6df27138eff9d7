package node

import (
	"context"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/txpool"
)

// admissionFixture is a node that is not started (no gossip), with
// metrics, its JSON-RPC backend and its chain id.
type admissionFixture struct {
	n       *Node
	m       *Metrics
	rpc     *rpcBackend
	chainID *big.Int
}

// newAdmissionFixture starts no node: it opens one on a four-validator
// genesis with the default pool as edit changes it.
func newAdmissionFixture(t *testing.T, edit func(*txpool.Config)) *admissionFixture {
	t.Helper()
	gen := hostileGenesis(t, 4)
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	n := newFixtureNodeWith(t, gen, func(c *Config) {
		c.Metrics = m
		c.Mempool = DefaultMempool()
		edit(&c.Mempool)
	})
	return &admissionFixture{n: n, m: m, chainID: new(big.Int).SetUint64(gen.ChainID),
		rpc: &rpcBackend{chain: n.chain, pool: n.pool, gate: n.execGate, metrics: n.metrics}}
}

// transfer signs a transfer from testKey(key) for chain id.
func (f *admissionFixture) transfer(t *testing.T, key int, id *big.Int) *types.Transaction {
	t.Helper()
	tx, err := attacktest.Transfer(testKey(key), id, 0)
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

// TestAdmissionMetricsCountOutcomes: bilayer_txpool_admissions_total
// tells, per path, the transactions refused before their sender was
// recovered, those that failed the checks, those recovered and then
// refused, and those added; bilayer_block_sender_recoveries_total counts
// a block's transactions that were not pooled and
// bilayer_block_senders_from_refused_gossip_total those of them whose
// senders a refused gossip had recovered (issue 17: what a validator
// spends under a load above what the chain takes).
func TestAdmissionMetricsCountOutcomes(t *testing.T) {
	f := newAdmissionFixture(t, func(c *txpool.Config) { c.MaxTxs = 2 })
	n, m, rpc, chainID := f.n, f.m, f.rpc, f.chainID
	transfer := func(key int, id *big.Int) *types.Transaction { return f.transfer(t, key, id) }
	ctx := context.Background()
	first, second, third := transfer(2000, chainID), transfer(2001, chainID), transfer(2002, chainID)
	for i, step := range []struct {
		tx   *types.Transaction
		fail bool
	}{
		{first, false},
		{first, true},                         // known: recovered, then refused
		{transfer(2003, big.NewInt(1)), true}, // another chain's: invalid
		{second, false},                       // the pool is full now
		{third, true},                         // refused before recovery
	} {
		if err := rpc.SendTransaction(ctx, step.tx); (err != nil) != step.fail {
			t.Fatalf("send %d: err %v, want failure %v", i, err, step.fail)
		}
	}
	n.txGate = newTxGate(txWaitBudget) // as startGossip sets it
	gossiped := transfer(999, chainID)
	data, err := wire.EncodeTxBatch([]*types.Transaction{gossiped}, []common.Address{crypto.PubkeyToAddress(testKey(999).PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	if v := n.validateTxBatch("peer", data); v != p2p.Ignore {
		t.Fatalf("a batch a full pool refuses: verdict %v, want ignore", v)
	}
	// The same transaction from another peer: its sender is held, so it is
	// refused without a second recovery.
	if v := n.validateTxBatch("another peer", data); v != p2p.Ignore {
		t.Fatalf("the same batch again: verdict %v, want ignore", v)
	}
	for _, c := range []struct {
		path, outcome string
		want          float64
	}{
		{"rpc", admissionAdded, 2},
		{"rpc", admissionRecoveredRefused, 1},
		{"rpc", admissionInvalid, 1},
		{"rpc", admissionRefused, 1},
		// A full pool recovers a gossiped transaction's sender for the
		// proposal that will carry it, and refuses it; the second copy
		// costs no recovery.
		{"gossip", admissionRecoveredRefused, 1},
		{"gossip", admissionRefused, 1},
		{"gossip", admissionAdded, 0},
	} {
		if got := counterValue(t, m.Admissions.WithLabelValues(c.path, c.outcome)); got != c.want {
			t.Errorf("%s %s: %v, want %v", c.path, c.outcome, got, c.want)
		}
	}
	// A false sender claim is caught by that recovery: the batch is
	// rejected, and nothing is held.
	liar := transfer(998, chainID)
	data, err = wire.EncodeTxBatch([]*types.Transaction{liar}, []common.Address{crypto.PubkeyToAddress(testKey(997).PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	if v := n.validateTxBatch("peer", data); v != p2p.Reject {
		t.Fatalf("a batch with a false sender at a full pool: verdict %v, want reject", v)
	}
	if _, ok := n.refusedSenders.get(liar.Hash()); ok {
		t.Fatal("the falsely claimed transaction's sender is held")
	}
	if got := counterValue(t, m.Admissions.WithLabelValues("gossip", admissionInvalid)); got != 1 {
		t.Errorf("gossip invalid: %v, want 1 (the false claim)", got)
	}
	if from, ok := n.refusedSenders.get(gossiped.Hash()); !ok || from != crypto.PubkeyToAddress(testKey(999).PublicKey) {
		t.Errorf("the refused gossiped transaction's sender: %s (held %v)", from, ok)
	}
	b := block.Assemble(&types.Header{Number: big.NewInt(1)}, types.Transactions{first, third, gossiped}, block.Extras{})
	n.withPooledTxs(b)
	if got := counterValue(t, m.BlockRecoveries); got != 1 {
		t.Errorf("block sender recoveries %v, want 1 (the block's transaction neither pooled nor held: third)", got)
	}
	if got := counterValue(t, m.BlockHeldSenders); got != 1 {
		t.Errorf("block senders from refused gossip %v, want 1 (gossiped)", got)
	}
}

// counterValue reads a counter's value.
func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// TestGossipDropsPooledCopiesBeforeDecoding: a gossiped transaction the
// pool already holds is dropped before it is decoded and counted "known";
// a batch holding one is not relayed as it is (ignored) while its new
// transactions enter the pool; a malformed transaction beside a known one
// still rejects the batch (issue 17, session 36: under overload most of a
// validator's gossip is such copies).
func TestGossipDropsPooledCopiesBeforeDecoding(t *testing.T) {
	f := newAdmissionFixture(t, func(*txpool.Config) {})
	n, m := f.n, f.m
	n.txGate = newTxGate(txWaitBudget)                          // as startGossip sets it
	n.txGossip = &txBatcher{n: n, kick: make(chan struct{}, 1)} // not run: what it would relay stays in its buffer
	// Keys 2000 and up are funded at genesis.
	a, b, c := f.transfer(t, 2000, f.chainID), f.transfer(t, 2001, f.chainID), f.transfer(t, 2002, f.chainID)
	from := func(key int) common.Address { return crypto.PubkeyToAddress(testKey(key).PublicKey) }
	batch := func(txs []*types.Transaction, keys ...int) []byte {
		t.Helper()
		var senders []common.Address
		for _, k := range keys {
			senders = append(senders, from(k))
		}
		data, err := wire.EncodeTxBatch(txs, senders)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	if v := n.validateTxBatch("peer", batch([]*types.Transaction{a, b}, 2000, 2001)); v != p2p.Accept {
		t.Fatalf("a batch of new transactions: verdict %v, want accept", v)
	}
	if v := n.validateTxBatch("another peer", batch([]*types.Transaction{a, c}, 2000, 2002)); v != p2p.Ignore {
		t.Fatalf("a pooled and a new transaction: verdict %v, want ignore", v)
	}
	if !n.pool.Has(c.Hash()) {
		t.Fatal("the new transaction beside a pooled one did not enter the pool")
	}
	if buf := n.txGossip.buf; len(buf) != 1 || buf[0].Hash() != c.Hash() {
		t.Fatalf("relayed in the node's own batch: %d transactions, want the new one alone", len(buf))
	}
	malformed, err := rlp.EncodeToBytes(struct {
		Txs     [][]byte
		Senders []common.Address
	}{[][]byte{mustBinary(t, b), {2, 0xc0}}, []common.Address{from(2001), from(2001)}})
	if err != nil {
		t.Fatal(err)
	}
	if v := n.validateTxBatch("peer", malformed); v != p2p.Reject {
		t.Fatalf("a pooled and a malformed transaction: verdict %v, want reject", v)
	}
	for _, c := range []struct {
		outcome string
		want    float64
	}{{admissionAdded, 3}, {admissionKnown, 2}, {admissionRefused, 0}, {admissionRecoveredRefused, 0}} {
		if got := counterValue(t, m.Admissions.WithLabelValues("gossip", c.outcome)); got != c.want {
			t.Errorf("gossip %s: %v, want %v", c.outcome, got, c.want)
		}
	}
}

func mustBinary(t *testing.T, tx *types.Transaction) []byte {
	t.Helper()
	data, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
