package execution

import "math"

// CalldataGas is the gas charged for calldata: 16 per non-zero byte and 4
// per zero byte.
func CalldataGas(data []byte) uint64 {
	var zeros uint64
	for _, b := range data {
		if b == 0 {
			zeros++
		}
	}
	nonZeros := uint64(len(data)) - zeros
	return nonZeros*TxDataNonZeroGas + zeros*TxDataZeroGas
}

// IntrinsicGas is the gas every transaction with this calldata pays before
// anything runs: TxGas plus CalldataGas. Calldata is bounded by the size
// limits (at most a few MiB), so this cannot overflow; it saturates anyway.
func IntrinsicGas(data []byte) uint64 {
	g := CalldataGas(data)
	if g > math.MaxUint64-TxGas {
		return math.MaxUint64
	}
	return g + TxGas
}
