package execution

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecodeWitness fuzzes the witness decoder (a fraud proof carries the
// witness as challenge input): no panic, input over maxSize refused with
// ErrWitnessTooLarge before decoding, other failures are ErrBadWitness,
// and an accepted witness re-encodes to exactly its input.
func FuzzDecodeWitness(f *testing.F) {
	for _, w := range []*Witness{
		{},
		{State: [][]byte{{1, 2, 3}}, Codes: [][]byte{{0xfe}}},
		{State: [][]byte{bytes.Repeat([]byte{0xc0}, 100), {0x80}}, Codes: nil},
		{State: nil, Codes: [][]byte{bytes.Repeat([]byte{0x60}, 600)}},
	} {
		enc, err := w.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enc, uint32(len(enc)))
		f.Add(enc, uint32(len(enc)-1))
	}
	f.Add([]byte{0xff, 0x01}, uint32(100))
	f.Add([]byte{0xc2, 0xc0, 0xc0, 0x00}, uint32(100))
	f.Add([]byte{0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, uint32(1<<20))
	f.Fuzz(func(t *testing.T, data []byte, limit uint32) {
		maxSize := int(limit % (1 << 22))
		w, err := DecodeWitness(data, maxSize)
		if len(data) > maxSize {
			if !errors.Is(err, ErrWitnessTooLarge) {
				t.Fatalf("%d bytes over a limit of %d: err %v", len(data), maxSize, err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, ErrBadWitness) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		if w.Size() > len(data) {
			t.Fatalf("witness of %d bytes from %d bytes of input", w.Size(), len(data))
		}
		again, err := w.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("round trip: %x -> %x", data, again)
		}
	})
}
