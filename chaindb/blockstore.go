package chaindb

import (
	"fmt"
	"math/big"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// body is the stored form of a block's body: everything but the header.
// L2 is an optional trailing field, set on L2 blocks only, so an L1 block's
// body encodes as it did before the field existed.
type body struct {
	Transactions types.Transactions
	Extras       block.Extras
	L2           *block.L2Extras `rlp:"optional"`
}

// WriteBlock queues a block, its receipts and its transaction index into w.
// Receipts are stored in their consensus form; ReadReceipts derives the
// rest.
func WriteBlock(w store.Writer, b *block.Block, receipts types.Receipts) error {
	n, hash := b.Number(), b.Hash()
	hdr, err := rlp.EncodeToBytes(b.Header)
	if err != nil {
		return fmt.Errorf("encode header %d: %w", n, err)
	}
	bd, err := rlp.EncodeToBytes(&body{Transactions: b.Transactions, Extras: b.Extras, L2: b.L2})
	if err != nil {
		return fmt.Errorf("encode body %d: %w", n, err)
	}
	stored := make([]*types.ReceiptForStorage, len(receipts))
	for i, r := range receipts {
		stored[i] = (*types.ReceiptForStorage)(r)
	}
	rcpts, err := rlp.EncodeToBytes(stored)
	if err != nil {
		return fmt.Errorf("encode receipts %d: %w", n, err)
	}
	if err := w.Put(store.HeaderKey(n), hdr); err != nil {
		return fmt.Errorf("write header %d: %w", n, err)
	}
	if err := w.Put(store.BodyKey(hash), bd); err != nil {
		return fmt.Errorf("write body %d: %w", n, err)
	}
	if err := w.Put(store.ReceiptsKey(hash), rcpts); err != nil {
		return fmt.Errorf("write receipts %d: %w", n, err)
	}
	if err := store.WriteHeightByHash(w, hash, n); err != nil {
		return fmt.Errorf("write hash index %d: %w", n, err)
	}
	for i, tx := range b.Transactions {
		if err := store.WriteTxLookup(w, tx.Hash(), store.TxLocation{Height: n, Index: uint32(i)}); err != nil {
			return fmt.Errorf("write tx index %d/%d: %w", n, i, err)
		}
	}
	return nil
}

// ReadHeader returns the header at height n, or an error wrapping
// store.ErrNotFound.
func ReadHeader(r store.Reader, n uint64) (*types.Header, error) {
	data, err := r.Get(store.HeaderKey(n))
	if err != nil {
		return nil, fmt.Errorf("header %d: %w", n, err)
	}
	var h types.Header
	if err := rlp.DecodeBytes(data, &h); err != nil {
		return nil, fmt.Errorf("header %d: %w: %v", n, store.ErrCorrupt, err)
	}
	return &h, nil
}

// ReadBlock returns the block at height n.
func ReadBlock(r store.Reader, n uint64) (*block.Block, error) {
	h, err := ReadHeader(r, n)
	if err != nil {
		return nil, err
	}
	hash := h.Hash()
	data, err := r.Get(store.BodyKey(hash))
	if err != nil {
		return nil, fmt.Errorf("body of block %d: %w", n, err)
	}
	var bd body
	if err := rlp.DecodeBytes(data, &bd); err != nil {
		return nil, fmt.Errorf("body of block %d: %w: %v", n, store.ErrCorrupt, err)
	}
	return &block.Block{Header: h, Transactions: bd.Transactions, Extras: bd.Extras, L2: bd.L2}, nil
}

// ReadBlockByHash returns the block with the given hash.
func ReadBlockByHash(r store.Reader, hash common.Hash) (*block.Block, error) {
	n, err := store.ReadHeightByHash(r, hash)
	if err != nil {
		return nil, fmt.Errorf("block %s: %w", hash, err)
	}
	return ReadBlock(r, n)
}

// ReadReceipts returns the receipts of block b with every derived field
// filled: tx hash and index, type, gas used, effective gas price, block
// hash and number, bloom, and log positions.
func ReadReceipts(r store.Reader, b *block.Block) (types.Receipts, error) {
	hash := b.Hash()
	data, err := r.Get(store.ReceiptsKey(hash))
	if err != nil {
		return nil, fmt.Errorf("receipts of block %d: %w", b.Number(), err)
	}
	var stored []*types.ReceiptForStorage
	if err := rlp.DecodeBytes(data, &stored); err != nil {
		return nil, fmt.Errorf("receipts of block %d: %w: %v", b.Number(), store.ErrCorrupt, err)
	}
	if len(stored) != len(b.Transactions) {
		return nil, fmt.Errorf("receipts of block %d: %w: %d receipts for %d transactions",
			b.Number(), store.ErrCorrupt, len(stored), len(b.Transactions))
	}
	receipts := make(types.Receipts, len(stored))
	for i, s := range stored {
		receipts[i] = (*types.Receipt)(s)
	}
	DeriveReceiptFields(receipts, b)
	return receipts, nil
}

// DeriveReceiptFields fills the fields of receipts that are not stored:
// everything but status, cumulative gas used and the logs' content.
func DeriveReceiptFields(receipts types.Receipts, b *block.Block) {
	hash, number := b.Hash(), b.Number()
	var logIndex uint
	var prevCumulative uint64
	for i, r := range receipts {
		tx := b.Transactions[i]
		r.Type = tx.Type()
		r.TxHash = tx.Hash()
		r.TransactionIndex = uint(i)
		r.BlockHash = hash
		r.BlockNumber = new(big.Int).SetUint64(number)
		r.GasUsed = r.CumulativeGasUsed - prevCumulative
		prevCumulative = r.CumulativeGasUsed
		r.EffectiveGasPrice = effectiveGasPrice(tx, b.Header.BaseFee)
		for _, l := range r.Logs {
			l.BlockNumber, l.BlockHash, l.TxHash, l.TxIndex, l.Index = number, hash, r.TxHash, uint(i), logIndex
			logIndex++
		}
		r.Bloom = types.CreateBloom(r)
	}
}

func effectiveGasPrice(tx *types.Transaction, baseFee *big.Int) *big.Int {
	if baseFee == nil {
		return new(big.Int).Set(tx.GasPrice())
	}
	tip := new(big.Int).Sub(tx.GasFeeCap(), baseFee)
	if tip.Cmp(tx.GasTipCap()) > 0 {
		tip.Set(tx.GasTipCap())
	}
	return tip.Add(tip, baseFee)
}
