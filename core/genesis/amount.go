package genesis

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// ErrBadAmount is returned for an amount that cannot be parsed.
var ErrBadAmount = errors.New("bad amount")

// maxAmount bounds every amount to 256 bits, like an EVM word.
var maxAmount = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

var unitExponents = map[string]int{
	"wei": 0, "kwei": 3, "mwei": 6, "gwei": 9, "szabo": 12, "finney": 15, "eth": 18, "ether": 18,
}

// Amount is a non-negative quantity of wei. In JSON it is a string: decimal
// wei ("1000"), hex wei ("0x3e8"), or a decimal number with a unit
// ("10000 ETH", "1.5 gwei"). It marshals as decimal wei.
type Amount struct{ v big.Int }

// NewAmount returns an Amount of x wei. x must be non-negative.
func NewAmount(x *big.Int) *Amount {
	a := new(Amount)
	a.v.Set(x)
	return a
}

// Ether returns an Amount of n whole ether.
func Ether(n int64) *Amount {
	return NewAmount(new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)))
}

// Big returns the amount in wei as a new big.Int.
func (a *Amount) Big() *big.Int {
	if a == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(&a.v)
}

// String returns the amount in decimal wei.
func (a *Amount) String() string { return a.Big().String() }

// MarshalJSON encodes the amount as a decimal wei string.
func (a Amount) MarshalJSON() ([]byte, error) { return json.Marshal(a.v.String()) }

// UnmarshalJSON decodes an amount from a JSON string (or a JSON integer).
func (a *Amount) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		// Accept a bare JSON integer too.
		s = string(data)
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	a.v.Set(v)
	return nil
}

// ParseAmount parses decimal wei, hex wei, or "<decimal> <unit>" where unit
// is one of wei, kwei, mwei, gwei, szabo, finney, eth, ether (any case).
func ParseAmount(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: empty", ErrBadAmount)
	}
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		v, ok := new(big.Int).SetString(s[2:], 16)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not hex", ErrBadAmount, s)
		}
		return checkRange(s, v)
	}
	number, unit := s, "wei"
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		number, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	exp, ok := unitExponents[unit]
	if !ok {
		return nil, fmt.Errorf("%w: %q: unknown unit %q (use wei, gwei or ETH)", ErrBadAmount, s, unit)
	}
	whole, frac, _ := strings.Cut(number, ".")
	if len(frac) > exp {
		return nil, fmt.Errorf("%w: %q has more decimals than a %s has digits of wei", ErrBadAmount, s, unit)
	}
	digits := whole + frac + strings.Repeat("0", exp-len(frac))
	if whole == "" || strings.ContainsAny(digits, "+-") {
		return nil, fmt.Errorf("%w: %q is not a non-negative decimal", ErrBadAmount, s)
	}
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a non-negative decimal", ErrBadAmount, s)
	}
	return checkRange(s, v)
}

func checkRange(s string, v *big.Int) (*big.Int, error) {
	if v.Sign() < 0 || v.Cmp(maxAmount) > 0 {
		return nil, fmt.Errorf("%w: %q is outside 0 to 2^256-1", ErrBadAmount, s)
	}
	return v, nil
}
