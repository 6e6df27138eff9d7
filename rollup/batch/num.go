package batch

import (
	"encoding/binary"
	"fmt"
	"math/big"
	"math/bits"

	"github.com/holiman/uint256"
)

// maxExponent is the largest decimal exponent of a number: 10^77 < 2^256 <
// 10^78.
const maxExponent = 77

// maxMantissa is the longest mantissa, in bytes.
const maxMantissa = 32

// numColumn gathers numbers (values, fees, amounts) in the decimal form of
// doc.go: v = mantissa × 10^exponent with the exponent as large as possible,
// so the round amounts people send and the round fees wallets pick cost a
// byte or two. Each number contributes its exponent byte, its mantissa
// length byte and, if non-zero, the first byte of its mantissa; the other
// mantissa bytes go to rests. Keeping the four apart lets zstd code the
// small, repetitive ones cheaply.
type numColumn struct {
	exps, lens, leads, rests []byte
}

// add appends v, which must be in [0, 2^256).
func (c *numColumn) add(v *big.Int) error {
	var buf [maxMantissa]byte
	exp, mant, err := splitDecimal(v, &buf)
	if err != nil {
		return err
	}
	c.exps = append(c.exps, exp)
	c.lens = append(c.lens, byte(len(mant)))
	if len(mant) > 0 {
		c.leads = append(c.leads, mant[0])
		c.rests = append(c.rests, mant[1:]...)
	}
	return nil
}

// appendNum appends v in row form: exponent, length, mantissa.
func appendNum(dst []byte, v *big.Int) ([]byte, error) {
	var buf [maxMantissa]byte
	exp, mant, err := splitDecimal(v, &buf)
	if err != nil {
		return dst, err
	}
	dst = append(dst, exp, byte(len(mant)))
	return append(dst, mant...), nil
}

// splitDecimal returns v as mantissa × 10^exp with exp maximal and the
// mantissa in minimal big-endian bytes (none for zero), stored in buf.
func splitDecimal(v *big.Int, buf *[maxMantissa]byte) (exp byte, mant []byte, err error) {
	switch {
	case v == nil:
		return 0, nil, fmt.Errorf("%w: missing number", ErrMalformed)
	case v.Sign() < 0:
		return 0, nil, fmt.Errorf("%w: negative number %v", ErrMalformed, v)
	case v.BitLen() > 256:
		return 0, nil, fmt.Errorf("%w: number of %d bits", ErrMalformed, v.BitLen())
	}
	if v.IsUint64() {
		u := v.Uint64()
		if u == 0 {
			return 0, nil, nil
		}
		for u%10 == 0 {
			u /= 10
			exp++
		}
		binary.BigEndian.PutUint64(buf[maxMantissa-8:], u)
		return exp, buf[maxMantissa-(bits.Len64(u)+7)/8:], nil
	}
	z, _ := uint256.FromBig(v) // fits: BitLen <= 256
	ten := uint256.NewInt(10)
	var q, r uint256.Int
	for {
		q.DivMod(z, ten, &r)
		if !r.IsZero() {
			break
		}
		z.Set(&q)
		exp++
	}
	*buf = z.Bytes32()
	return exp, buf[maxMantissa-(z.BitLen()+7)/8:], nil
}

// numHeads is a column of numbers as read from a payload: the exponents,
// lengths and lead bytes, and how many rest bytes follow.
type numHeads struct {
	exps, lens, leads []byte
	restLen           int
}

// readNumHeads reads the exponents, lengths and lead bytes of n numbers.
func readNumHeads(r *reader, n int, what string) numHeads {
	var h numHeads
	h.exps = r.bytes(n, what+" exponents")
	h.lens = r.bytes(n, what+" lengths")
	leads, total := 0, 0
	for i, l := range h.lens {
		if l > maxMantissa {
			r.fail(fmt.Errorf("%w: %s %d has a %d-byte mantissa", ErrMalformed, what, i, l))
			return numHeads{}
		}
		if l > 0 {
			leads++
			total += int(l) - 1
		}
	}
	h.leads = r.bytes(leads, what+" lead bytes")
	h.restLen = total
	return h
}

// numIter walks a column of numbers read by readNumHeads.
type numIter struct {
	h           *numHeads
	rests       []byte
	i, lead, at int
}

// iter returns an iterator over the column, whose rest bytes are rests
// (of length h.restLen).
func (h *numHeads) iter(rests []byte) numIter { return numIter{h: h, rests: rests} }

// next sets z to the next number.
func (it *numIter) next(z *big.Int) error {
	var mant [maxMantissa]byte
	n := int(it.h.lens[it.i])
	if n > 0 {
		mant[0] = it.h.leads[it.lead]
		it.lead++
		copy(mant[1:n], it.rests[it.at:it.at+n-1])
		it.at += n - 1
	}
	exp := it.h.exps[it.i]
	it.i++
	return decodeDecimal(z, exp, mant[:n])
}

// readNum reads one number in row form: exponent, length, mantissa.
func readNum(r *reader, what string) *big.Int {
	exp := r.byte(what + " exponent")
	n := r.byte(what + " length")
	if r.err != nil {
		return nil
	}
	if n > maxMantissa {
		r.fail(fmt.Errorf("%w: %s has a %d-byte mantissa", ErrMalformed, what, n))
		return nil
	}
	mant := r.bytes(int(n), what+" mantissa")
	if r.err != nil {
		return nil
	}
	v := new(big.Int)
	if err := decodeDecimal(v, exp, mant); err != nil {
		r.fail(fmt.Errorf("%s: %w", what, err))
		return nil
	}
	return v
}

// decodeDecimal sets z to mantissa × 10^exp, refusing every form
// splitDecimal would not have written: a zero with an exponent, a leading
// zero byte, a mantissa divisible by ten, an exponent above 77, a result
// of more than 256 bits.
func decodeDecimal(z *big.Int, exp byte, mant []byte) error {
	switch {
	case len(mant) == 0:
		if exp != 0 {
			return fmt.Errorf("%w: zero with exponent %d", ErrMalformed, exp)
		}
		z.SetUint64(0)
		return nil
	case mant[0] == 0:
		return fmt.Errorf("%w: mantissa with a leading zero byte", ErrMalformed)
	case exp > maxExponent:
		return fmt.Errorf("%w: exponent %d > %d", ErrMalformed, exp, maxExponent)
	}
	if len(mant) <= 8 {
		var u uint64
		for _, b := range mant {
			u = u<<8 | uint64(b)
		}
		if u%10 == 0 {
			return fmt.Errorf("%w: mantissa %d divisible by ten", ErrMalformed, u)
		}
		if p, ok := pow10u64(exp); ok {
			if hi, lo := bits.Mul64(u, p); hi == 0 {
				z.SetUint64(lo)
				return nil
			}
		}
	}
	var w, r uint256.Int
	ten := uint256.NewInt(10)
	w.SetBytes(mant)
	if r.Mod(&w, ten); r.IsZero() {
		return fmt.Errorf("%w: mantissa divisible by ten", ErrMalformed)
	}
	for range exp {
		if _, overflow := w.MulOverflow(&w, ten); overflow {
			return fmt.Errorf("%w: number above 256 bits", ErrMalformed)
		}
	}
	z.SetBytes(w.Bytes())
	return nil
}

// pow10u64 returns 10^e if it fits in a uint64.
func pow10u64(e byte) (uint64, bool) {
	if e > 19 {
		return 0, false
	}
	p := uint64(1)
	for range e {
		p *= 10
	}
	return p, true
}
