package batch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/big"
	"runtime"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/klauspost/compress/zstd"
)

// plainFrame returns Version1 followed by payload compressed by a plain
// zstd encoder (one that declares the content size): Decode accepts any
// encoder's frame.
func plainFrame(t testing.TB, payload []byte) []byte {
	t.Helper()
	z, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithSingleSegment(true), zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		t.Fatal(err)
	}
	return z.EncodeAll(payload, []byte{Version1})
}

// payloadBuilder writes payloads by hand, to build what Encode never
// writes.
type payloadBuilder struct{ b []byte }

func (p *payloadBuilder) uv(vs ...uint64) *payloadBuilder {
	for _, v := range vs {
		p.b = binary.AppendUvarint(p.b, v)
	}
	return p
}

func (p *payloadBuilder) raw(b ...byte) *payloadBuilder { p.b = append(p.b, b...); return p }

func (p *payloadBuilder) zeros(n int) *payloadBuilder {
	p.b = append(p.b, make([]byte, n)...)
	return p
}

// blocksPayload is a payload of blocks without transactions or
// withdrawals: first number, time and origin, then time increments and
// origin steps.
func blocksPayload(number, time, origin uint64, deltas []uint64, steps []byte) []byte {
	p := (&payloadBuilder{}).uv(0).zeros(32).uv(uint64(len(deltas))+1, number, time, origin).uv(deltas...).raw(steps...)
	for range len(deltas) + 1 {
		p.uv(0)
	}
	for range len(deltas) + 1 {
		p.uv(0)
	}
	return p.uv(0).zeros(64 * (len(deltas) + 1)).b
}

// txParts returns the payload parts (encodePayload) of a one-block batch
// of txs, for tests to alter.
func txParts(t *testing.T, txs ...*types.Transaction) [][]byte {
	t.Helper()
	parts, err := encodePayload(&Batch{Blocks: []Block{{Number: 1, Transactions: txs}}})
	if err != nil {
		t.Fatal(err)
	}
	return parts
}

// The parts of encodePayload.
const (
	partHead = iota
	partClassOf
	partNonces
	partDataLens
	partExps
	partLens
	partLeads
	partBody
)

// with returns the payload of parts with some parts replaced.
func with(parts [][]byte, changes map[int][]byte) []byte {
	c := append([][]byte{}, parts...)
	for i, b := range changes {
		c[i] = b
	}
	return bytes.Join(c, nil)
}

// TestDecodeRefusesFraming checks the refusals of the version byte and
// the zstd frame.
func TestDecodeRefusesFraming(t *testing.T) {
	rng := newRand(11)
	valid, err := Encode(randBatch(t, rng, newKeys(t, rng, 2), shape{blocks: 3, maxTxs: 5, withdrawals: true}))
	if err != nil {
		t.Fatal(err)
	}
	frame := valid[1:]
	header := []byte{0x28, 0xb5, 0x2f, 0xfd}
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"nil", nil, ErrEmpty},
		{"empty", []byte{}, ErrEmpty},
		{"version byte stripped", frame, ErrUnknownVersion},
		{"version 0", append([]byte{0}, frame...), ErrUnknownVersion},
		{"version 2", append([]byte{2}, frame...), ErrUnknownVersion},
		{"version only", []byte{Version1}, ErrTruncated},
		{"not zstd", append([]byte{Version1}, "not a zstd frame"...), ErrBadFrame},
		{"skippable frame", append([]byte{Version1, 0x50, 0x2a, 0x4d, 0x18, 1, 0, 0, 0, 0}, frame...), ErrBadFrame},
		{"dictionary", append(append([]byte{Version1}, header...), 0x21, 7, 1, 1, 0, 0, 0), ErrBadFrame},
		{"no content size", append(append([]byte{Version1}, header...), 0x00, 0x00, 0x09, 0, 0, 0), ErrBadFrame},
		{"reserved block type", append(append([]byte{Version1}, header...), 0x20, 1, 0x07, 0, 0, 0), ErrBadFrame},
		{"oversized block", append(append([]byte{Version1}, header...), 0x20, 1, 0x01, 0x08, 0x10), ErrBadFrame},
		{"corrupt compressed block", append(append([]byte{Version1}, header...), 0x20, 10, 0x2d, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff), ErrBadFrame},
		{"content size mismatch", append(append([]byte{Version1}, header...), 0x20, 10, 0x19, 0, 0, 'a', 'b', 'c'), ErrBadFrame},
		{"checksum mismatch", append(append([]byte{Version1}, header...), 0x24, 3, 0x19, 0, 0, 'a', 'b', 'c', 1, 2, 3, 4), ErrBadFrame},
		{"byte after the frame", append(bytes.Clone(valid), 0), ErrTrailingData},
		{"second frame", append(bytes.Clone(valid), frame...), ErrTrailingData},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Decode(c.data, DefaultLimits()); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	// Every proper prefix is refused as truncated: the frame's structure
	// is walked before anything is decompressed.
	for n := 1; n < len(valid); n++ {
		if _, err := Decode(valid[:n], DefaultLimits()); !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix of %d of %d bytes: %v, want %v", n, len(valid), err, ErrTruncated)
		}
	}
}

