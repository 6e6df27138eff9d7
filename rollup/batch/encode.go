package batch

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/klauspost/compress/zstd"
)

// Encode returns the batch in the current format: Version1 followed by one
// zstd frame of the payload that doc.go describes. It refuses a batch
// without blocks, blocks that break the sequence rules (ErrNotConsecutive,
// ErrTimeDecreasing, ErrOriginJump), transactions the format cannot carry
// exactly (ErrUnsupportedTx) and missing or out-of-range fields
// (ErrMalformed). It does not apply Limits: use Limits.Check before, or
// Decode the result, to learn whether the L1 would accept it.
//
// Decode(Encode(b)) gives back b: the same numbers, times, origins, state
// roots, block hashes and withdrawals, and transactions with the same
// hashes.
//
// Encode builds a compressor for the call, which costs about 13 MB and a
// few milliseconds; a batcher that encodes often keeps an Encoder.
func Encode(b *Batch) ([]byte, error) {
	e, err := NewEncoder()
	if err != nil {
		return nil, err
	}
	return e.Encode(b)
}

// Encoder encodes batches as Encode does, keeping its compressor's memory
// from call to call. It is not safe for concurrent use.
type Encoder struct {
	z *zstd.Encoder
}

// NewEncoder returns an Encoder.
func NewEncoder() (*Encoder, error) {
	z, err := newCompressor()
	if err != nil {
		return nil, err
	}
	return &Encoder{z: z}, nil
}

// Encode encodes b as the package's Encode does.
func (e *Encoder) Encode(b *Batch) ([]byte, error) {
	parts, err := encodePayload(b)
	if err != nil {
		return nil, err
	}
	return compress(e.z, parts)
}

// txColumns gathers the transactions of a batch column by column.
type txColumns struct {
	chainID uint64
	// classes is the class table; classIndex finds a class's index by
	// its encoding.
	classes    []byte
	classIndex map[string]uint64
	// Per transaction, in the head.
	classOf, nonces, dataLens []byte
	value                     numColumn
	// Per transaction, in the body.
	to, r, s, data []byte
}

// encodePayload returns the payload in parts whose concatenation is the
// payload of doc.go: the header and class table, then each low-entropy
// per-transaction column, then the body, everything of high entropy
// (values' mantissas, recipients, signatures, data, withdrawals, state
// roots, block hashes).
func encodePayload(b *Batch) (parts [][]byte, err error) {
	var head, body []byte
	if b == nil || len(b.Blocks) == 0 {
		return nil, fmt.Errorf("%w: a batch needs at least one block", ErrMalformed)
	}
	blocks := b.Blocks
	for i := 1; i < len(blocks); i++ {
		if err := checkSequence(&blocks[i-1], &blocks[i]); err != nil {
			return nil, err
		}
	}
	var c txColumns
	var withdrawals []byte
	for i := range blocks {
		blk := &blocks[i]
		for j, tx := range blk.Transactions {
			if err := c.add(tx); err != nil {
				return nil, fmt.Errorf("block %d transaction %d: %w", blk.Number, j, err)
			}
		}
		for j := range blk.Withdrawals {
			w := &blk.Withdrawals[j]
			withdrawals = binary.AppendUvarint(withdrawals, w.Nonce)
			withdrawals = append(withdrawals, w.From[:]...)
			withdrawals = append(withdrawals, w.To[:]...)
			if withdrawals, err = appendNum(withdrawals, w.Amount); err != nil {
				return nil, fmt.Errorf("block %d withdrawal %d amount: %w", blk.Number, j, err)
			}
		}
	}

	head = binary.AppendUvarint(head, c.chainID)
	head = append(head, b.ParentHash[:]...)
	head = binary.AppendUvarint(head, uint64(len(blocks)))
	head = binary.AppendUvarint(head, uint64(blocks[0].Number))
	head = binary.AppendUvarint(head, blocks[0].Time)
	head = binary.AppendUvarint(head, uint64(blocks[0].Origin))
	for i := 1; i < len(blocks); i++ {
		head = binary.AppendUvarint(head, blocks[i].Time-blocks[i-1].Time)
	}
	steps := make([]byte, (len(blocks)-1+7)/8)
	for i := 1; i < len(blocks); i++ {
		if blocks[i].Origin != blocks[i-1].Origin {
			steps[(i-1)/8] |= 1 << ((i - 1) % 8)
		}
	}
	head = append(head, steps...)
	for i := range blocks {
		head = binary.AppendUvarint(head, uint64(len(blocks[i].Transactions)))
	}
	for i := range blocks {
		head = binary.AppendUvarint(head, uint64(len(blocks[i].Withdrawals)))
	}
	head = binary.AppendUvarint(head, uint64(len(c.classIndex)))
	head = append(head, c.classes...)
	for _, col := range [][]byte{c.value.rests, c.to, c.r, c.s, c.data, withdrawals} {
		body = append(body, col...)
	}
	for i := range blocks {
		body = append(body, blocks[i].StateRoot[:]...)
	}
	for i := range blocks {
		body = append(body, blocks[i].BlockHash[:]...)
	}
	return [][]byte{head, c.classOf, c.nonces, c.dataLens, c.value.exps, c.value.lens, c.value.leads, body}, nil
}

