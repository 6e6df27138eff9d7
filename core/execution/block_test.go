package execution

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// mixedBlock builds a block of transfers (to existing and new accounts),
// system calls (storage writes, a storage deletion via withdraw-all, a
// failed call) from n funded keys. The first block (number 1) deposits,
// the second withdraws; it returns both.
func mixedBlocks(e *env, rng *rand.Rand) (first, second []*types.Transaction) {
	n := len(e.keys)
	for i := 0; i < n; i++ {
		switch i % 4 {
		case 0:
			first = append(first, e.dyn(i, 0, &counterAddr, big.NewInt(1_000), 100_000, e.pack("deposit")))
			second = append(second, e.dyn(i, 1, &counterAddr, nil, 100_000, e.pack("withdraw", big.NewInt(1_000))))
		case 1:
			fresh := common.BigToAddress(new(big.Int).SetUint64(rng.Uint64()))
			first = append(first, e.dyn(i, 0, &fresh, big.NewInt(5), TxGas, nil))
			second = append(second, e.dyn(i, 1, &counterAddr, nil, 100_000, e.pack("increment", big.NewInt(int64(i)))))
		case 2:
			peer := addrOf(e.keys[rng.IntN(n)])
			first = append(first, e.dyn(i, 0, &peer, big.NewInt(3), TxGas, nil))
			second = append(second, e.dyn(i, 1, &counterAddr, nil, 100_000, e.pack("fail", "x")))
		default:
			first = append(first, e.dyn(i, 0, &counterAddr, nil, 100_000, e.pack("increment", big.NewInt(1))))
			fresh := common.BigToAddress(new(big.Int).SetUint64(rng.Uint64()))
			second = append(second, e.dyn(i, 1, &fresh, big.NewInt(9), TxGas, nil))
		}
	}
	return first, second
}

// TestApplyBlockDeterministic proves the same blocks applied to two fresh
// databases give the same roots, before and after commit.
func TestApplyBlockDeterministic(t *testing.T) {
	var results [2][]*Result
	var commits [2][]common.Hash
	for run := 0; run < 2; run++ {
		e := newEnv(t, 40)
		b1, b2 := mixedBlocks(e, rand.New(rand.NewPCG(7, 7)))
		for i, txs := range [][]*types.Transaction{b1, b2} {
			res, err := ApplyBlock(e.cfg, e.state(), e.header(int64(i+1)), txs, e.reg, RejectInvalid, Options{})
			if err != nil {
				t.Fatal(err)
			}
			results[run] = append(results[run], res)
			// Re-apply to commit (ApplyBlock leaves the StateDB to the caller).
			sdb := e.state()
			if _, err := ApplyBlock(e.cfg, sdb, e.header(int64(i+1)), txs, e.reg, RejectInvalid, Options{}); err != nil {
				t.Fatal(err)
			}
			root, err := e.db.Commit(sdb, uint64(i+1))
			if err != nil {
				t.Fatal(err)
			}
			if root != res.StateRoot {
				t.Fatalf("committed root %s != result root %s", root, res.StateRoot)
			}
			e.root = root
			commits[run] = append(commits[run], root)
		}
	}
	for i := range results[0] {
		a, b := results[0][i], results[1][i]
		if a.StateRoot != b.StateRoot || a.ReceiptsRoot != b.ReceiptsRoot || a.TxRoot != b.TxRoot || a.Bloom != b.Bloom || a.GasUsed != b.GasUsed {
			t.Errorf("block %d differs between databases", i+1)
		}
		if commits[0][i] != commits[1][i] {
			t.Errorf("block %d committed roots differ", i+1)
		}
	}
	if results[0][0].StateRoot == results[0][1].StateRoot {
		t.Error("second block changed nothing")
	}
}

// TestApplyBlockPolicies proves RejectInvalid fails the block on an invalid
// transaction while SkipInvalid leaves it out and lists it.
func TestApplyBlockPolicies(t *testing.T) {
	e := newEnv(t, 2)
	to := common.HexToAddress("0xb0b")
	txs := []*types.Transaction{
		e.dyn(0, 0, &to, big.NewInt(1), TxGas, nil),
		e.dyn(1, 7, &to, big.NewInt(1), TxGas, nil), // nonce too high
		e.dyn(0, 1, &to, big.NewInt(1), TxGas, nil),
	}
	_, err := ApplyBlock(e.cfg, e.state(), e.header(1), txs, e.reg, RejectInvalid, Options{})
	if !errors.Is(err, ErrInvalidBlock) || !errors.Is(err, ErrNonceTooHigh) {
		t.Fatalf("RejectInvalid: %v", err)
	}
	res, err := ApplyBlock(e.cfg, e.state(), e.header(1), txs, e.reg, SkipInvalid, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Transactions) != 2 || len(res.Skipped) != 1 || res.Skipped[0].Index != 1 || !errors.Is(res.Skipped[0].Err, ErrNonceTooHigh) {
		t.Fatalf("skipped %+v, included %d", res.Skipped, len(res.Transactions))
	}
	if res.Receipts[1].TransactionIndex != 1 || res.Receipts[1].TxHash != txs[2].Hash() {
		t.Error("receipt indexes do not follow the included transactions")
	}
	if _, err := ApplyBlock(e.cfg, e.state(), &types.Header{Number: big.NewInt(1), GasLimit: 1}, nil, e.reg, SkipInvalid, Options{}); !errors.Is(err, ErrInvalidBlock) {
		t.Errorf("header without base fee: %v", err)
	}
}
