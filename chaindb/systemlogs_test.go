package chaindb

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/store/memdb"
)

// TestSystemLogsRoundTrip: a block's system logs come back with their
// content and positions after the receipts' logs (the zero transaction
// hash, transaction index = the transaction count); a block without any
// has none.
func TestSystemLogsRoundTrip(t *testing.T) {
	db := memdb.New()
	b, receipts := testBlockWithReceipts(t)
	sys := []*types.Log{
		{Address: common.HexToAddress("0x1003"), Topics: []common.Hash{{7}, {8}}, Data: []byte{9}},
		{Address: common.HexToAddress("0x1002")},
	}
	batch := db.NewBatch()
	if err := WriteBlock(batch, b, receipts); err != nil {
		t.Fatal(err)
	}
	if err := WriteSystemLogs(batch, b.Hash(), sys); err != nil {
		t.Fatal(err)
	}
	if err := batch.Commit(true); err != nil {
		t.Fatal(err)
	}
	rs, err := ReadReceipts(db, b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadSystemLogs(db, b, rs)
	if err != nil || len(got) != 2 {
		t.Fatalf("system logs %v, %v", got, err)
	}
	// The receipts hold two logs (indexes 0, 1): the system logs follow.
	l := got[0]
	if l.Address != sys[0].Address || len(l.Topics) != 2 || l.Topics[1] != (common.Hash{8}) || string(l.Data) != string([]byte{9}) ||
		l.Index != 2 || got[1].Index != 3 || l.TxIndex != 3 || l.TxHash != (common.Hash{}) || l.BlockHash != b.Hash() || l.BlockNumber != 5 {
		t.Fatalf("system log %+v", l)
	}
	other, _ := testBlockWithReceipts(t)
	other.Header.Number.SetUint64(6)
	if none, err := ReadSystemLogs(db, other, nil); err != nil || none != nil {
		t.Fatalf("a block without system logs: %v, %v", none, err)
	}
}
