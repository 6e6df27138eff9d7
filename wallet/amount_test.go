package wallet

import (
	"errors"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/core/genesis"
)

func wei(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad test number " + s)
	}
	return v
}

func TestParseEther(t *testing.T) {
	cases := []struct {
		in   string
		want string // wei
	}{
		{"1.5", "1500000000000000000"},
		{"0.000021", "21000000000000"},
		{"0", "0"},
		{"10000", "10000000000000000000000"},
		{"1500000000000000000wei", "1500000000000000000"},
		{"1 wei", "1"},
		{"2gwei", "2000000000"},
		{"1.5 ETH", "1500000000000000000"},
		{"1.5eth", "1500000000000000000"},
		{"0.000000000000000001", "1"},
		{"0x10", "16"},
		{" 3 ", "3000000000000000000"},
	}
	for _, c := range cases {
		got, err := ParseEther(c.in)
		if err != nil {
			t.Errorf("ParseEther(%q): %v", c.in, err)
			continue
		}
		if got.Cmp(wei(c.want)) != 0 {
			t.Errorf("ParseEther(%q) = %s wei, want %s", c.in, got, c.want)
		}
	}
}

func TestParseEtherRejects(t *testing.T) {
	for _, in := range []string{"", "-1", "1.5.5", "abc", "1 bananas", "0.0000000000000000001", "1.5wei", ".5x", "eth"} {
		if v, err := ParseEther(in); !errors.Is(err, genesis.ErrBadAmount) {
			t.Errorf("ParseEther(%q) = %v, %v; want ErrBadAmount", in, v, err)
		}
	}
}

func TestFormatEther(t *testing.T) {
	cases := []struct {
		wei  string
		want string
	}{
		{"1500000000000000000", "1.5 ETH"},
		{"21000000000000", "0.000021 ETH"},
		{"0", "0 ETH"},
		{"1", "0.000000000000000001 ETH"},
		{"10000000000000000000000", "10000 ETH"},
		{"1000021000000000000", "1.000021 ETH"},
		{"-500000000000000000", "-0.5 ETH"},
	}
	for _, c := range cases {
		if got := FormatEther(wei(c.wei)); got != c.want {
			t.Errorf("FormatEther(%s) = %q, want %q", c.wei, got, c.want)
		}
	}
	if got := FormatGwei(wei("1000000007")); got != "1.000000007 gwei" {
		t.Errorf("FormatGwei = %q", got)
	}
}

// Every non-negative amount survives format then parse, in both the
// human and the decimal form.
func TestEtherRoundTrip(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for _, s := range []string{"0", "1", "7", "999999999999999999", "1000000000000000000", "123456789012345678901234567890"} {
		for _, v := range []*big.Int{wei(s), max} {
			for _, text := range []string{FormatEther(v), EtherDecimal(v)} {
				got, err := ParseEther(text)
				if err != nil || got.Cmp(v) != 0 {
					t.Errorf("round trip %s wei via %q = %v, %v", v, text, got, err)
				}
			}
		}
	}
}
