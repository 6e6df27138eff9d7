package node

import (
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// countingSigner counts the sender recoveries made through it. It is equal
// to any signer its inner signer is equal to, so a sender cached by it is
// reused by the chain's own signer, as the node's pool and chain share one.
type countingSigner struct {
	types.Signer
	recoveries *atomic.Int64
}

func (s countingSigner) Sender(tx *types.Transaction) (common.Address, error) {
	s.recoveries.Add(1)
	return s.Signer.Sender(tx)
}

func (s countingSigner) Equal(other types.Signer) bool {
	if c, ok := other.(countingSigner); ok {
		other = c.Signer
	}
	return s.Signer.Equal(other)
}

type richState struct{}

func (richState) GetNonce(common.Address) uint64 { return 0 }
func (richState) GetBalance(common.Address) *uint256.Int {
	return uint256.NewInt(1e18)
}

// TestProposalReusesPooledSenders: the transactions of a proposed block
// arrive decoded afresh, without the senders the pool recovered when they
// were admitted; withPooledTxs swaps in the pool's objects, so checking
// and executing the block recovers no sender again. Without the swap, every
// transaction would be recovered a second time.
func TestProposalReusesPooledSenders(t *testing.T) {
	chainID := big.NewInt(1337)
	var recoveries atomic.Int64
	signer := countingSigner{Signer: types.LatestSignerForChainID(chainID), recoveries: &recoveries}
	accept := func(*types.Transaction, common.Address, txpool.StateView, *big.Int) error { return nil }
	pool := txpool.New(txpool.DefaultConfig(), signer, accept, richState{}, big.NewInt(1))
	const count = 20
	var txs types.Transactions
	for i := range count {
		tx := signedBy(t, i+1, chainID)
		// As from gossip or RPC: a fresh object, its sender not known.
		raw, _ := tx.MarshalBinary()
		fresh := new(types.Transaction)
		if err := fresh.UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, fresh)
	}
	for i, err := range pool.Add(txs...) {
		if err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	if got := recoveries.Load(); got != count {
		t.Fatalf("admission recovered %d senders, want %d", got, count)
	}
	proposal := func() *block.Block {
		enc, err := block.Assemble(&types.Header{Number: big.NewInt(1)}, txs, block.Extras{}).Encode()
		if err != nil {
			t.Fatal(err)
		}
		b, err := block.Decode(enc, 1<<24)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sendersOf := func(b *block.Block) int64 {
		before := recoveries.Load()
		for _, tx := range b.Transactions {
			if _, err := types.Sender(signer, tx); err != nil {
				t.Fatal(err)
			}
		}
		return recoveries.Load() - before
	}
	n := &Node{pool: pool}
	b := n.withPooledTxs(proposal())
	for i, tx := range b.Transactions {
		if tx != pool.Get(tx.Hash()) {
			t.Fatalf("transaction %d of the proposal is not the pooled object", i)
		}
	}
	if got := sendersOf(b); got != 0 {
		t.Fatalf("the proposal's transactions needed %d recoveries after the swap, want 0", got)
	}
	if err := b.CheckCommitments(); err != nil {
		t.Fatalf("the swap changed the block: %v", err)
	}
	if got := sendersOf(proposal()); got != count {
		t.Fatalf("without the swap: %d recoveries, want %d (the test would prove nothing)", got, count)
	}
}

// TestProposalRecoversUnpooledSendersOnArrival: the transactions of a
// proposal that are not pooled (a full pool refused them from gossip)
// have their senders recovered by withPooledTxs, on several goroutines,
// when the proposal arrives: executing the block recovers none.
func TestProposalRecoversUnpooledSendersOnArrival(t *testing.T) {
	chainID := big.NewInt(1337)
	var recoveries atomic.Int64
	signer := countingSigner{Signer: types.LatestSignerForChainID(chainID), recoveries: &recoveries}
	accept := func(*types.Transaction, common.Address, txpool.StateView, *big.Int) error { return nil }
	pool := txpool.New(txpool.DefaultConfig(), signer, accept, richState{}, big.NewInt(1))
	const count, pooled = 100, 30
	var txs types.Transactions
	for i := range count {
		txs = append(txs, signedBy(t, i+1, chainID))
	}
	enc, err := block.Assemble(&types.Header{Number: big.NewInt(1)}, txs, block.Extras{}).Encode()
	if err != nil {
		t.Fatal(err)
	}
	decode := func() *block.Block {
		b, err := block.Decode(enc, 1<<24)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for i, err := range pool.Add(decode().Transactions[:pooled]...) {
		if err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	recoveries.Store(0)
	b := (&Node{pool: pool}).withPooledTxs(decode())
	if got := recoveries.Load(); got != count-pooled {
		t.Fatalf("the proposal's arrival recovered %d senders, want %d (those not pooled)", got, count-pooled)
	}
	for i, tx := range b.Transactions {
		if _, err := types.Sender(signer, tx); err != nil {
			t.Fatalf("transaction %d: %v", i, err)
		}
	}
	if got := recoveries.Load(); got != count-pooled {
		t.Fatalf("executing the block recovered %d more senders, want 0", got-(count-pooled))
	}
	if err := b.CheckCommitments(); err != nil {
		t.Fatalf("the block changed: %v", err)
	}
}

// TestRecoverSendersOnSeveralGoroutines: every transaction's sender is
// recovered once, whatever the number of goroutines.
func TestRecoverSendersOnSeveralGoroutines(t *testing.T) {
	chainID := big.NewInt(1337)
	base := types.LatestSignerForChainID(chainID)
	for _, workers := range []int{1, 2, 3, 8} {
		var recoveries atomic.Int64
		signer := countingSigner{Signer: base, recoveries: &recoveries}
		var txs []*types.Transaction
		want := map[int]common.Address{}
		for i := range 50 {
			key, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(i+1)).Bytes(), 32))
			if err != nil {
				t.Fatal(err)
			}
			tx, err := types.SignNewTx(key, base, &types.DynamicFeeTx{ChainID: chainID, Gas: 21000, GasFeeCap: big.NewInt(1)})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := tx.MarshalBinary()
			fresh := new(types.Transaction)
			if err := fresh.UnmarshalBinary(raw); err != nil {
				t.Fatal(err)
			}
			txs = append(txs, fresh)
			want[i] = crypto.PubkeyToAddress(key.PublicKey)
		}
		execution.RecoverSenders(signer, txs, workers)
		if got := recoveries.Load(); got != int64(len(txs)) {
			t.Fatalf("%d goroutines: %d recoveries, want %d", workers, got, len(txs))
		}
		for i, tx := range txs {
			if from, err := types.Sender(signer, tx); err != nil || from != want[i] {
				t.Fatalf("%d goroutines: transaction %d from %s (%v), want %s", workers, i, from, err, want[i])
			}
		}
		if got := recoveries.Load(); got != int64(len(txs)) {
			t.Fatalf("%d goroutines: senders recovered again afterwards", workers)
		}
	}
}

// signedBy returns a transfer signed by the key whose scalar is key.
func signedBy(t *testing.T, key int, chainID *big.Int) *types.Transaction {
	t.Helper()
	k, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(key)).Bytes(), 32))
	if err != nil {
		t.Fatal(err)
	}
	to := common.HexToAddress("0xbeef")
	tx, err := types.SignNewTx(k, types.LatestSignerForChainID(chainID), &types.DynamicFeeTx{ChainID: chainID, Gas: 21000,
		To: &to, Value: big.NewInt(1), GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10)})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}
