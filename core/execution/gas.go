package execution

import "math"

// CalldataGas is the gas charged for calldata: TxDataGas (16) per byte,
// zero or not. Every byte a transaction carries is a byte every validator
// receives, relays and stores, so a zero byte is priced like any other
// (Ethereum's 4-gas zero byte made megabyte blocks nearly free; see
// docs/decisions.md, "Block bytes are priced").
func CalldataGas(data []byte) uint64 {
	return uint64(len(data)) * TxDataGas
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
