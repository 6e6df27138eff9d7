package wallet

import (
	"fmt"
	"math/big"
	"strings"

	"github.com/bilayer/bilayer/core/genesis"
)

// weiPerEther is 10^18.
var weiPerEther = big.NewInt(1_000_000_000_000_000_000)

// weiPerGwei is 10^9.
var weiPerGwei = big.NewInt(1_000_000_000)

// ParseEther parses an amount the way the CLI takes it: a bare decimal
// number is ether ("1.5", "0.000021"); a number followed by a unit, with or
// without a space, is in that unit ("1500000000000000000wei", "2 gwei",
// "1.5eth"); 0x-prefixed hex is wei. Units are those of
// genesis.ParseAmount (wei, kwei, mwei, gwei, szabo, finney, eth, ether).
func ParseEther(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return genesis.ParseAmount(s)
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	number, unit := s, "ether"
	if i >= 0 {
		number, unit = s[:i], strings.TrimSpace(s[i:])
	}
	if number == "" {
		return nil, fmt.Errorf("%w: %q: want a number of ether such as 1.5, or a number with a unit such as 21000wei", genesis.ErrBadAmount, s)
	}
	v, err := genesis.ParseAmount(number + " " + unit)
	if err != nil {
		return nil, fmt.Errorf("amount %q: %w", s, err)
	}
	return v, nil
}

// EtherDecimal formats wei as a decimal number of ether with up to 18
// decimals and trailing zeros trimmed: 1.5e18 is "1.5", 21e12 is
// "0.000021", 0 is "0".
func EtherDecimal(wei *big.Int) string {
	return decimal(wei, weiPerEther, 18)
}

// FormatEther formats wei as ether with its unit: "1.5 ETH".
func FormatEther(wei *big.Int) string {
	return EtherDecimal(wei) + " ETH"
}

// FormatGwei formats wei as gwei with its unit: "1.000000007 gwei".
func FormatGwei(wei *big.Int) string {
	return decimal(wei, weiPerGwei, 9) + " gwei"
}

// decimal formats v/unit exactly, unit being 10^digits.
func decimal(v, unit *big.Int, digits int) string {
	if v == nil {
		v = new(big.Int)
	}
	sign := ""
	abs := new(big.Int).Abs(v)
	if v.Sign() < 0 {
		sign = "-"
	}
	whole, frac := new(big.Int).QuoRem(abs, unit, new(big.Int))
	if frac.Sign() == 0 {
		return sign + whole.String()
	}
	f := fmt.Sprintf("%0*s", digits, frac.String())
	return sign + whole.String() + "." + strings.TrimRight(f, "0")
}
