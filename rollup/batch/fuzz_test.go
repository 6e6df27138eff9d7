package batch

import (
	"bytes"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// fuzzLimits are small enough that the fuzzer meets every limit.
func fuzzLimits() Limits {
	return Limits{
		MaxBatchBytes:          1 << 20,
		MaxDecompressedBytes:   1 << 20,
		MaxBlocks:              64,
		MaxTxsPerBlock:         64,
		MaxTxSize:              4096,
		MaxWithdrawalsPerBlock: 16,
	}
}

// FuzzDecode feeds Decode arbitrary bytes twice: as posted data, and, so
// that the fuzzer reaches the payload parser without having to forge zstd,
// as a payload compressed here. Decode must never panic, and whatever it
// accepts must re-encode to the same payload, which decodes to the same
// batch.
func FuzzDecode(f *testing.F) {
	rng := newRand(21)
	keys := newKeys(f, rng, 4)
	for _, sh := range []shape{{blocks: 1}, {blocks: 2, maxTxs: 1}, {blocks: 3, maxTxs: 3, withdrawals: true}, {blocks: 9, maxTxs: 1}} {
		b := randBatch(f, rng, keys, sh)
		data, err := Encode(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		parts, err := encodePayload(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.Join(parts, nil))
	}
	f.Add([]byte{})
	f.Add([]byte{Version1})
	enc, err := NewEncoder()
	if err != nil {
		f.Fatal(err)
	}
	plain, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithSingleSegment(true), zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		f.Fatal(err)
	}
	lim := fuzzLimits()
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, enc, data, lim)
		if len(data) <= lim.MaxDecompressedBytes {
			checkDecode(t, enc, plain.EncodeAll(data, []byte{Version1}), lim)
		}
	})
}

// checkDecode decodes data and, if Decode accepts it, checks that the
// batch re-encodes to the same payload and decodes to the same batch.
func checkDecode(t *testing.T, enc *Encoder, data []byte, lim Limits) {
	b, err := Decode(data, lim)
	if err != nil {
		if b != nil {
			t.Fatalf("Decode returned a batch and %v", err)
		}
		return
	}
	payload, err := decompress(data[1:], lim.MaxDecompressedBytes)
	if err != nil {
		t.Fatalf("accepted data does not decompress: %v", err)
	}
	parts, err := encodePayload(b)
	if err != nil {
		t.Fatalf("accepted batch does not re-encode: %v", err)
	}
	if again := bytes.Join(parts, nil); !bytes.Equal(again, payload) {
		t.Fatalf("re-encoded payload differs:\n got %x\nwant %x", again, payload)
	}
	again, err := enc.Encode(b)
	if err != nil {
		t.Fatalf("accepted batch does not re-encode: %v", err)
	}
	// The same payload may compress a few bytes worse here than in data.
	roomy := lim
	roomy.MaxBatchBytes *= 2
	b2, err := Decode(again, roomy)
	if err != nil {
		t.Fatalf("re-encoded batch does not decode: %v", err)
	}
	checkSameBatch(t, b, b2)
}
