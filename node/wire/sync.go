package wire

import (
	"fmt"

	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/rlp"
)

// MaxSyncBatch is the most blocks one block-range response carries.
const MaxSyncBatch = 32

// BlockRangeRequest asks a peer for Count consecutive committed blocks from
// height From (at least 1) with their commit certificates, or, with
// CommitOnly, for the certificate of block From alone: the proof that a
// peer's claimed head is real.
type BlockRangeRequest struct {
	From       uint64
	Count      uint64
	CommitOnly bool `rlp:"optional"`
}

// SyncedBlock is one item of a block-range response: an encoded block and
// its RLP-encoded commit certificate (Block is empty in a CommitOnly
// answer).
type SyncedBlock struct {
	Block  []byte
	Commit []byte
}

// SyncProtocol is the block-range protocol of a chain whose blocks are at
// most maxBlockSize bytes: a response holds at least one whole block with
// its certificate.
func SyncProtocol(chainID uint64, maxBlockSize int) p2p.Protocol {
	return p2p.BlockRangeProtocol(chainID, 2*maxBlockSize+p2p.EnvelopeOverhead)
}

// EncodeBlockRangeRequest encodes a block-range request.
func EncodeBlockRangeRequest(r BlockRangeRequest) ([]byte, error) {
	return rlp.EncodeToBytes(&r)
}

// DecodeBlockRangeRequest decodes a block-range request; From must be at
// least 1.
func DecodeBlockRangeRequest(data []byte) (BlockRangeRequest, error) {
	var r BlockRangeRequest
	if err := rlp.DecodeBytes(data, &r); err != nil {
		return BlockRangeRequest{}, fmt.Errorf("%w: block range request: %v", ErrBadMessage, err)
	}
	if r.From == 0 {
		return BlockRangeRequest{}, fmt.Errorf("%w: block range request: blocks start at 1", ErrBadMessage)
	}
	return r, nil
}

// EncodeBlockRange encodes a block-range response.
func EncodeBlockRange(items []SyncedBlock) ([]byte, error) {
	if items == nil {
		items = []SyncedBlock{}
	}
	return rlp.EncodeToBytes(items)
}

// DecodeBlockRange decodes a block-range response of at most MaxSyncBatch
// items. It decodes neither the blocks nor the certificates.
func DecodeBlockRange(data []byte) ([]SyncedBlock, error) {
	content, rest, err := rlp.SplitList(data)
	if err != nil || len(rest) != 0 {
		return nil, fmt.Errorf("%w: block range response is not one list", ErrBadMessage)
	}
	if n, err := rlp.CountValues(content); err != nil {
		return nil, fmt.Errorf("%w: block range response: %v", ErrBadMessage, err)
	} else if n > MaxSyncBatch {
		return nil, fmt.Errorf("%w: block range response of %d items, limit %d", ErrTooLarge, n, MaxSyncBatch)
	}
	var items []SyncedBlock
	if err := rlp.DecodeBytes(data, &items); err != nil {
		return nil, fmt.Errorf("%w: block range response: %v", ErrBadMessage, err)
	}
	return items, nil
}
