package execution

import (
	"errors"
	"fmt"
	"math/big"
)

// Protocol constants shared by every bilayer chain.
const (
	// TxGas is the intrinsic gas of every transaction; a plain transfer uses
	// exactly this much.
	TxGas = 21_000
	// TxDataGas is the gas per calldata byte, zero or not.
	TxDataGas = 16
	// DefaultMaxTxSize is the largest encoded transaction (128 KiB), unless
	// it calls a system contract that declares a larger calldata limit.
	DefaultMaxTxSize = 128 * 1024
	// txEnvelopeAllowance is the room allowed for a transaction's non-data
	// fields (nonce, fees, gas, to, value, chain id, signature, RLP headers)
	// on top of a system contract's larger calldata limit. Access lists are
	// refused, so these fields are bounded well below this.
	txEnvelopeAllowance = 1024
)

// ErrBadConfig means an execution Config is unusable.
var ErrBadConfig = errors.New("invalid execution config")

// Config holds the chain parameters of the state transition. The block gas
// limit and base fee come from each header.
type Config struct {
	// ChainID is the EIP-155 chain id every transaction must carry.
	ChainID *big.Int
	// MaxTxSize is the largest encoded transaction in bytes.
	MaxTxSize uint64
	// ElasticityMultiplier is EIP-1559's gas limit / gas target ratio.
	ElasticityMultiplier uint64
	// BaseFeeChangeDenominator bounds the base fee change per block (1/8).
	BaseFeeChangeDenominator uint64
	// MinBaseFee is the floor of the base fee (nil or 0: no floor).
	MinBaseFee *big.Int
	// L2 makes the chain an L2 (nil: the L1): L1 operations before the
	// transactions, an L1 data fee, every fee to the fee vault, a
	// transaction cap per block.
	L2 *L2Rules
}

// DefaultConfig returns Ethereum's EIP-1559 parameters, a 128 KiB size limit
// and no base fee floor.
func DefaultConfig(chainID *big.Int) Config {
	return Config{
		ChainID:                  new(big.Int).Set(chainID),
		MaxTxSize:                DefaultMaxTxSize,
		ElasticityMultiplier:     2,
		BaseFeeChangeDenominator: 8,
		MinBaseFee:               new(big.Int),
	}
}

// Validate checks that the config can be used.
func (c Config) Validate() error {
	switch {
	case c.ChainID == nil || c.ChainID.Sign() <= 0:
		return fmt.Errorf("%w: chain id must be positive", ErrBadConfig)
	case c.MaxTxSize == 0:
		return fmt.Errorf("%w: max tx size is 0", ErrBadConfig)
	case c.ElasticityMultiplier == 0:
		return fmt.Errorf("%w: elasticity multiplier is 0", ErrBadConfig)
	case c.BaseFeeChangeDenominator == 0:
		return fmt.Errorf("%w: base fee change denominator is 0", ErrBadConfig)
	case c.MinBaseFee != nil && c.MinBaseFee.Sign() < 0:
		return fmt.Errorf("%w: negative min base fee", ErrBadConfig)
	case c.L2 != nil && c.L2.MaxTxsPerBlock < 0:
		return fmt.Errorf("%w: negative L2 transaction cap", ErrBadConfig)
	}
	return nil
}
