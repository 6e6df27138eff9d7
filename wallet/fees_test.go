package wallet

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestFeeMath(t *testing.T) {
	gwei := big.NewInt(1_000_000_000)
	cases := []struct {
		base, tip, feeCap, effective int64
	}{
		{base: 1_000_000_000, tip: 1_000_000_000, feeCap: 3_000_000_000, effective: 2_000_000_000},
		{base: 7, tip: 0, feeCap: 14, effective: 7},
		{base: 0, tip: 5, feeCap: 5, effective: 5},
	}
	for _, c := range cases {
		feeCap := FeeCap(big.NewInt(c.base), big.NewInt(c.tip))
		if feeCap.Int64() != c.feeCap {
			t.Errorf("FeeCap(%d, %d) = %s, want %d", c.base, c.tip, feeCap, c.feeCap)
		}
		if got := EffectiveGasPrice(feeCap, big.NewInt(c.tip), big.NewInt(c.base)); got.Int64() != c.effective {
			t.Errorf("EffectiveGasPrice at base %d = %s, want %d", c.base, got, c.effective)
		}
	}
	// The base fee rose above what the cap allows for the whole tip: the
	// cap limits the price.
	if got := EffectiveGasPrice(big.NewInt(10), big.NewInt(5), big.NewInt(8)); got.Int64() != 10 {
		t.Errorf("capped effective price = %s, want 10", got)
	}
	if got := MaxCost(new(big.Int).Mul(big.NewInt(15), big.NewInt(1e17)), 21000, gwei); FormatEther(got) != "1.500021 ETH" {
		t.Errorf("MaxCost = %s", FormatEther(got))
	}
	if got := FeePaid(21000, big.NewInt(2_000_000_000)); FormatEther(got) != "0.000042 ETH" {
		t.Errorf("FeePaid = %s", FormatEther(got))
	}
}

func TestCheckFunds(t *testing.T) {
	addr := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	half := big.NewInt(5e17)
	one := big.NewInt(1e18)
	gwei := big.NewInt(1e9)
	err := CheckFunds(addr, half, one, 21000, gwei)
	var ife *InsufficientFundsError
	if !errors.Is(err, ErrInsufficientFunds) || !errors.As(err, &ife) {
		t.Fatalf("CheckFunds = %v, want an InsufficientFundsError", err)
	}
	want := "insufficient funds: balance 0.5 ETH, this transfer needs 1.000021 ETH (1 ETH + at most 0.000021 ETH in fees): fund 0x00000000000000000000000000000000000000AA or send less"
	if err.Error() != want {
		t.Fatalf("message\n got %q\nwant %q", err, want)
	}
	exact := MaxCost(one, 21000, gwei)
	if err := CheckFunds(addr, exact, one, 21000, gwei); err != nil {
		t.Fatalf("exact balance refused: %v", err)
	}
	if err := CheckFunds(addr, new(big.Int).Sub(exact, big.NewInt(1)), one, 21000, gwei); err == nil {
		t.Fatal("balance one wei short accepted")
	}
}
