package contract

import (
	"github.com/bilayer/bilayer/rollup/batch"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// decodeBatch decodes posted batch data with rollup/batch and converts it
// to the form protocol.CheckBatch judges.
func decodeBatch(data []byte, lim batch.Limits) (*protocol.Batch, error) {
	b, err := batch.Decode(data, lim)
	if err != nil {
		return nil, err
	}
	return fromBatch(b), nil
}

// fromBatch converts a decoded batch to protocol's form (the transactions
// are shared, not copied).
func fromBatch(b *batch.Batch) *protocol.Batch {
	out := &protocol.Batch{ParentHash: b.ParentHash, Blocks: make([]protocol.Block, len(b.Blocks))}
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		var ws []protocol.Withdrawal
		if len(blk.Withdrawals) > 0 {
			ws = make([]protocol.Withdrawal, len(blk.Withdrawals))
			for j, w := range blk.Withdrawals {
				ws[j] = protocol.Withdrawal(w)
			}
		}
		out.Blocks[i] = protocol.Block{
			Number: blk.Number, Time: blk.Time, Origin: blk.Origin, Transactions: blk.Transactions,
			StateRoot: blk.StateRoot, BlockHash: blk.BlockHash, Withdrawals: ws,
		}
	}
	return out
}

// ToBatch converts a batch in protocol's form to rollup/batch's, for
// Encode (the batcher, tests): the inverse of what submitBatch decodes.
func ToBatch(b *protocol.Batch) *batch.Batch {
	out := &batch.Batch{ParentHash: b.ParentHash, Blocks: make([]batch.Block, len(b.Blocks))}
	for i := range b.Blocks {
		blk := &b.Blocks[i]
		var ws []batch.Withdrawal
		if len(blk.Withdrawals) > 0 {
			ws = make([]batch.Withdrawal, len(blk.Withdrawals))
			for j, w := range blk.Withdrawals {
				ws[j] = batch.Withdrawal(w)
			}
		}
		out.Blocks[i] = batch.Block{
			Number: blk.Number, Time: blk.Time, Origin: blk.Origin, Transactions: blk.Transactions,
			StateRoot: blk.StateRoot, BlockHash: blk.BlockHash, Withdrawals: ws,
		}
	}
	return out
}

// FromBatch converts a decoded batch to protocol's form, as submitBatch
// does before it checks it (derivation, the challenger).
func FromBatch(b *batch.Batch) *protocol.Batch { return fromBatch(b) }
