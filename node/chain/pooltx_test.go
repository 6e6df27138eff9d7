package chain

import (
	"errors"
	"log/slog"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestValidatePoolTxRemembersStatelessChecks: a transaction that passed
// the stateless checks is re-validated against the base fee and the state
// only, with the same verdicts and errors as a chain that never saw it; a
// transaction that failed them is never remembered.
func TestValidatePoolTxRemembersStatelessChecks(t *testing.T) {
	env := newTestEnv(t, 1)
	seen, fresh := env.open(t, memdb.New()), env.open(t, memdb.New())
	tx := env.transfer(t, 0, 0, 1) // fee cap 10 gwei
	from, err := seen.CheckTx(tx)
	if err != nil || from != crypto.PubkeyToAddress(env.keys[0].PublicKey) {
		t.Fatalf("CheckTx: %s, %v", from, err)
	}
	if !seen.stateless.has(tx.Hash()) {
		t.Fatal("a valid transaction was not remembered")
	}
	st, err := seen.HeadState()
	if err != nil {
		t.Fatal(err)
	}
	for _, baseFee := range []*big.Int{big.NewInt(1e9), big.NewInt(11e9)} {
		got := seen.ValidatePoolTx(tx, from, st, baseFee)
		want := fresh.ValidatePoolTx(tx, from, st, baseFee)
		if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
			t.Fatalf("base fee %s: remembered %v, fresh %v", baseFee, got, want)
		}
	}
	if err := seen.ValidatePoolTx(tx, from, st, big.NewInt(11e9)); !errors.Is(err, execution.ErrFeeCapBelowBaseFee) || !execution.IsInvalidTx(err) {
		t.Fatalf("fee cap below the base fee: %v", err)
	}
	to := common.HexToAddress("0xdead")
	wrongChain, err := types.SignNewTx(env.keys[0], types.LatestSignerForChainID(big.NewInt(1)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1), Gas: 21000, To: &to, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(10e9)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seen.CheckTx(wrongChain); !errors.Is(err, execution.ErrInvalidChainID) {
		t.Fatalf("wrong chain id: %v", err)
	}
	if seen.stateless.has(wrongChain.Hash()) {
		t.Fatal("an invalid transaction was remembered")
	}
	if err := seen.ValidatePoolTx(wrongChain, from, st, big.NewInt(1e9)); !errors.Is(err, execution.ErrInvalidChainID) {
		t.Fatalf("wrong chain id in the pool check: %v", err)
	}
}

// TestCheckedTxsIsBounded: the memory keeps two generations; a hash is
// forgotten once two newer generations filled.
func TestCheckedTxsIsBounded(t *testing.T) {
	var m checkedTxs
	first := common.Hash{1}
	m.add(first)
	for i := range statelessGeneration {
		m.add(common.BigToHash(big.NewInt(int64(i + 2))))
	}
	if !m.has(first) {
		t.Fatal("forgot a hash of the previous generation")
	}
	for i := range statelessGeneration {
		m.add(common.BigToHash(big.NewInt(int64(i + 2 + statelessGeneration))))
	}
	if m.has(first) || len(m.cur)+len(m.prev) > 2*statelessGeneration {
		t.Fatalf("not bounded: first kept %v, %d + %d hashes", m.has(first), len(m.cur), len(m.prev))
	}
}

// BenchmarkValidatePoolTx is the pool's re-validation of a pooled
// transfer after a block, with the stateless verdict remembered (hit) and
// without (miss).
func BenchmarkValidatePoolTx(b *testing.B) {
	env := newTestEnv(b, 1)
	c, err := Open(memdb.New(), env.gen, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	tx := env.transfer(b, 0, 0, 1)
	from, err := types.Sender(c.Signer(), tx)
	if err != nil {
		b.Fatal(err)
	}
	st, err := c.HeadState()
	if err != nil {
		b.Fatal(err)
	}
	baseFee := big.NewInt(1e9)
	b.Run("miss", func(b *testing.B) {
		for b.Loop() {
			c.stateless = checkedTxs{}
			if err := c.ValidatePoolTx(tx, from, st, baseFee); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("hit", func(b *testing.B) {
		for b.Loop() {
			if err := c.ValidatePoolTx(tx, from, st, baseFee); err != nil {
				b.Fatal(err)
			}
		}
	})
}
