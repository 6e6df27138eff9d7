package wire

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// TestMessageIDCoversTheMessageNotTheNonce: two envelopes around the same
// message are one message to gossip; another kind or payload is another.
func TestMessageIDCoversTheMessageNotTheNonce(t *testing.T) {
	a, _ := EncodeEnvelope(KindVote, 1, []byte{1, 2, 3})
	b, _ := EncodeEnvelope(KindVote, 99, []byte{1, 2, 3})
	if MessageID(a) != MessageID(b) {
		t.Fatal("re-wrapped message has another id")
	}
	c, _ := EncodeEnvelope(KindProposal, 1, []byte{1, 2, 3})
	d, _ := EncodeEnvelope(KindVote, 1, []byte{1, 2, 4})
	if MessageID(a) == MessageID(c) || MessageID(a) == MessageID(d) {
		t.Fatal("different messages share an id")
	}
	garbage := []byte{0xde, 0xad}
	if MessageID(garbage) == MessageID(append(garbage, 0)) {
		t.Fatal("garbage is not identified by its bytes")
	}
	if MessageID(append(a, 0)) == MessageID(a) {
		t.Fatal("an envelope with trailing bytes has the envelope's id")
	}
}

func testTxs(t testing.TB, n int) []*types.Transaction {
	t.Helper()
	key, _ := crypto.ToECDSA(common.LeftPadBytes([]byte{7}, 32))
	signer := types.LatestSignerForChainID(big.NewInt(1337))
	var out []*types.Transaction
	for i := range n {
		to := common.Address{1}
		tx, err := types.SignNewTx(key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: uint64(i), Gas: 21000, To: &to,
			GasFeeCap: big.NewInt(1e9), GasTipCap: big.NewInt(1), Value: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tx)
	}
	return out
}

func TestTxBatchRoundTripAndLimit(t *testing.T) {
	txs := testTxs(t, 3)
	senders := []common.Address{{1}, {2}, {3}}
	enc, err := EncodeTxBatch(txs, senders)
	if err != nil {
		t.Fatal(err)
	}
	got, from, err := DecodeTxBatch(enc)
	if err != nil || len(got) != 3 || got[2].Hash() != txs[2].Hash() || len(from) != 3 || from[1] != senders[1] {
		t.Fatalf("round trip: %v, %v, %v", got, from, err)
	}
	if _, err := EncodeTxBatch(txs, senders[:2]); err == nil {
		t.Fatal("encoded a batch with a sender missing")
	}
	tooMany, _ := rlp.EncodeToBytes(txBatch{Txs: make([][]byte, MaxTxBatchCount+1), Senders: make([]common.Address, MaxTxBatchCount+1)})
	if _, _, err := DecodeTxBatch(tooMany); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("batch over the count limit: %v", err)
	}
	if _, _, err := DecodeTxBatch(append(enc, 0)); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("trailing bytes: %v", err)
	}
	short, _ := rlp.EncodeToBytes(txBatch{Txs: [][]byte{mustBinary(t, txs[0]), mustBinary(t, txs[1])}, Senders: senders[:1]})
	if _, _, err := DecodeTxBatch(short); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("one sender for two transactions: %v", err)
	}
}

func mustBinary(t *testing.T, tx *types.Transaction) []byte {
	t.Helper()
	b, err := tx.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBlockRangeRoundTripAndLimit(t *testing.T) {
	req, _ := EncodeBlockRangeRequest(BlockRangeRequest{From: 5, Count: 2})
	if r, err := DecodeBlockRangeRequest(req); err != nil || r.From != 5 || r.Count != 2 || r.CommitOnly {
		t.Fatalf("request: %+v %v", r, err)
	}
	req, _ = EncodeBlockRangeRequest(BlockRangeRequest{From: 5, CommitOnly: true})
	if r, err := DecodeBlockRangeRequest(req); err != nil || !r.CommitOnly {
		t.Fatalf("commit-only request: %+v %v", r, err)
	}
	if _, err := DecodeBlockRangeRequest(mustRLP(t, BlockRangeRequest{From: 0, Count: 1})); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("request from 0: %v", err)
	}
	items := []SyncedBlock{{Block: []byte{1}, Commit: []byte{2}}}
	resp, _ := EncodeBlockRange(items)
	if got, err := DecodeBlockRange(resp); err != nil || len(got) != 1 || !bytes.Equal(got[0].Commit, []byte{2}) {
		t.Fatalf("response: %+v %v", got, err)
	}
	empty, _ := EncodeBlockRange(nil)
	if got, err := DecodeBlockRange(empty); err != nil || len(got) != 0 {
		t.Fatalf("empty response: %+v %v", got, err)
	}
	tooMany, _ := EncodeBlockRange(make([]SyncedBlock, MaxSyncBatch+1))
	if _, err := DecodeBlockRange(tooMany); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("response over the item limit: %v", err)
	}
}

