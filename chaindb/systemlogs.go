package chaindb

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store"
)

// WriteSystemLogs queues the system logs of the block with that hash: the
// logs of its end-of-block hooks (L1) or forced operations (L2), which no
// receipt holds. Nothing is written when there are none.
func WriteSystemLogs(w store.Writer, hash common.Hash, logs []*types.Log) error {
	if len(logs) == 0 {
		return nil
	}
	enc, err := rlp.EncodeToBytes(logs) // consensus form: address, topics, data
	if err != nil {
		return fmt.Errorf("encode system logs: %w", err)
	}
	if err := w.Put(store.SystemLogsKey(hash), enc); err != nil {
		return fmt.Errorf("write system logs: %w", err)
	}
	return nil
}

// ReadSystemLogs returns the system logs of block b with their positions
// filled as the execution placed them: after every receipt's logs, with
// the zero transaction hash and transaction index len(b.Transactions).
// receipts are b's receipts (for the log indexes).
func ReadSystemLogs(r store.Reader, b *block.Block, receipts types.Receipts) ([]*types.Log, error) {
	hash := b.Hash()
	data, err := r.Get(store.SystemLogsKey(hash))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("system logs of block %d: %w", b.Number(), err)
	}
	var logs []*types.Log
	if err := rlp.DecodeBytes(data, &logs); err != nil {
		return nil, fmt.Errorf("system logs of block %d: %w: %v", b.Number(), store.ErrCorrupt, err)
	}
	var index uint
	for _, rc := range receipts {
		index += uint(len(rc.Logs))
	}
	number := b.Number()
	for _, l := range logs {
		l.BlockNumber, l.BlockHash, l.TxHash, l.TxIndex, l.Index = number, hash, common.Hash{}, uint(len(b.Transactions)), index
		l.BlockTimestamp = b.Header.Time
		index++
	}
	return logs, nil
}
