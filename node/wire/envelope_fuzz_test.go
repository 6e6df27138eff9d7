package wire

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
)

// FuzzDecodeEnvelope fuzzes the consensus gossip envelope, the first
// decoder a gossiped consensus message reaches: no panic, input over the
// size limit refused before decoding, only known kinds accepted, and an
// accepted envelope re-encodes to exactly its input.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []struct {
		kind  uint8
		nonce uint64
		p     []byte
	}{
		{KindVote, 1, []byte{1, 2, 3}},
		{KindProposal, 0, nil},
		{KindProposal, 1 << 63, bytes.Repeat([]byte{0xab}, 300)},
		{3, 7, []byte{0}},
	} {
		enc, err := EncodeEnvelope(s.kind, s.nonce, s.p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc, uint16(len(enc)))
	}
	f.Add([]byte{0xc3, 0x01, 0x02}, uint16(1))
	f.Add([]byte{0xf9, 0xff, 0xff}, uint16(3))
	f.Fuzz(func(t *testing.T, data []byte, limit uint16) {
		maxSize := int(limit)
		kind, payload, err := DecodeEnvelope(data, maxSize)
		if len(data) > maxSize {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("%d bytes over a limit of %d: err %v", len(data), maxSize, err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if kind != KindProposal && kind != KindVote {
			t.Fatalf("kind %d accepted", kind)
		}
		var e envelope
		if err := rlp.DecodeBytes(data, &e); err != nil {
			t.Fatalf("accepted envelope does not decode: %v", err)
		}
		again, err := EncodeEnvelope(kind, e.Nonce, payload)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("round trip: %x -> %x", data, again)
		}
	})
}

// FuzzBlockRangeRequestRoundTrip: every request a node can send decodes
// to itself (From 0 is refused).
func FuzzBlockRangeRequestRoundTrip(f *testing.F) {
	f.Add(uint64(1), uint64(32), false)
	f.Add(uint64(5), uint64(0), true)
	f.Add(uint64(0), uint64(1), false)
	f.Add(^uint64(0), ^uint64(0), true)
	f.Fuzz(func(t *testing.T, from, count uint64, commitOnly bool) {
		r := BlockRangeRequest{From: from, Count: count, CommitOnly: commitOnly}
		enc, err := EncodeBlockRangeRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeBlockRangeRequest(enc)
		if from == 0 {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("request from 0: err %v", err)
			}
			return
		}
		if err != nil || got != r {
			t.Fatalf("round trip of %+v: %+v, %v", r, got, err)
		}
	})
}
