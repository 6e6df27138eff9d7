package genesis

import (
	"math/big"
	"testing"
)

// TestL1BaseFeeFloorPricesBlockBytes is issue 16's fifth item: with a 7-wei
// floor an idle devnet priced a 1.1 MB block of zero calldata (then 4 gas a
// byte) at about 3·10^7 wei. The L1 floor is 1 gwei and every calldata byte
// costs 16 gas (core/execution TestZeroBytesCostLikeAnyOther); the L2 keeps
// 7 wei (its transactions also pay the L1 data fee at the L1 base fee).
func TestL1BaseFeeFloorPricesBlockBytes(t *testing.T) {
	g := &Genesis{Rollup: &Rollup{}}
	g.FillDefaults()
	floor := g.BaseFee.Minimum.Big()
	if floor.Cmp(big.NewInt(1_000_000_000)) != 0 {
		t.Fatalf("L1 base-fee floor %s wei, want 1 gwei", floor)
	}
	const zeroBytes, gasPerZero = 1_100_000, 16
	cost := new(big.Int).Mul(floor, big.NewInt(zeroBytes*gasPerZero))
	if want := big.NewInt(17_600_000_000_000_000); cost.Cmp(want) < 0 {
		t.Fatalf("a 1.1 MB zero-byte block costs %s wei at the floor, want at least %s", cost, want)
	}
	if l2 := g.Rollup.L2BaseFee.Minimum.Big(); l2.Cmp(big.NewInt(7)) != 0 {
		t.Fatalf("L2 base-fee floor %s wei, want 7", l2)
	}
}