func mustRLP(t testing.TB, v any) []byte {
	t.Helper()
	b, err := rlp.EncodeToBytes(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzMessageID(f *testing.F) {
	a, _ := EncodeEnvelope(KindVote, 1, []byte{1, 2, 3})
	f.Add(a)
	f.Fuzz(func(t *testing.T, data []byte) {
		id := MessageID(data)
		kind, payload, err := DecodeEnvelope(data, len(data))
		if err != nil {
			return
		}
		again, err := EncodeEnvelope(kind, 12345, payload)
		if err != nil {
			t.Fatal(err)
		}
		if MessageID(again) != id {
			t.Fatal("a decodable envelope's id depends on its nonce")
		}
	})
}

func FuzzDecodeTxBatch(f *testing.F) {
	enc, _ := EncodeTxBatch(testTxs(f, 2), []common.Address{{1}, {2}})
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		txs, senders, err := DecodeTxBatch(data)
		if err != nil {
			return
		}
		if len(txs) > MaxTxBatchCount || len(senders) != len(txs) {
			t.Fatalf("%d transactions, %d senders decoded", len(txs), len(senders))
		}
		if _, err := EncodeTxBatch(txs, senders); err != nil {
			t.Fatalf("decoded batch does not encode: %v", err)
		}
	})
}

func FuzzDecodeBlockRange(f *testing.F) {
	enc, _ := EncodeBlockRange([]SyncedBlock{{Block: []byte{1}, Commit: []byte{2}}})
	f.Add(enc)
	req, _ := EncodeBlockRangeRequest(BlockRangeRequest{From: 1, Count: 32, CommitOnly: true})
	f.Add(req)
	f.Fuzz(func(t *testing.T, data []byte) {
		if items, err := DecodeBlockRange(data); err == nil && len(items) > MaxSyncBatch {
			t.Fatalf("%d items decoded", len(items))
		}
		if r, err := DecodeBlockRangeRequest(data); err == nil && r.From == 0 {
			t.Fatal("a request from block 0 decoded")
		}
	})
}

// TestTxBatchRawEncodingsHashToTheirTransactions: DecodeTxBatchRaw gives
// each transaction's binary encoding as EncodeTxBatch wrote it, whose
// Keccak-256 hash is the transaction's hash for a typed and a legacy
// transaction alike (a receiver looks its pool up with it before
// decoding), and DecodeBatchTx decodes it; a malformed encoding is a bad
// message.
func TestTxBatchRawEncodingsHashToTheirTransactions(t *testing.T) {
	txs := testTxs(t, 2)
	key, _ := crypto.ToECDSA(common.LeftPadBytes([]byte{8}, 32))
	to := common.Address{2}
	legacy, err := types.SignNewTx(key, types.NewEIP155Signer(big.NewInt(1337)),
		&types.LegacyTx{Nonce: 3, GasPrice: big.NewInt(1e9), Gas: 21000, To: &to, Value: big.NewInt(5)})
	if err != nil {
		t.Fatal(err)
	}
	txs = append(txs, legacy)
	senders := []common.Address{{1}, {2}, {3}}
	enc, err := EncodeTxBatch(txs, senders)
	if err != nil {
		t.Fatal(err)
	}
	raw, from, err := DecodeTxBatchRaw(enc)
	if err != nil || len(raw) != 3 || len(from) != 3 || from[2] != senders[2] {
		t.Fatalf("raw: %d encodings, senders %v, %v", len(raw), from, err)
	}
	for i, b := range raw {
		if h := crypto.Keccak256Hash(b); h != txs[i].Hash() {
			t.Errorf("tx %d (type %d): encoding hashes to %s, the transaction is %s", i, txs[i].Type(), h, txs[i].Hash())
		}
		tx, err := DecodeBatchTx(b, i)
		if err != nil || tx.Hash() != txs[i].Hash() {
			t.Errorf("tx %d decoded: %v, %v", i, tx, err)
		}
	}
	if _, err := DecodeBatchTx([]byte{2, 0xc0}, 4); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("a malformed transaction: %v", err)
	}
}
