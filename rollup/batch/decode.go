package batch

import (
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// The fewest payload bytes a block, a transaction and a withdrawal take
// (doc.go): Decode refuses counts the rest of the payload cannot hold
// before it allocates anything by them.
const (
	minBlockBytes      = 64 + 1 + 1              // state root, block hash, two counts
	minTxBytes         = 1 + 1 + 1 + 2 + 20 + 64 // class, nonce, data length, value head, to, r, s
	minWithdrawalBytes = 1 + 20 + 20 + 2         // nonce, from, to, amount head
)

// maxTxOverhead bounds the bytes of a transaction's encoding besides its
// data: type, list and data headers, a 64-bit chain id, nonce and gas, two
// 256-bit fees, recipient, a 256-bit value, an empty access list and the
// signature come to 233 (TestMaxTxOverhead).
const maxTxOverhead = 256

// Decode parses a batch posted to the L1, refusing, with an error wrapping
// one of this package's sentinels, everything that is not exactly what
// Encode writes: no data (ErrEmpty), an unknown version
// (ErrUnknownVersion), more than lim.MaxBatchBytes (ErrTooLarge), anything
// but one zstd frame (ErrBadFrame, ErrTruncated, ErrTrailingData), a
// payload above lim.MaxDecompressedBytes (ErrDecompressedTooLarge), a
// payload that is truncated, malformed or followed by more bytes
// (ErrTruncated, ErrMalformed, ErrTrailingData), counts above the limits
// (ErrTooManyBlocks, ErrTooManyTxs, ErrTooManyWithdrawals, ErrTxTooLarge),
// blocks that break the sequence rules (ErrNotConsecutive,
// ErrTimeDecreasing, ErrOriginJump) and transactions that cannot be
// rebuilt (ErrBadTx).
//
// Decode is pure and bounded: it allocates at most about
// lim.MaxDecompressedBytes plus a constant factor of the payload, and never
// panics. It does not check what needs the L1: that the batch continues
// the accepted chain, that the origins exist and lag the L1 head within
// bounds, that times are not before the origins', that the claimed roots and
// withdrawals match.
func Decode(data []byte, lim Limits) (*Batch, error) {
	if err := lim.Validate(); err != nil {
		return nil, err
	}
	switch {
	case len(data) == 0:
		return nil, ErrEmpty
	case len(data) > lim.MaxBatchBytes:
		return nil, fmt.Errorf("%w: %d bytes > %d", ErrTooLarge, len(data), lim.MaxBatchBytes)
	case data[0] != Version1:
		return nil, fmt.Errorf("%w: %d (this node reads version %d)", ErrUnknownVersion, data[0], Version1)
	}
	payload, err := decompress(data[1:], lim.MaxDecompressedBytes)
	if err != nil {
		return nil, err
	}
	return decodePayload(payload, lim)
}

// header is the part of the payload that describes the blocks.
type header struct {
	chainID    uint64
	parent     common.Hash
	first      Block
	timeDeltas []uint64
	steps      []byte
	txCounts   []uint64
	wCounts    []uint64
	txs, ws    int // totals
}

// decodePayload parses a decompressed payload.
func decodePayload(p []byte, lim Limits) (*Batch, error) {
	r := &reader{buf: p}
	h, err := readHeader(r, lim)
	if err != nil {
		return nil, err
	}
	txs, err := readTxs(r, h.chainID, h.txs, lim)
	if err != nil {
		return nil, err
	}
	ws := make([]Withdrawal, h.ws)
	for i := range ws {
		ws[i].Nonce = r.uvarint("withdrawal nonce")
		ws[i].From = r.address("withdrawal sender")
		ws[i].To = r.address("withdrawal recipient")
		ws[i].Amount = readNum(r, "withdrawal amount")
		if r.err != nil {
			return nil, fmt.Errorf("withdrawal %d: %w", i, r.err)
		}
	}
	roots := r.bytes(common.HashLength*len(h.txCounts), "state roots")
	hashes := r.bytes(common.HashLength*len(h.txCounts), "block hashes")
	if r.err != nil {
		return nil, r.err
	}
	if r.left() > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the batch", ErrTrailingData, r.left())
	}
	return assemble(h, txs, ws, roots, hashes)
}

