package node

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/bilayer/bilayer/txpool"
)

// TestSubmittedTransactionsLeaveRoomForGossip: once the pool holds
// MaxSubmittedTxs, a transaction sent to this node's JSON-RPC is refused
// ("txpool is full", before its sender is recovered) while one a peer
// gossips is still pooled, up to MaxTxs (issue 17: under a load above what
// the chain takes, the validators then hold one shared backlog, not each
// its own clients').
func TestSubmittedTransactionsLeaveRoomForGossip(t *testing.T) {
	f := newAdmissionFixture(t, func(c *txpool.Config) { c.MaxTxs, c.MaxSubmittedTxs = 3, 2 })
	n, m, rpc := f.n, f.m, f.rpc
	transfer := func(key int) *types.Transaction { return f.transfer(t, key, f.chainID) }
	ctx := context.Background()
	for _, key := range []int{2000, 2001} {
		if err := rpc.SendTransaction(ctx, transfer(key)); err != nil {
			t.Fatalf("submission %d, with room: %v", key, err)
		}
	}
	if err := rpc.SendTransaction(ctx, transfer(2002)); !errors.Is(err, txpool.ErrPoolFull) {
		t.Fatalf("a third submission: got %v, want txpool is full", err)
	}
	if got := counterValue(t, m.Admissions.WithLabelValues("rpc", admissionRefused)); got != 1 {
		t.Errorf("rpc refused before recovery: %v, want 1", got)
	}
	n.txGate = newTxGate(txWaitBudget) // as startGossip sets it
	gossiped := transfer(999)
	data, err := wire.EncodeTxBatch([]*types.Transaction{gossiped}, []common.Address{crypto.PubkeyToAddress(testKey(999).PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	if v := n.validateTxBatch("peer", data); v != p2p.Accept {
		t.Fatalf("a gossiped transaction with room above the submitted bound: verdict %v, want accept", v)
	}
	if n.pool.Get(gossiped.Hash()) == nil {
		t.Fatal("the gossiped transaction is not pooled")
	}
	if got := n.pool.Len(); got != 3 {
		t.Fatalf("pool holds %d, want 3", got)
	}
}

// TestCheckedProposalLeavesTheClientsShare: once the driver has checked
// the proposal of its height, the block's pooled transactions no longer
// take the share of the pool its JSON-RPC clients may fill (they leave at
// the commit), so clients can fill it for the next block while this one is
// voted on; the commit takes them out of the count with the pool.
func TestCheckedProposalLeavesTheClientsShare(t *testing.T) {
	h := newDriverHarness(t)
	p1 := h.proposerOf(1, 0)
	self := h.others(p1)[0]
	signers := h.others(self)
	txs := userTransfers(t, h, 4)
	addToPool(t, h.src, txs)
	b1, _ := h.nextBlock(p1, 0, signers)
	if len(b1.Transactions) != len(txs) {
		t.Fatalf("block 1 holds %d transfers, want %d", len(b1.Transactions), len(txs))
	}
	id1 := consensus.BlockID(b1.Hash())
	h.start(self, memdb.New(), nil)
	addToPool(t, h.n, txs)
	if got := h.n.pool.Deciding(); got != 0 {
		t.Fatalf("%d pooled transactions counted as the block being decided before any proposal", got)
	}
	h.deliver(evMessage{msg: h.proposal(p1, b1, 0, consensus.NilRound, nil)})
	if got := h.n.pool.Deciding(); got != len(txs) {
		t.Fatalf("after the proposal was checked %d pooled transactions count as the block being decided, want its %d", got, len(txs))
	}
	for _, typ := range []consensus.VoteType{consensus.Prevote, consensus.Precommit} {
		for _, v := range h.votes(signers, typ, 1, 0, id1) {
			h.deliver(evMessage{msg: consensusMsg{vote: &v}})
		}
	}
	if h.head() != 1 {
		t.Fatalf("head %d, want block 1 committed", h.head())
	}
	if got, left := h.n.pool.Deciding(), h.n.pool.Len(); got != 0 || left != 0 {
		t.Fatalf("after the commit: %d counted as the block being decided, %d pooled; want 0 and 0", got, left)
	}
}

// TestMempoolOfSplitsThePool: the validator's flags give a pool whose
// submitted share is half of it unless set, and bounds out of range are
// refused with the figures.
func TestMempoolOfSplitsThePool(t *testing.T) {
	for _, c := range []struct {
		maxTxs, submitted, wantSubmitted int
	}{
		{DefaultMempoolTxs, 0, DefaultMempoolSubmittedTxs},
		{1000, 0, 500},
		{1000, 800, 800},
		{1000, 1000, 1000},
		{1, 0, 1},
	} {
		got, err := MempoolOf(c.maxTxs, c.submitted)
		if err != nil {
			t.Fatalf("MempoolOf(%d, %d): %v", c.maxTxs, c.submitted, err)
		}
		if got.MaxTxs != c.maxTxs || got.MaxSubmittedTxs != c.wantSubmitted {
			t.Errorf("MempoolOf(%d, %d): %d / %d, want %d / %d", c.maxTxs, c.submitted, got.MaxTxs, got.MaxSubmittedTxs, c.maxTxs, c.wantSubmitted)
		}
	}
	if def := DefaultMempool(); def.MaxTxs != DefaultMempoolTxs || def.MaxSubmittedTxs != DefaultMempoolSubmittedTxs {
		t.Errorf("DefaultMempool: %d / %d", def.MaxTxs, def.MaxSubmittedTxs)
	}
	for _, bad := range [][2]int{{0, 0}, {-1, 0}, {100, 101}, {100, -1}} {
		if _, err := MempoolOf(bad[0], bad[1]); err == nil || !strings.Contains(err.Error(), strconv.Itoa(bad[0])) {
			t.Errorf("MempoolOf(%d, %d): %v, want an error naming the figures", bad[0], bad[1], err)
		}
	}
}
