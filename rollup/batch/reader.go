package batch

import (
	"encoding/binary"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// reader reads a payload front to back. Its error is sticky: after the
// first failure every read returns zero values, so a decoder checks err
// once per section, before it allocates by what it read.
type reader struct {
	buf []byte
	off int
	err error
}

// fail records err unless an error is already recorded.
func (r *reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// left is the number of unread bytes.
func (r *reader) left() int { return len(r.buf) - r.off }

// bytes returns the next n bytes (a sub-slice of the payload).
func (r *reader) bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.left() {
		r.fail(fmt.Errorf("%w: %s needs %d bytes at byte %d, %d left", ErrTruncated, what, n, r.off, r.left()))
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

// byte returns the next byte.
func (r *reader) byte(what string) byte {
	b := r.bytes(1, what)
	if b == nil {
		return 0
	}
	return b[0]
}

// uvarint returns the next unsigned varint, refusing non-minimal
// encodings so that every payload has one meaning and one form.
func (r *reader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf[r.off:])
	switch {
	case n == 0:
		r.fail(fmt.Errorf("%w: %s at byte %d", ErrTruncated, what, r.off))
		return 0
	case n < 0:
		r.fail(fmt.Errorf("%w: %s at byte %d overflows 64 bits", ErrMalformed, what, r.off))
		return 0
	case n > 1 && r.buf[r.off+n-1] == 0:
		r.fail(fmt.Errorf("%w: %s at byte %d is not minimally encoded", ErrMalformed, what, r.off))
		return 0
	}
	r.off += n
	return v
}

// uvarints reads n unsigned varints.
func (r *reader) uvarints(n int, what string) []uint64 {
	if r.err != nil {
		return nil
	}
	if n > r.left() { // each takes at least one byte
		r.fail(fmt.Errorf("%w: %d %s need at least %d bytes at byte %d, %d left", ErrTruncated, n, what, n, r.off, r.left()))
		return nil
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = r.uvarint(what)
	}
	return out
}

// hash returns the next 32 bytes as a hash.
func (r *reader) hash(what string) (h common.Hash) {
	copy(h[:], r.bytes(common.HashLength, what))
	return h
}

// address returns the next 20 bytes as an address.
func (r *reader) address(what string) (a common.Address) {
	copy(a[:], r.bytes(common.AddressLength, what))
	return a
}