// TestDecodeRefusesAboveLimits checks each limit, one below what a valid
// batch needs.
func TestDecodeRefusesAboveLimits(t *testing.T) {
	key, _ := crypto.ToECDSA(bytes.Repeat([]byte{3}, 32))
	chain := big.NewInt(testChainID)
	to := common.Address{4}
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(chain), &types.DynamicFeeTx{ChainID: chain, To: &to, Data: make([]byte, 100)})
	if err != nil {
		t.Fatal(err)
	}
	b := &Batch{Blocks: []Block{
		{Number: 1, Transactions: []*types.Transaction{tx, tx}, Withdrawals: []Withdrawal{{Amount: big.NewInt(1)}, {Amount: big.NewInt(2)}}},
		{Number: 2},
	}}
	data, err := Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := decompress(data[1:], math.MaxInt32)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(data, DefaultLimits()); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		set  func(*Limits)
		want error
	}{
		{"batch bytes", func(l *Limits) { l.MaxBatchBytes = len(data) - 1 }, ErrTooLarge},
		{"decompressed bytes", func(l *Limits) { l.MaxDecompressedBytes = len(payload) - 1 }, ErrDecompressedTooLarge},
		{"blocks", func(l *Limits) { l.MaxBlocks = 1 }, ErrTooManyBlocks},
		{"transactions", func(l *Limits) { l.MaxTxsPerBlock = 1 }, ErrTooManyTxs},
		{"withdrawals", func(l *Limits) { l.MaxWithdrawalsPerBlock = 1 }, ErrTooManyWithdrawals},
		{"transaction data", func(l *Limits) { l.MaxTxSize = 99 }, ErrTxTooLarge},
		{"transaction size", func(l *Limits) { l.MaxTxSize = int(tx.Size()) - 1 }, ErrTxTooLarge},
		{"zero limits", func(l *Limits) { *l = Limits{} }, ErrInvalidLimits},
		{"negative limit", func(l *Limits) { l.MaxTxSize = -1 }, ErrInvalidLimits},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lim := DefaultLimits()
			c.set(&lim)
			if _, err := Decode(data, lim); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	lim := DefaultLimits()
	lim.MaxTxSize = int(tx.Size())
	if _, err := Decode(data, lim); err != nil {
		t.Fatalf("at the transaction size limit: %v", err)
	}
	huge := Limits{math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt, math.MaxInt}
	if _, err := Decode(data, huge); err != nil {
		t.Fatalf("with the largest limits: %v", err)
	}
}

