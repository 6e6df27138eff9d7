package wallet

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// ErrInsufficientFunds is wrapped by *InsufficientFundsError.
var ErrInsufficientFunds = errors.New("insufficient funds")

// FeeCap is the max fee per gas the wallet offers: 2×baseFee + tip, which
// stays above the base fee through several full blocks in a row.
func FeeCap(baseFee, tip *big.Int) *big.Int {
	c := new(big.Int).Lsh(baseFee, 1)
	return c.Add(c, tip)
}

// MaxFee is the most a transaction with this gas and fee cap can pay in
// fees: gas × feeCap.
func MaxFee(gas uint64, feeCap *big.Int) *big.Int {
	return new(big.Int).Mul(new(big.Int).SetUint64(gas), feeCap)
}

// MaxCost is what the sender's balance must cover: value + gas × feeCap.
func MaxCost(value *big.Int, gas uint64, feeCap *big.Int) *big.Int {
	return new(big.Int).Add(value, MaxFee(gas, feeCap))
}

// EffectiveGasPrice is what an EIP-1559 transaction pays per gas in a block
// with this base fee: min(feeCap, baseFee + tip).
func EffectiveGasPrice(feeCap, tip, baseFee *big.Int) *big.Int {
	p := new(big.Int).Add(baseFee, tip)
	if p.Cmp(feeCap) > 0 {
		p.Set(feeCap)
	}
	return p
}

// FeePaid is gasUsed × effective gas price.
func FeePaid(gasUsed uint64, price *big.Int) *big.Int {
	return new(big.Int).Mul(new(big.Int).SetUint64(gasUsed), price)
}

// InsufficientFundsError says that a balance does not cover a transfer.
type InsufficientFundsError struct {
	Address common.Address
	Balance *big.Int
	Need    *big.Int // value + the maximum fee
	Value   *big.Int
}

// Error reads "insufficient funds: balance 0.5 ETH, this transfer needs
// 1.000021 ETH" followed by what to do.
func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("insufficient funds: balance %s, this transfer needs %s (%s + at most %s in fees): fund %s or send less",
		FormatEther(e.Balance), FormatEther(e.Need), FormatEther(e.Value), FormatEther(new(big.Int).Sub(e.Need, e.Value)), e.Address)
}

// Unwrap makes errors.Is(err, ErrInsufficientFunds) hold.
func (e *InsufficientFundsError) Unwrap() error { return ErrInsufficientFunds }

// CheckFunds returns an *InsufficientFundsError when balance is below
// value + gas × feeCap, and nil otherwise.
func CheckFunds(addr common.Address, balance, value *big.Int, gas uint64, feeCap *big.Int) error {
	need := MaxCost(value, gas, feeCap)
	if balance.Cmp(need) >= 0 {
		return nil
	}
	return &InsufficientFundsError{Address: addr, Balance: new(big.Int).Set(balance), Need: need, Value: new(big.Int).Set(value)}
}
