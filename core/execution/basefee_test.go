package execution

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/consensus/misc/eip1559"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/params"
)

// TestNextBaseFeeMatchesGoEthereum checks our EIP-1559 formula against
// go-ethereum's CalcBaseFee on many seeded random parents, including the
// edges (empty, full, exactly at target, tiny base fees).
func TestNextBaseFeeMatchesGoEthereum(t *testing.T) {
	chain := &params.ChainConfig{ChainID: big.NewInt(1), LondonBlock: big.NewInt(0)}
	cfg := DefaultConfig(big.NewInt(1))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20_000; i++ {
		limit := 5_000 + rng.Uint64N(60_000_000)
		var used uint64
		switch i % 5 {
		case 0:
			used = 0
		case 1:
			used = limit
		case 2:
			used = limit / 2
		default:
			used = rng.Uint64N(limit + 1)
		}
		base := new(big.Int).SetUint64(rng.Uint64N(1 << uint(rng.IntN(63)+1)))
		parent := &types.Header{Number: big.NewInt(10), GasLimit: limit, GasUsed: used, BaseFee: base}
		want := eip1559.CalcBaseFee(chain, parent)
		if got := NextBaseFee(cfg, limit, used, base); got.Cmp(want) != 0 {
			t.Fatalf("limit %d used %d base %s: got %s, go-ethereum %s", limit, used, base, got, want)
		}
	}
}

// TestNextBaseFeeFloor proves the minimum base fee holds and that a zero
// gas target leaves the fee unchanged instead of dividing by zero.
func TestNextBaseFeeFloor(t *testing.T) {
	cfg := DefaultConfig(big.NewInt(1))
	cfg.MinBaseFee = big.NewInt(7)
	if got := NextBaseFee(cfg, 30_000_000, 0, big.NewInt(7)); got.Int64() != 7 {
		t.Errorf("empty block at floor: %s, want 7", got)
	}
	if got := NextBaseFee(cfg, 30_000_000, 0, big.NewInt(800)); got.Int64() != 700 {
		t.Errorf("empty block: %s, want 700", got)
	}
	if got := NextBaseFee(cfg, 1, 1, big.NewInt(50)); got.Int64() != 50 {
		t.Errorf("zero target: %s, want 50", got)
	}
	if got := NextBaseFee(cfg, 30_000_000, 30_000_000, big.NewInt(8)); got.Int64() != 9 {
		t.Errorf("full block from 8: %s, want 9 (at least +1)", got)
	}
}
