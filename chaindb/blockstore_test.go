package chaindb

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
	"github.com/ethereum/go-ethereum/rlp"
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
	if _, err := ReadBlock(db, 5); !errors.Is(err, store.ErrNotFound) {
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
}

func testL2Block(t *testing.T) (*block.Block, types.Receipts) {
	t.Helper()
	l1, receipts := testBlockWithReceipts(t)
	extras := block.L2Extras{
		Origin: block.L1Ref{Number: 42, Hash: common.Hash{0x42}, BaseFee: big.NewInt(7e8)},
		Operations: []block.Operation{{Kind: block.OpDeposit, L1Block: 42, Index: 0,
			From: common.Address{0xa}, To: common.Address{0xb}, Amount: big.NewInt(1e18)}},
	}
	b := block.AssembleL2(&types.Header{Number: big.NewInt(5), ParentHash: common.Hash{4}, GasLimit: 30e6,
		GasUsed: 63000, BaseFee: big.NewInt(1e9), ReceiptHash: block.ReceiptsRoot(receipts)}, l1.Transactions, extras)
	if err := b.CheckCommitments(); err != nil {
		t.Fatalf("test L2 block is malformed: %v", err)
	}
	return b, receipts
}

func TestBlockStoreL2RoundTrip(t *testing.T) {
	db := memdb.New()
	b, receipts := testL2Block(t)
	if err := WriteBlock(db, b, receipts); err != nil {
		t.Fatal(err)
	}
	for name, read := range map[string]func() (*block.Block, error){
		"by height": func() (*block.Block, error) { return ReadBlock(db, 5) },
		"by hash":   func() (*block.Block, error) { return ReadBlockByHash(db, b.Hash()) },
	} {
		got, err := read()
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if got.Hash() != b.Hash() {
			t.Fatalf("read %s: hash %s, wrote %s", name, got.Hash(), b.Hash())
		}
		want, err := b.Encode()
		if err != nil {
			t.Fatal(err)
		}
		enc, err := got.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(enc, want) {
			t.Fatalf("read %s: block encodes differently from the one written", name)
		}
		if !got.IsL2() {
			t.Fatalf("read %s: L2 extras lost", name)
		}
		if got.L2.Hash() != b.L2.Hash() || got.L2.Hash() != got.Header.MixDigest {
			t.Fatalf("read %s: L2 extras changed: %+v", name, got.L2)
		}
		op := got.L2.Operations
		if got.L2.Origin.Number != 42 || got.L2.Origin.Hash != (common.Hash{0x42}) ||
			got.L2.Origin.BaseFee.Cmp(big.NewInt(7e8)) != 0 || len(op) != 1 || op[0].Kind != block.OpDeposit ||
			op[0].To != (common.Address{0xb}) || op[0].Amount.Cmp(big.NewInt(1e18)) != 0 {
			t.Fatalf("read %s: L2 extras %+v", name, got.L2)
		}
		if err := got.CheckCommitments(); err != nil {
			t.Fatalf("read %s: stored L2 block fails its commitments: %v", name, err)
		}
		rs, err := ReadReceipts(db, got)
		if err != nil {
			t.Fatalf("read %s: receipts: %v", name, err)
		}
		if block.ReceiptsRoot(rs) != b.Header.ReceiptHash || rs[2].BlockHash != b.Hash() {
			t.Fatalf("read %s: receipts changed in storage", name)
		}
	}
}

// legacyBody is the stored body as it was before L2 blocks: the L2 field
// must not change an L1 block's encoding.
type legacyBody struct {
	Transactions types.Transactions
	Extras       block.Extras
}

func TestBlockStoreL1BodyUnchanged(t *testing.T) {
	db := memdb.New()
	b, receipts := testBlockWithReceipts(t)
	if err := WriteBlock(db, b, receipts); err != nil {
		t.Fatal(err)
	}
	stored, err := db.Get(store.BodyKey(b.Hash()))
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := rlp.EncodeToBytes(&legacyBody{Transactions: b.Transactions, Extras: b.Extras})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, legacy) {
		t.Fatalf("L1 body encoding changed:\n stored %x\n legacy %x", stored, legacy)
	}
	// A body written before the field existed reads back as an L1 block.
	if err := db.Put(store.BodyKey(b.Hash()), legacy); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBlock(db, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got.IsL2() || got.Hash() != b.Hash() || got.Extras.Hash() != b.Extras.Hash() {
		t.Fatalf("legacy body read back as %+v", got)
	}
}
