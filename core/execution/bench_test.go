package execution

import (
	"crypto/ecdsa"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/statedb"
)

const benchAccounts = 100_000

type transferBench struct {
	cfg  Config
	db   *statedb.DB
	root common.Hash
	raw  [][]byte // encoded signed transfers, decoded afresh per iteration
}

// newTransferBench funds benchAccounts accounts (the first `senders` with
// known keys) and signs one transfer per sender to a random funded account.
func newTransferBench(b *testing.B, senders int) *transferBench {
	b.Helper()
	rng := rand.New(rand.NewPCG(11, 13))
	alloc := make(map[common.Address]types.Account, benchAccounts)
	accounts := make([]common.Address, 0, benchAccounts)
	keys := make([]*ecdsa.PrivateKey, senders)
	for i := range benchAccounts {
		var a common.Address
		if i < senders {
			keys[i] = testKey(uint64(i))
			a = addrOf(keys[i])
		} else {
			a = common.BigToAddress(new(big.Int).SetUint64(rng.Uint64() | 1<<63))
		}
		accounts = append(accounts, a)
		alloc[a] = types.Account{Balance: new(big.Int).Set(ether)}
	}
	tb := &transferBench{cfg: DefaultConfig(testChainID), db: statedb.New(rawdb.NewMemoryDatabase())}
	var err error
	if tb.root, err = tb.db.ApplyAlloc(alloc); err != nil {
		b.Fatal(err)
	}
	signer := Signer(testChainID)
	for i := range senders {
		to := accounts[rng.IntN(len(accounts))]
		tx, err := types.SignNewTx(keys[i], signer, &types.DynamicFeeTx{ChainID: testChainID, GasTipCap: big.NewInt(1),
			GasFeeCap: big.NewInt(5_000), Gas: TxGas, To: &to, Value: big.NewInt(int64(1 + rng.IntN(1000)))})
		if err != nil {
			b.Fatal(err)
		}
		raw, err := tx.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		tb.raw = append(tb.raw, raw)
	}
	return tb
}

// fresh decodes new transaction objects, so no sender is cached.
func (tb *transferBench) fresh(b *testing.B) []*types.Transaction {
	txs := make([]*types.Transaction, len(tb.raw))
	for i, raw := range tb.raw {
		txs[i] = new(types.Transaction)
		if err := txs[i].UnmarshalBinary(raw); err != nil {
			b.Fatal(err)
		}
	}
	return txs
}

func benchHeader() *types.Header {
	return &types.Header{Number: big.NewInt(1), Time: 2, Coinbase: testCoinbase, GasLimit: 100_000_000, BaseFee: new(big.Int).Set(testBaseFee)}
}

// BenchmarkApplyBlock1000Transfers applies a block of 1,000 signed
// transfers from distinct senders over 100k accounts, sender recovery and
// the commit to the trie database included. Run with -cpu 1 for the
// one-core figure; the target is >= 8,000 tx/s.
func BenchmarkApplyBlock1000Transfers(b *testing.B) {
	tb := newTransferBench(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		txs := tb.fresh(b)
		sdb, err := tb.db.StateAt(tb.root)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := ApplyBlock(tb.cfg, sdb, benchHeader(), txs, nil, RejectInvalid, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tb.db.Commit(sdb, 1); err != nil {
			b.Fatal(err)
		}
		if len(res.Receipts) != len(txs) {
			b.Fatalf("%d receipts", len(res.Receipts))
		}
	}
	b.ReportMetric(float64(len(tb.raw)*b.N)/b.Elapsed().Seconds(), "tx/s")
}

// BenchmarkStateless500Transfers collects the witness of a 500-transfer
// block over 100k accounts and measures its stateless re-execution,
// reporting the encoded witness size.
func BenchmarkStateless500Transfers(b *testing.B) {
	tb := newTransferBench(b, 500)
	res, err := ApplyBlock(tb.cfg, mustState(b, tb), benchHeader(), tb.fresh(b), nil, RejectInvalid, Options{CollectWitness: true})
	if err != nil {
		b.Fatal(err)
	}
	enc, err := res.Witness.Encode()
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		txs := tb.fresh(b)
		b.StartTimer()
		w, err := DecodeWitness(enc, 4<<20)
		if err != nil {
			b.Fatal(err)
		}
		root, _, err := ExecuteStateless(tb.cfg, w, tb.root, benchHeader(), txs, nil, RejectInvalid, nil)
		if err != nil || root != res.StateRoot {
			b.Fatalf("stateless root %s, want %s: %v", root, res.StateRoot, err)
		}
	}
	b.ReportMetric(float64(len(enc)), "witness-bytes")
}

func mustState(b *testing.B, tb *transferBench) *state.StateDB {
	sdb, err := tb.db.StateAt(tb.root)
	if err != nil {
		b.Fatal(err)
	}
	return sdb
}

// BenchmarkSender measures types.Sender on a freshly decoded transaction
// (no cached sender): keccak of the signing hash plus secp256k1 recovery,
// done by libsecp256k1 via cgo when CGO_ENABLED=1.
func BenchmarkSender(b *testing.B) {
	signer := Signer(testChainID)
	to := common.HexToAddress("0xb0b")
	tx, err := types.SignNewTx(testKey(1), signer, &types.DynamicFeeTx{ChainID: testChainID, Gas: TxGas, GasFeeCap: big.NewInt(1), To: &to})
	if err != nil {
		b.Fatal(err)
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		fresh := new(types.Transaction)
		if err := fresh.UnmarshalBinary(raw); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := types.Sender(signer, fresh); err != nil {
			b.Fatal(err)
		}
	}
}
