package node

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// TestTxRelayChecksSignaturesAndRelaysOnlyPooled is issue 16's fourth
// attack: the transaction topic's validator only decoded a batch, so
// batches of transactions with garbage signatures, or from accounts that
// hold nothing, were relayed to the whole network and every node recovered
// every sender again, and nobody was penalised. Now a batch with an
// invalid transaction (signature, chain id) is rejected, and a node relays
// only the transactions that entered its pool.
func TestTxRelayChecksSignaturesAndRelaysOnlyPooled(t *testing.T) {
	s := newHostileSetup(t, hostileGenesis(t, 0))
	ctx := context.Background()
	bad, err := attacktest.BadSignatureTxs(s.chainID(), 100, 1)
	if err != nil {
		t.Fatal(err)
	}
	unfunded, err := attacktest.UnfundedTxs(s.chainID(), 100)
	if err != nil {
		t.Fatal(err)
	}
	otherChain, err := attacktest.UnfundedTxs(big.NewInt(1), 1)
	if err != nil {
		t.Fatal(err)
	}
	var honest []*types.Transaction
	for nonce := range uint64(2) {
		tx, err := attacktest.Transfer(s.user, s.chainID(), nonce)
		if err != nil {
			t.Fatal(err)
		}
		honest = append(honest, tx)
	}
	for i, batch := range [][]*types.Transaction{
		bad,
		otherChain,
		unfunded,
		append([]*types.Transaction{honest[0]}, unfunded[:10]...), // mixed: only honest[0] may go on
		honest[1:],
	} {
		if err := s.attacker.PublishTxs(ctx, batch); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	waitfor.Until(t, 10*time.Second, func() error {
		if got := len(s.observer.Txs()); got < len(honest) {
			return fmt.Errorf("the observer has %d transactions, want the %d honest ones", got, len(honest))
		}
		return nil
	})
	var relayed []common.Hash
	for _, tx := range s.observer.Txs() {
		relayed = append(relayed, tx.Hash())
	}
	for _, tx := range honest {
		if !slices.Contains(relayed, tx.Hash()) {
			t.Errorf("honest transaction %s was not relayed", tx.Hash())
		}
	}
	if len(relayed) != len(honest) {
		t.Errorf("the node relayed %d transactions, want only the %d that entered its pool", len(relayed), len(honest))
	}
	if got := s.rejects(s.attacker.ID()); got != 2 {
		t.Errorf("the node rejected %d of the attacker's batches, want 2 (bad signatures, other chain)", got)
	}
	if got := s.node.Pool().Len(); got != len(honest) {
		t.Errorf("the pool holds %d transactions, want %d", got, len(honest))
	}
}

// TestTxRelayRejectsAFalseSender: a batch names each transaction's sender
// so that a node can refuse before recovering it (issue 17); a batch whose
// named sender is not the signer is rejected, and its transaction is not
// pooled.
func TestTxRelayRejectsAFalseSender(t *testing.T) {
	s := newHostileSetup(t, hostileGenesis(t, 0))
	ctx := context.Background()
	tx, err := attacktest.Transfer(s.user, s.chainID(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.attacker.PublishTxsClaiming(ctx, []*types.Transaction{tx}, []common.Address{{0xee}}); err != nil {
		t.Fatal(err)
	}
	waitfor.Until(t, 10*time.Second, func() error {
		if got := s.rejects(s.attacker.ID()); got != 1 {
			return fmt.Errorf("the node rejected %d of the attacker's batches, want 1", got)
		}
		return nil
	})
	if s.node.Pool().Has(tx.Hash()) {
		t.Error("a transaction gossiped under a false sender was pooled")
	}
	if err := s.attacker.PublishTxs(ctx, []*types.Transaction{tx}); err != nil {
		t.Fatal(err)
	}
	waitfor.Until(t, 10*time.Second, func() error {
		if !s.node.Pool().Has(tx.Hash()) {
			return fmt.Errorf("the transaction under its true sender is not pooled")
		}
		return nil
	})
}
