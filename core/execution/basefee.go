package execution

import "math/big"

// NextBaseFee returns the base fee of the block after a parent with the
// given gas limit, gas used and base fee (EIP-1559): unchanged at the gas
// target (limit / elasticity), up by at most 1/denominator when above it
// (by at least 1 wei), down by at most 1/denominator when below it, and
// never under cfg.MinBaseFee.
func NextBaseFee(cfg Config, parentGasLimit, parentGasUsed uint64, parentBaseFee *big.Int) *big.Int {
	next := nextBaseFee(cfg, parentGasLimit, parentGasUsed, parentBaseFee)
	if cfg.MinBaseFee != nil && next.Cmp(cfg.MinBaseFee) < 0 {
		next.Set(cfg.MinBaseFee)
	}
	return next
}

func nextBaseFee(cfg Config, gasLimit, gasUsed uint64, base *big.Int) *big.Int {
	target := gasLimit / cfg.ElasticityMultiplier
	if gasUsed == target || target == 0 {
		return new(big.Int).Set(base)
	}
	var delta *big.Int
	if gasUsed > target {
		delta = new(big.Int).SetUint64(gasUsed - target)
	} else {
		delta = new(big.Int).SetUint64(target - gasUsed)
	}
	delta.Mul(delta, base)
	delta.Div(delta, new(big.Int).SetUint64(target))
	delta.Div(delta, new(big.Int).SetUint64(cfg.BaseFeeChangeDenominator))
	if gasUsed > target {
		if delta.Sign() == 0 {
			delta.SetUint64(1)
		}
		return delta.Add(base, delta)
	}
	next := delta.Sub(base, delta)
	if next.Sign() < 0 {
		next.SetUint64(0)
	}
	return next
}