// readHeader reads the batch fields and the per-block columns, and checks
// the counts against the limits and against what the payload can hold.
func readHeader(r *reader, lim Limits) (*header, error) {
	h := &header{}
	h.chainID = r.uvarint("chain id")
	h.parent = r.hash("parent hash")
	n := r.uvarint("block count")
	if r.err != nil {
		return nil, r.err
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("%w: no blocks", ErrMalformed)
	case n > uint64(lim.MaxBlocks):
		return nil, fmt.Errorf("%w: %d > %d", ErrTooManyBlocks, n, lim.MaxBlocks)
	case n > uint64(r.left()/minBlockBytes):
		return nil, fmt.Errorf("%w: %d blocks cannot fit in %d bytes", ErrTruncated, n, r.left())
	}
	h.first.Number = block.L2Number(r.uvarint("first block number"))
	h.first.Time = r.uvarint("first block time")
	h.first.Origin = block.L1Number(r.uvarint("first block origin"))
	h.timeDeltas = r.uvarints(int(n)-1, "time deltas")
	h.steps = r.bytes((int(n)-1+7)/8, "origin steps")
	h.txCounts = r.uvarints(int(n), "transaction counts")
	h.wCounts = r.uvarints(int(n), "withdrawal counts")
	if r.err != nil {
		return nil, r.err
	}
	if len(h.steps) > 0 && (n-1)%8 != 0 && h.steps[len(h.steps)-1]>>((n-1)%8) != 0 {
		return nil, fmt.Errorf("%w: origin step padding bits set", ErrMalformed)
	}
	for i := range h.txCounts {
		if h.txCounts[i] > uint64(lim.MaxTxsPerBlock) {
			return nil, fmt.Errorf("%w: block %d of the batch has %d > %d", ErrTooManyTxs, i, h.txCounts[i], lim.MaxTxsPerBlock)
		}
		if h.wCounts[i] > uint64(lim.MaxWithdrawalsPerBlock) {
			return nil, fmt.Errorf("%w: block %d of the batch has %d > %d", ErrTooManyWithdrawals, i, h.wCounts[i], lim.MaxWithdrawalsPerBlock)
		}
		// The totals stay within what the rest of the payload can hold
		// (so they cannot overflow).
		if h.txCounts[i] > uint64(r.left()/minTxBytes-h.txs) || h.wCounts[i] > uint64(r.left()/minWithdrawalBytes-h.ws) {
			return nil, fmt.Errorf("%w: %d transactions and %d withdrawals more cannot fit in %d bytes",
				ErrTruncated, h.txCounts[i], h.wCounts[i], r.left())
		}
		h.txs += int(h.txCounts[i])
		h.ws += int(h.wCounts[i])
	}
	if (h.txs == 0) != (h.chainID == 0) {
		return nil, fmt.Errorf("%w: chain id %d with %d transactions", ErrMalformed, h.chainID, h.txs)
	}
	return h, nil
}

// class is what transactions of a class share (doc.go).
type class struct {
	kind       byte
	gas        uint64
	fee1, fee2 *big.Int // gas price or tip; fee cap (type 2 only)
}

// readClasses reads the class table of n classes, refusing duplicates.
func readClasses(r *reader, n int) ([]class, error) {
	classes := make([]class, n)
	seen := make(map[string]struct{}, n)
	for i := range classes {
		start := r.off
		c := &classes[i]
		c.kind = r.byte("class type")
		switch c.kind {
		case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType:
		default:
			if r.err == nil {
				return nil, fmt.Errorf("%w: %w: class %d has transaction type %d", ErrBadTx, ErrMalformed, i, c.kind)
			}
		}
		c.gas = r.uvarint("class gas limit")
		c.fee1 = readNum(r, "class gas price or tip")
		if c.kind == types.DynamicFeeTxType {
			c.fee2 = readNum(r, "class fee cap")
		}
		if r.err != nil {
			return nil, fmt.Errorf("%w: class %d: %w", ErrBadTx, i, r.err)
		}
		row := string(r.buf[start:r.off])
		if _, dup := seen[row]; dup {
			return nil, fmt.Errorf("%w: class %d repeats an earlier one", ErrMalformed, i)
		}
		seen[row] = struct{}{}
	}
	return classes, nil
}