// TestDecodeRefusesBombs checks that a frame that would decompress to a
// gibibyte is refused without allocating more than a few hundred KiB,
// whether it declares its size or lies about it.
func TestDecodeRefusesBombs(t *testing.T) {
	const blocks = 8192 // RLE blocks of 128 KiB: 1 GiB from 32 KiB
	rle := func(frame []byte) []byte {
		for i := range blocks {
			last := 0
			if i == blocks-1 {
				last = 1
			}
			bh := uint32(last) | zstdBlockRLE<<1 | maxZstdBlock<<3
			frame = append(frame, byte(bh), byte(bh>>8), byte(bh>>16), 0)
		}
		return frame
	}
	magic := []byte{Version1, 0x28, 0xb5, 0x2f, 0xfd}
	// Declares 1 GiB: single segment, 4-byte content size.
	declared := rle(append(bytes.Clone(magic), 0xa0, 0, 0, 0, 0x40))
	// Declares 1,000 bytes, window 128 KiB, then produces 1 GiB.
	lying := rle(append(bytes.Clone(magic), 0x40, 0x38, 0xe8, 0x02))
	for _, c := range []struct {
		name string
		data []byte
		want []error
	}{
		{"declared", declared, []error{ErrDecompressedTooLarge}},
		{"lying", lying, []error{ErrBadFrame, ErrDecompressedTooLarge}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Decode(c.data, DefaultLimits())
			runtime.ReadMemStats(&after)
			if !errors.Is(err, c.want[0]) && (len(c.want) < 2 || !errors.Is(err, c.want[1])) {
				t.Fatalf("got %v, want one of %v", err, c.want)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
				t.Fatalf("allocated %d bytes refusing a %d-byte bomb", alloc, len(c.data))
			}
		})
	}
}

