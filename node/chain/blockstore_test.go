package chain

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

func testBlockWithReceipts(t *testing.T) (*block.Block, types.Receipts) {
	t.Helper()
	key, _ := crypto.ToECDSA(bytes.Repeat([]byte{3}, 32))
	signer := types.LatestSignerForChainID(big.NewInt(1337))
	to := common.HexToAddress("0xdead")
	var txs types.Transactions
	var receipts types.Receipts
	for i := range 3 {
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: uint64(i),
			GasTipCap: big.NewInt(5), GasFeeCap: big.NewInt(2e9), Gas: 50_000, To: &to, Value: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
		r := &types.Receipt{Type: tx.Type(), Status: 1, CumulativeGasUsed: uint64(21000 * (i + 1))}
		if i == 1 {
			r.Logs = []*types.Log{{Address: to, Topics: []common.Hash{{1}}, Data: []byte{2}}, {Address: to}}
		}
		r.Bloom = types.CreateBloom(r)
		receipts = append(receipts, r)
	}
	b := block.Assemble(&types.Header{Number: big.NewInt(5), ParentHash: common.Hash{4}, GasLimit: 30e6,
		GasUsed: 63000, BaseFee: big.NewInt(1e9), ReceiptHash: block.ReceiptsRoot(receipts)}, txs, block.Extras{
		LastCommit: &block.Commit{Height: 4, BlockHash: common.Hash{4},
			Signatures: []block.CommitSig{{Validator: common.Address{1}, Signature: make([]byte, 65)}}}})
	return b, receipts
}

func TestBlockStoreRoundTrip(t *testing.T) {
	db := memdb.New()
	b, receipts := testBlockWithReceipts(t)
	batch := db.NewBatch()
	if err := WriteBlock(batch, b, receipts); err != nil {
		t.Fatal(err)
	}
	commit := &block.Commit{Height: 5, Round: 1, BlockHash: b.Hash(),
		Signatures: []block.CommitSig{{Validator: common.Address{7}, Signature: make([]byte, 65)}}}
	if err := WriteCommit(batch, commit); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBlock(db, 5); !IsNotFound(err) {
		t.Fatalf("block visible before the batch commits: %v", err)
	}
	if err := batch.Commit(true); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBlock(db, 5)
	if err != nil || got.Hash() != b.Hash() || len(got.Transactions) != 3 {
		t.Fatalf("read block: %v", err)
	}
	if err := got.CheckCommitments(); err != nil {
		t.Fatalf("stored block fails its commitments: %v", err)
	}
	byHash, err := ReadBlockByHash(db, b.Hash())
	if err != nil || byHash.Hash() != b.Hash() {
		t.Fatalf("read by hash: %v", err)
	}
	rs, err := ReadReceipts(db, got)
	if err != nil {
		t.Fatal(err)
	}
	if block.ReceiptsRoot(rs) != b.Header.ReceiptHash {
		t.Fatal("receipts root changed in storage")
	}
	r1 := rs[1]
	if r1.GasUsed != 21000 || r1.TxHash != b.Transactions[1].Hash() || r1.BlockHash != b.Hash() ||
		r1.EffectiveGasPrice.Int64() != 1e9+5 || r1.Logs[1].Index != 1 || r1.Logs[0].TxIndex != 1 || r1.Type != types.DynamicFeeTxType {
		t.Fatalf("derived receipt fields wrong: %+v", r1)
	}
	if r1.Bloom != types.CreateBloom(receipts[1]) {
		t.Fatal("bloom not derived")
	}
	loc, err := store.ReadTxLookup(db, b.Transactions[2].Hash())
	if err != nil || loc.Height != 5 || loc.Index != 2 {
		t.Fatalf("tx lookup %+v, %v", loc, err)
	}
	c, err := ReadCommit(db, 5)
	if err != nil || c.BlockHash != b.Hash() || c.Round != 1 {
		t.Fatalf("commit %+v, %v", c, err)
	}
}

func TestBlockStoreCorruption(t *testing.T) {
	db := memdb.New()
	b, receipts := testBlockWithReceipts(t)
	if err := WriteBlock(db, b, receipts); err != nil {
		t.Fatal(err)
	}
	if err := db.Put(store.ReceiptsKey(b.Hash()), []byte{0xc0}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadReceipts(db, b); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("receipt count mismatch: got %v, want ErrCorrupt", err)
	}
	if err := db.Put(store.HeaderKey(5), []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadBlock(db, 5); !errors.Is(err, store.ErrCorrupt) {
		t.Fatalf("garbage header: got %v, want ErrCorrupt", err)
	}
	if _, err := ReadCommit(db, 9); !IsNotFound(err) {
		t.Fatalf("missing commit: %v", err)
	}
}