// readTxs reads the transaction columns of n transactions and rebuilds
// the transactions.
func readTxs(r *reader, chainID uint64, n int, lim Limits) ([]*types.Transaction, error) {
	k := r.uvarint("class count")
	if r.err != nil {
		return nil, r.err
	}
	if k > uint64(n) || (k == 0) != (n == 0) {
		return nil, fmt.Errorf("%w: %d classes for %d transactions", ErrMalformed, k, n)
	}
	if n == 0 {
		return nil, nil
	}
	classes, err := readClasses(r, int(k))
	if err != nil {
		return nil, err
	}
	classOf := r.uvarints(n, "class indices")
	nonces := r.uvarints(n, "nonces")
	dataLens := r.uvarints(n, "data lengths")
	if r.err != nil {
		return nil, r.err
	}
	next := uint64(0) // classes are numbered in order of first use
	for i, c := range classOf {
		if c > next {
			return nil, fmt.Errorf("%w: transaction %d uses class %d before class %d", ErrMalformed, i, c, next)
		}
		if c == next {
			next++
		}
	}
	if next != k {
		return nil, fmt.Errorf("%w: %d of %d classes unused", ErrMalformed, k-next, k)
	}
	dataTotal := 0
	for i, l := range dataLens {
		if l > uint64(lim.MaxTxSize) {
			return nil, fmt.Errorf("%w: transaction %d has %d bytes of data > %d", ErrTxTooLarge, i, l, lim.MaxTxSize)
		}
		if l > uint64(r.left()-dataTotal) {
			return nil, fmt.Errorf("%w: transaction %d has %d bytes of data, %d left", ErrTruncated, i, l, r.left()-dataTotal)
		}
		dataTotal += int(l)
	}
	valueHeads := readNumHeads(r, n, "value")
	valueRests := r.bytes(valueHeads.restLen, "value mantissas")
	tos := r.bytes(common.AddressLength*n, "recipients")
	rs := r.bytes(32*n, "signature r")
	ss := r.bytes(32*n, "signature s")
	data := r.bytes(dataTotal, "data")
	if r.err != nil {
		return nil, r.err
	}

	// types.NewTx copies every field, so one set of scratch numbers
	// serves every transaction.
	var (
		chain          = new(big.Int).SetUint64(chainID)
		legacyV        = new(big.Int).Add(new(big.Int).Lsh(chain, 1), big.NewInt(35))
		value, v, R, S = new(big.Int), new(big.Int), new(big.Int), new(big.Int)
		values         = valueHeads.iter(valueRests)
		legacy         types.LegacyTx
		accessList     types.AccessListTx
		dynamic        types.DynamicFeeTx
	)
	txs := make([]*types.Transaction, n)
	dataPos := 0
	for i := range txs {
		if err := values.next(value); err != nil {
			return nil, fmt.Errorf("%w: transaction %d value: %w", ErrBadTx, i, err)
		}
		to := common.Address(tos[common.AddressLength*i:])
		sig := [32]byte(ss[32*i:])
		parity := uint64(sig[0] >> 7)
		sig[0] &= 0x7f
		R.SetBytes(rs[32*i : 32*i+32])
		S.SetBytes(sig[:])
		v.SetUint64(parity)
		txData := data[dataPos : dataPos+int(dataLens[i])]
		dataPos += int(dataLens[i])
		c := &classes[classOf[i]]
		var inner types.TxData
		switch c.kind {
		case types.LegacyTxType:
			v.Add(v, legacyV)
			legacy = types.LegacyTx{Nonce: nonces[i], GasPrice: c.fee1, Gas: c.gas, To: &to,
				Value: value, Data: txData, V: v, R: R, S: S}
			inner = &legacy
		case types.AccessListTxType:
			accessList = types.AccessListTx{ChainID: chain, Nonce: nonces[i], GasPrice: c.fee1, Gas: c.gas,
				To: &to, Value: value, Data: txData, V: v, R: R, S: S}
			inner = &accessList
		default: // types.DynamicFeeTxType, checked by readClasses
			dynamic = types.DynamicFeeTx{ChainID: chain, Nonce: nonces[i], GasTipCap: c.fee1, GasFeeCap: c.fee2,
				Gas: c.gas, To: &to, Value: value, Data: txData, V: v, R: R, S: S}
			inner = &dynamic
		}
		tx := types.NewTx(inner)
		// A transaction is its data plus at most maxTxOverhead bytes:
		// encode it to measure only when that could pass the limit.
		if len(txData)+maxTxOverhead > lim.MaxTxSize {
			if size := tx.Size(); size > uint64(lim.MaxTxSize) {
				return nil, fmt.Errorf("%w: transaction %d is %d bytes > %d", ErrTxTooLarge, i, size, lim.MaxTxSize)
			}
		}
		txs[i] = tx
	}
	return txs, nil
}

// assemble builds the blocks from the header and the decoded columns and
// checks the sequence rules (only an overflow can break them: the format
// stores consecutive numbers, time increments and origin steps).
func assemble(h *header, txs []*types.Transaction, ws []Withdrawal, roots, hashes []byte) (*Batch, error) {
	b := &Batch{ParentHash: h.parent, Blocks: make([]Block, len(h.txCounts))}
	tx, w := 0, 0
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		if i == 0 {
			*blk = h.first
		} else {
			prev := &b.Blocks[i-1]
			blk.Number = prev.Number + 1
			blk.Time = prev.Time + h.timeDeltas[i-1]
			blk.Origin = prev.Origin
			if h.steps[(i-1)/8]&(1<<((i-1)%8)) != 0 {
				blk.Origin++
			}
			if err := checkSequence(prev, blk); err != nil {
				return nil, err
			}
		}
		if c := int(h.txCounts[i]); c > 0 {
			blk.Transactions = txs[tx : tx+c : tx+c]
			tx += c
		}
		if c := int(h.wCounts[i]); c > 0 {
			blk.Withdrawals = ws[w : w+c : w+c]
			w += c
		}
		blk.StateRoot = common.Hash(roots[common.HashLength*i:])
		blk.BlockHash = common.Hash(hashes[common.HashLength*i:])
	}
	return b, nil
}