// add appends one transaction to the columns.
func (c *txColumns) add(tx *types.Transaction) error {
	if tx == nil {
		return fmt.Errorf("%w: nil transaction", ErrMalformed)
	}
	to := tx.To()
	if to == nil {
		return fmt.Errorf("%w: contract creation", ErrUnsupportedTx)
	}
	v, r, s := tx.RawSignatureValues()
	var chainID, parity uint64
	var err error
	switch tx.Type() {
	case types.LegacyTxType:
		if chainID, parity, err = legacyChainID(v); err != nil {
			return err
		}
	case types.AccessListTxType, types.DynamicFeeTxType:
		if len(tx.AccessList()) > 0 {
			return fmt.Errorf("%w: non-empty access list", ErrUnsupportedTx)
		}
		id := tx.ChainId()
		if !id.IsUint64() || id.Sign() == 0 {
			return fmt.Errorf("%w: chain id %v", ErrUnsupportedTx, id)
		}
		chainID = id.Uint64()
		if !v.IsUint64() || v.Uint64() > 1 {
			return fmt.Errorf("%w: y parity %v", ErrUnsupportedTx, v)
		}
		parity = v.Uint64()
	default:
		return fmt.Errorf("%w: type %d", ErrUnsupportedTx, tx.Type())
	}
	switch {
	case c.chainID == 0:
		c.chainID = chainID
	case c.chainID != chainID:
		return fmt.Errorf("%w: chain id %d in a batch of chain %d", ErrUnsupportedTx, chainID, c.chainID)
	}
	if r.Sign() < 0 || r.BitLen() > 256 || s.Sign() < 0 || s.BitLen() > 255 {
		return fmt.Errorf("%w: signature values out of range", ErrUnsupportedTx)
	}

	class, err := appendClass(nil, tx)
	if err != nil {
		return err
	}
	index, ok := c.classIndex[string(class)]
	if !ok {
		if c.classIndex == nil {
			c.classIndex = make(map[string]uint64)
		}
		index = uint64(len(c.classIndex))
		c.classIndex[string(class)] = index
		c.classes = append(c.classes, class...)
	}
	c.classOf = binary.AppendUvarint(c.classOf, index)
	c.nonces = binary.AppendUvarint(c.nonces, tx.Nonce())
	data := tx.Data()
	c.dataLens = binary.AppendUvarint(c.dataLens, uint64(len(data)))
	if err := c.value.add(tx.Value()); err != nil {
		return fmt.Errorf("%w: value: %w", ErrUnsupportedTx, err)
	}
	c.to = append(c.to, to[:]...)
	c.r = appendWord(c.r, r)
	n := len(c.s)
	c.s = appendWord(c.s, s)
	c.s[n] |= byte(parity) << 7
	c.data = append(c.data, data...)
	return nil
}

// appendClass appends the class of tx: its type, gas limit, and gas price
// (types 0 and 1) or tip and fee cap (type 2).
func appendClass(dst []byte, tx *types.Transaction) ([]byte, error) {
	dst = append(dst, tx.Type())
	dst = binary.AppendUvarint(dst, tx.Gas())
	var err error
	if tx.Type() != types.DynamicFeeTxType {
		if dst, err = appendNum(dst, tx.GasPrice()); err != nil {
			return nil, fmt.Errorf("%w: gas price: %w", ErrUnsupportedTx, err)
		}
		return dst, nil
	}
	if dst, err = appendNum(dst, tx.GasTipCap()); err != nil {
		return nil, fmt.Errorf("%w: tip: %w", ErrUnsupportedTx, err)
	}
	if dst, err = appendNum(dst, tx.GasFeeCap()); err != nil {
		return nil, fmt.Errorf("%w: fee cap: %w", ErrUnsupportedTx, err)
	}
	return dst, nil
}

// legacyChainID returns the chain id and y parity of an EIP-155 legacy
// signature value v = 2·chainID + 35 + parity.
func legacyChainID(v *big.Int) (chainID, parity uint64, err error) {
	if v.Cmp(big.NewInt(37)) < 0 {
		return 0, 0, fmt.Errorf("%w: legacy transaction without EIP-155 replay protection (v=%v)", ErrUnsupportedTx, v)
	}
	w := new(big.Int).Sub(v, big.NewInt(35))
	parity = w.Uint64() & 1
	w.Rsh(w, 1)
	if !w.IsUint64() {
		return 0, 0, fmt.Errorf("%w: chain id %v above 64 bits", ErrUnsupportedTx, w)
	}
	return w.Uint64(), parity, nil
}

// appendWord appends x, which has at most 256 bits, as 32 big-endian bytes.
func appendWord(dst []byte, x *big.Int) []byte {
	var w [32]byte
	x.FillBytes(w[:])
	return append(dst, w[:]...)
}
