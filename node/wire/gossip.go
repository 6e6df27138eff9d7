package wire

import (
	"crypto/sha256"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"
)

// MessageID is the gossip identity of a consensus-topic message: the
// SHA-256 of its kind and payload, without the envelope's nonce, which
// nobody signs. Two envelopes around the same signed message are therefore
// one message to gossip: a peer that re-wraps a vote or proposal with fresh
// nonces sends duplicates, which the network drops before validating or
// relaying them. Data that is not an envelope is identified by the SHA-256
// of all of it (its validator rejects it anyway).
func MessageID(data []byte) [32]byte {
	kind, payload, ok := splitEnvelope(data)
	if !ok {
		return sha256.Sum256(data)
	}
	h := sha256.New()
	h.Write([]byte{'e', kind})
	h.Write(payload)
	var id [32]byte
	h.Sum(id[:0])
	return id
}

// splitEnvelope returns an envelope's kind and payload without copying or
// checking the kind.
func splitEnvelope(data []byte) (kind byte, payload []byte, ok bool) {
	content, rest, err := rlp.SplitList(data)
	if err != nil || len(rest) != 0 {
		return 0, nil, false
	}
	k, content, err := rlp.SplitUint64(content)
	if err != nil || k > 0xff {
		return 0, nil, false
	}
	if _, content, err = rlp.SplitUint64(content); err != nil { // the nonce
		return 0, nil, false
	}
	payload, content, err = rlp.SplitString(content)
	if err != nil || len(content) != 0 {
		return 0, nil, false
	}
	return byte(k), payload, true
}

// MaxTxBatchCount bounds the transactions of one transaction-topic message.
const MaxTxBatchCount = 4000

// EncodeTxBatch encodes transactions for the transaction topic with the
// sender the gossiper recovered for each: the RLP list of the list of
// their binary (EIP-2718) encodings and the list of the senders. A sender
// is a hint, not a proof: a receiver may refuse a transaction on what the
// pool knows of its claimed sender (a nonce already used, a gap in a pool
// too full for one) before paying for a recovery, and checks the claim
// against the signature when it does recover.
func EncodeTxBatch(txs []*types.Transaction, senders []common.Address) ([]byte, error) {
	if len(senders) != len(txs) {
		return nil, fmt.Errorf("encode tx batch: %d senders for %d transactions", len(senders), len(txs))
	}
	raw := make([][]byte, len(txs))
	for i, tx := range txs {
		b, err := tx.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("encode tx %s: %w", tx.Hash(), err)
		}
		raw[i] = b
	}
	return rlp.EncodeToBytes(txBatch{Txs: raw, Senders: senders})
}

type txBatch struct {
	Txs     [][]byte
	Senders []common.Address
}

// DecodeTxBatch decodes a transaction-topic message of at most
// MaxTxBatchCount transactions and their claimed senders (one each). It
// does not check signatures.
func DecodeTxBatch(data []byte) ([]*types.Transaction, []common.Address, error) {
	raw, senders, err := DecodeTxBatchRaw(data)
	if err != nil {
		return nil, nil, err
	}
	txs := make([]*types.Transaction, len(raw))
	for i, b := range raw {
		if txs[i], err = DecodeBatchTx(b, i); err != nil {
			return nil, nil, err
		}
	}
	return txs, senders, nil
}

// DecodeTxBatchRaw splits a transaction-topic message of at most
// MaxTxBatchCount transactions into their binary encodings, not decoded,
// and their claimed senders (one each). The Keccak-256 hash of an encoding
// is its transaction's hash when the encoding is the canonical one (as
// EncodeTxBatch writes it), so a receiver can tell a transaction it
// already holds before paying to decode it (issue 17: under overload most
// of a validator's gossip is copies of what it pooled); a non-canonical
// encoding hashes to nothing it holds and is decoded (DecodeBatchTx).
func DecodeTxBatchRaw(data []byte) ([][]byte, []common.Address, error) {
	content, rest, err := rlp.SplitList(data)
	if err != nil || len(rest) != 0 {
		return nil, nil, fmt.Errorf("%w: tx batch is not one list", ErrBadMessage)
	}
	txList, _, err := rlp.SplitList(content)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: tx batch: %v", ErrBadMessage, err)
	}
	if n, err := rlp.CountValues(txList); err != nil {
		return nil, nil, fmt.Errorf("%w: tx batch: %v", ErrBadMessage, err)
	} else if n > MaxTxBatchCount {
		return nil, nil, fmt.Errorf("%w: tx batch of %d transactions, limit %d", ErrTooLarge, n, MaxTxBatchCount)
	}
	var batch txBatch
	if err := rlp.DecodeBytes(data, &batch); err != nil {
		return nil, nil, fmt.Errorf("%w: tx batch: %v", ErrBadMessage, err)
	}
	if len(batch.Senders) != len(batch.Txs) {
		return nil, nil, fmt.Errorf("%w: tx batch names %d senders for %d transactions", ErrBadMessage, len(batch.Senders), len(batch.Txs))
	}
	return batch.Txs, batch.Senders, nil
}

// DecodeBatchTx decodes the binary encoding of a batch's i-th transaction
// (DecodeTxBatchRaw).
func DecodeBatchTx(b []byte, i int) (*types.Transaction, error) {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(b); err != nil {
		return nil, fmt.Errorf("%w: tx %d of batch: %v", ErrBadMessage, i, err)
	}
	return tx, nil
}
