package protocol

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

// FuzzDecodeFraudProof fuzzes the challenge argument: no panic, every
// failure is ErrBadFraudProof, an accepted proof re-encodes to exactly
// its input, and the helper decoders of an accepted proof do not panic.
// (The MaxFraudProofSize bound is checked once in the seeds: inputs that
// large are out of the fuzzer's reach.)
func FuzzDecodeFraudProof(f *testing.F) {
	full := &FraudProof{
		Number:       6,
		Time:         1700000000,
		Origin:       3,
		Transactions: [][]byte{{0x02, 0xc0}, {0xc0}},
		StateRoot:    common.Hash{1},
		BlockHash:    common.Hash{2},
		Withdrawals: []Withdrawal{
			{Nonce: 1, From: common.Address{3}, To: common.Address{4}, Amount: big.NewInt(5)},
			{Nonce: 2, Amount: new(big.Int)},
		},
		Path:                  [][32]byte{{5}, {6}},
		ParentHeader:          []byte{0xc0},
		ParentExtras:          []byte{0xc0},
		ParentInputsHash:      common.Hash{7},
		ParentWithdrawalsRoot: common.Hash{8},
		ParentPath:            [][32]byte{{9}},
		Witness:               []byte{1, 2, 3},
	}
	for _, p := range []*FraudProof{{}, full} {
		enc, err := p.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc)
		got, err := DecodeFraudProof(enc)
		if err != nil {
			f.Fatalf("seed does not decode: %v", err)
		}
		if again, _ := got.Encode(); !bytes.Equal(again, enc) {
			f.Fatal("seed does not round-trip")
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{FraudProofVersion, 0xc0})
	f.Add([]byte{FraudProofVersion, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})

	// Over the bound: refused even though the prefix is a valid proof.
	enc, _ := full.Encode()
	huge := append(enc, make([]byte, MaxFraudProofSize+1-len(enc))...)
	if _, err := DecodeFraudProof(huge); !errors.Is(err, ErrBadFraudProof) {
		f.Fatalf("%d-byte proof: err %v", len(huge), err)
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeFraudProof(data)
		if err != nil {
			if !errors.Is(err, ErrBadFraudProof) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		again, err := p.Encode()
		if err != nil {
			t.Fatalf("accepted proof does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("round trip: %x -> %x", data, again)
		}
		_, _ = p.DecodeTransactions()
		_, _, _ = p.DecodeParent()
	})
}
