package sequencer

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestCensoredSenderIsLeftOut proves --dev.censor: the censored sender's
// transactions stay out of every block while the others' are included,
// and they wait in the pool.
func TestCensoredSenderIsLeftOut(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	h := newHarness(t, memdb.New(), l1)
	censored := crypto.PubkeyToAddress(h.keys[2].PublicKey)
	h.seq.cfg.Censor = []common.Address{censored}
	to := common.HexToAddress("0xb0b")
	bad := h.send(2, 0, to, big.NewInt(5))
	good := h.send(1, 0, to, big.NewInt(7))
	for range 4 {
		h.now = h.now.Add(300 * time.Millisecond)
		h.step()
	}
	if _, err := h.chain.TxLocation(good.Hash()); err != nil {
		t.Fatalf("the uncensored transfer was not included: %v", err)
	}
	if _, err := h.chain.TxLocation(bad.Hash()); err == nil {
		t.Fatal("the censored sender's transfer was included")
	}
	if h.pool.PendingNonce(censored) != 1 {
		t.Fatalf("the censored transfer left the pool (pending nonce %d)", h.pool.PendingNonce(censored))
	}
	if got := h.balance(to); got.Int64() != 7 {
		t.Fatalf("recipient has %s, want only the uncensored 7", got)
	}
}

// TestFailedForcedOperationStatus proves a forced operation the L2
// balance cannot cover is applied as "failed", with its reason, in
// rollup_depositStatus, and changes nothing; a covered one is "applied".
func TestFailedForcedOperationStatus(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	h := newHarness(t, memdb.New(), l1)
	api := NewRollupAPI(h.chain, h.seq, nil)
	rich := crypto.PubkeyToAddress(h.keys[0].PublicKey)
	poor, to := common.HexToAddress("0x9001"), common.HexToAddress("0xb0b")
	l1.mine(genesisTime+1,
		block.Operation{Kind: block.OpForceTransfer, From: poor, To: to, Amount: big.NewInt(5)},
		block.Operation{Kind: block.OpForceTransfer, From: rich, To: to, Amount: big.NewInt(9)})
	h.now = time.Unix(genesisTime+1, 0)
	h.step()
	failed, err := api.DepositStatus(context.Background(), 0x1, 0)
	if err != nil || failed.Status != StatusFailed || !strings.Contains(failed.Reason, "L2 balance") {
		t.Fatalf("uncovered force transfer: %+v, %v", failed, err)
	}
	ok, err := api.DepositStatus(context.Background(), 0x1, 1)
	if err != nil || ok.Status != StatusApplied || ok.Reason != "" {
		t.Fatalf("covered force transfer: %+v, %v", ok, err)
	}
	if got := h.balance(to); got.Int64() != 9 {
		t.Fatalf("recipient has %s, want 9 (only the covered transfer)", got)
	}
}
