package execution

import (
	"bytes"
	"testing"
)

// TestZeroBytesCostLikeAnyOther is issue 16's fifth item: a proposal's
// bytes are what every validator receives, relays and stores, so calldata is
// priced per byte whatever its value. With Ethereum's 4-gas zero byte a
// megabyte of zeros cost a quarter of a megabyte of anything else.
func TestZeroBytesCostLikeAnyOther(t *testing.T) {
	const n = 1_000
	zeros, ones := make([]byte, n), bytes.Repeat([]byte{0xff}, n)
	mixed := append(append([]byte{}, zeros[:n/2]...), ones[:n/2]...)
	want := uint64(TxGas + n*16)
	for name, data := range map[string][]byte{"zeros": zeros, "non-zeros": ones, "mixed": mixed} {
		if got := IntrinsicGas(data); got != want {
			t.Errorf("%s: intrinsic gas of %d bytes = %d, want %d", name, n, got, want)
		}
	}
	if got := IntrinsicGas(nil); got != TxGas {
		t.Errorf("intrinsic gas without calldata = %d, want %d", got, TxGas)
	}
}

// TestGasLimitBoundsBlockBytes: with every byte priced, a block's gas limit
// bounds its calldata, so the devnet's 200M-gas block carries at most 12.5 MB
// of it (under the 16 MiB block size limit) and pays at least 16 gas for
// each of those bytes.
func TestGasLimitBoundsBlockBytes(t *testing.T) {
	const gasLimit, maxBlockSize = 200_000_000, 16 << 20
	maxCalldata := gasLimit / TxDataGas
	if maxCalldata >= maxBlockSize {
		t.Fatalf("a %d-gas block can carry %d calldata bytes, over the %d-byte block limit", gasLimit, maxCalldata, maxBlockSize)
	}
	// A 1.1 MB block of zero calldata in 128 KiB transactions costs its
	// sender 17.6M gas: at the 1 gwei L1 floor, 0.0176 ETH.
	const total, txData = 1_100_000, 100 * 1024
	var gas uint64
	for left := total; left > 0; left -= txData {
		gas += IntrinsicGas(make([]byte, min(left, txData)))
	}
	if gas < total*16 {
		t.Fatalf("1.1 MB of zero calldata costs %d gas, want at least %d", gas, total*16)
	}
}