// TestDecodeRefusesPayload checks the refusals of a decompressed payload.
func TestDecodeRefusesPayload(t *testing.T) {
	key, _ := crypto.ToECDSA(bytes.Repeat([]byte{5}, 32))
	chain := big.NewInt(testChainID)
	signer := types.LatestSignerForChainID(chain)
	to := common.Address{6}
	sign := func(inner types.TxData) *types.Transaction {
		tx, err := types.SignNewTx(key, signer, inner)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	one := txParts(t, sign(&types.DynamicFeeTx{ChainID: chain, To: &to, Gas: 21000, GasTipCap: big.NewInt(gwei), Value: big.NewInt(7)}))
	twoTx := []*types.Transaction{
		sign(&types.DynamicFeeTx{ChainID: chain, To: &to, GasTipCap: big.NewInt(1)}),
		sign(&types.DynamicFeeTx{ChainID: chain, To: &to, GasTipCap: big.NewInt(2)}),
	}
	two := txParts(t, twoTx...)
	class0, _ := appendClass(nil, twoTx[0])
	class1, _ := appendClass(nil, twoTx[1])
	twoHead := two[partHead][:len(two[partHead])-len(class0)-len(class1)]
	withdrawal, err := encodePayload(&Batch{Blocks: []Block{{Withdrawals: []Withdrawal{{Amount: new(big.Int)}}}}})
	if err != nil {
		t.Fatal(err)
	}
	wPayload := bytes.Join(withdrawal, nil)
	wAmount := len(wPayload) - 64 - 2 // the amount's exponent and length bytes
	cases := []struct {
		name    string
		payload []byte
		want    []error
	}{
		{"no blocks", (&payloadBuilder{}).uv(0).zeros(32).uv(0).b, []error{ErrMalformed}},
		{"more blocks than bytes", (&payloadBuilder{}).uv(0).zeros(32).uv(100).b, []error{ErrTruncated}},
		{"non-minimal varint", (&payloadBuilder{}).raw(0x80, 0x00).zeros(32).uv(1).b, []error{ErrMalformed}},
		{"varint above 64 bits", (&payloadBuilder{}).raw(bytes.Repeat([]byte{0xff}, 10)...).raw(1).b, []error{ErrMalformed}},
		{"origin step padding", blocksPayload(1, 1, 1, []uint64{0}, []byte{0x02}), []error{ErrMalformed}},
		{"number overflow", blocksPayload(math.MaxUint64, 1, 1, []uint64{0}, []byte{0}), []error{ErrNotConsecutive}},
		{"time overflow", blocksPayload(1, math.MaxUint64-1, 1, []uint64{2}, []byte{0}), []error{ErrTimeDecreasing}},
		{"origin overflow", blocksPayload(1, 1, math.MaxUint64, []uint64{0}, []byte{1}), []error{ErrOriginJump}},
		{"chain id without transactions", append([]byte{5}, blocksPayload(1, 1, 1, nil, nil)[1:]...), []error{ErrMalformed}},
		{"byte after the payload", append(blocksPayload(1, 1, 1, nil, nil), 0), []error{ErrTrailingData}},
		{"transactions without chain id", with(one, map[int][]byte{partHead: append([]byte{0}, one[partHead][2:]...)}), []error{ErrMalformed}},
		{"class used before an earlier one", with(two, map[int][]byte{partClassOf: {1, 0}}), []error{ErrMalformed}},
		{"class index out of range", with(two, map[int][]byte{partClassOf: {0, 2}}), []error{ErrMalformed}},
		{"class unused", with(two, map[int][]byte{partClassOf: {0, 0}}), []error{ErrMalformed}},
		{"class repeated", with(two, map[int][]byte{partHead: bytes.Join([][]byte{twoHead, class0, class0}, nil)}), []error{ErrMalformed}},
		{"class of unknown type", with(two, map[int][]byte{partHead: bytes.Join([][]byte{twoHead, {3}, class0[1:], class1}, nil)}), []error{ErrBadTx, ErrMalformed}},
		{"blob class", with(two, map[int][]byte{partHead: bytes.Join([][]byte{twoHead, {types.BlobTxType}, class0[1:], class1}, nil)}), []error{ErrBadTx, ErrMalformed}},
		{"more classes than transactions", with(two, map[int][]byte{partHead: bytes.Join([][]byte{twoHead[:len(twoHead)-1], {3}, class0, class1}, nil)}), []error{ErrMalformed}},
		{"non-minimal nonce", with(one, map[int][]byte{partNonces: {0x80, 0x00}}), []error{ErrMalformed}},
		{"value with leading zero", with(one, map[int][]byte{partLeads: {0}}), []error{ErrBadTx, ErrMalformed}},
		{"value divisible by ten", with(one, map[int][]byte{partLeads: {10}}), []error{ErrBadTx, ErrMalformed}},
		{"zero with exponent", with(one, map[int][]byte{partExps: {1}, partLens: {0}, partLeads: {}}), []error{ErrBadTx, ErrMalformed}},
		{"exponent above 77", with(one, map[int][]byte{partExps: {78}}), []error{ErrBadTx, ErrMalformed}},
		{"mantissa above 32 bytes", with(one, map[int][]byte{partLens: {33}}), []error{ErrMalformed}},
		{"value above 256 bits", with(one, map[int][]byte{partExps: {77}, partLens: {32}, partLeads: {0xff},
			partBody: append(bytes.Repeat([]byte{0xff}, 31), one[partBody]...)}), []error{ErrBadTx, ErrMalformed}},
		{"withdrawal zero with exponent", append(append(bytes.Clone(wPayload[:wAmount]), 1, 0), wPayload[wAmount+2:]...), []error{ErrMalformed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(plainFrame(t, c.payload), DefaultLimits())
			for _, want := range c.want {
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want %v", err, want)
				}
			}
		})
	}
	// Every proper prefix of a valid payload is refused as truncated.
	for _, parts := range [][][]byte{one, two, withdrawal} {
		payload := bytes.Join(parts, nil)
		if _, err := Decode(plainFrame(t, payload), DefaultLimits()); err != nil {
			t.Fatalf("valid payload: %v", err)
		}
		for n := range len(payload) {
			if _, err := Decode(plainFrame(t, payload[:n]), DefaultLimits()); !errors.Is(err, ErrTruncated) {
				t.Fatalf("prefix of %d of %d bytes: %v, want %v", n, len(payload), err, ErrTruncated)
			}
		}
	}
}
