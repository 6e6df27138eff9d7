package execution

import (
	"math/big"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// countingSigner counts its recoveries and, for the transaction with hash
// panicOn, panics instead; it is Equal only to itself, so the sender
// cache answers a later types.Sender with it only for what it recovered.
type countingSigner struct {
	types.Signer
	recoveries atomic.Int64
	panicOn    common.Hash
}

func (s *countingSigner) Sender(tx *types.Transaction) (common.Address, error) {
	if tx.Hash() == s.panicOn {
		panic("a recovery that panics")
	}
	s.recoveries.Add(1)
	return s.Signer.Sender(tx)
}

func (s *countingSigner) Equal(other types.Signer) bool { return other == s }

// transfers signs n transfers from n funded keys.
func transfers(e *env, n int) []*types.Transaction {
	txs := make([]*types.Transaction, n)
	for i := range txs {
		txs[i] = e.dyn(i, 0, ptr(common.HexToAddress("0xbeef")), big.NewInt(1), TxGas, nil)
	}
	return txs
}

// fresh decodes txs again, so that no sender is cached.
func fresh(t *testing.T, txs []*types.Transaction) []*types.Transaction {
	t.Helper()
	out := make([]*types.Transaction, len(txs))
	for i, tx := range txs {
		raw, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		out[i] = new(types.Transaction)
		if err := out[i].UnmarshalBinary(raw); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestRecoverSendersCachesEverySender: on two workers and on one,
// RecoverSenders leaves every sender of a block's transactions in their
// caches (a later types.Sender recovers nothing), each its transaction's
// sender.
func TestRecoverSendersCachesEverySender(t *testing.T) {
	e := newEnv(t, 100)
	signed := transfers(e, 100)
	for _, workers := range []int{2, 1} {
		s := &countingSigner{Signer: e.signer}
		txs := fresh(t, signed)
		RecoverSenders(s, txs, workers)
		if got := s.recoveries.Load(); got != 100 {
			t.Fatalf("%d workers: %d recoveries for 100 transactions, want 100", workers, got)
		}
		for i, tx := range txs {
			from, err := types.Sender(s, tx)
			if err != nil || from != addrOf(e.keys[i]) {
				t.Fatalf("%d workers: transaction %d: sender %s (%v), want %s", workers, i, from, err, addrOf(e.keys[i]))
			}
		}
		if got := s.recoveries.Load(); got != 100 {
			t.Fatalf("%d workers: %d recoveries after asking every sender again, want still 100 (cached)", workers, got)
		}
	}
}

// TestRecoverSendersContainsAPanic: a transaction whose recovery panics
// (its recovery runs again, where the caller contains panics, when it
// executes) neither ends the process nor stops the others being cached,
// on a worker goroutine or on the caller's.
func TestRecoverSendersContainsAPanic(t *testing.T) {
	e := newEnv(t, 100)
	for _, workers := range []int{2, 1} {
		txs := fresh(t, transfers(e, 100))
		s := &countingSigner{Signer: e.signer, panicOn: txs[17].Hash()}
		RecoverSenders(s, txs, workers)
		if got := s.recoveries.Load(); got != 99 {
			t.Fatalf("%d workers: %d recoveries, want the 99 that do not panic", workers, got)
		}
	}
}

// TestApplyBlockWithSendersRecoveredAhead: ApplyBlock gives the same
// result whether the senders were recovered ahead on two Ps or one by one
// as the transactions executed on one.
func TestApplyBlockWithSendersRecoveredAhead(t *testing.T) {
	e := newEnv(t, 100)
	signed := transfers(e, 100)
	apply := func(procs int) *Result {
		t.Helper()
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		res, err := ApplyBlock(e.cfg, e.state(), e.header(1), fresh(t, signed), e.reg, RejectInvalid, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	one, two := apply(1), apply(2)
	if one.StateRoot != two.StateRoot || one.GasUsed != two.GasUsed || len(one.Receipts) != 100 || len(two.Receipts) != 100 {
		t.Fatalf("one P: root %s, gas %d, %d receipts; two: root %s, gas %d, %d receipts",
			one.StateRoot, one.GasUsed, len(one.Receipts), two.StateRoot, two.GasUsed, len(two.Receipts))
	}
}
