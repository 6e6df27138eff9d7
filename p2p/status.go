package p2p

import (
	"fmt"

	"github.com/ethereum/go-ethereum/rlp"
)

// Status is what two peers exchange on connect: which chain they follow and
// how far they are.
type Status struct {
	// ChainID is the chain id from the genesis.
	ChainID uint64
	// GenesisHash is the hash of the genesis block.
	GenesisHash [32]byte
	// Head is the height of the last committed block.
	Head uint64
	// HeadHash is the hash of the block at Head.
	HeadHash [32]byte
}

// EncodeStatus encodes s with RLP (deterministic: one encoding per value).
func EncodeStatus(s Status) ([]byte, error) {
	b, err := rlp.EncodeToBytes(&s)
	if err != nil {
		return nil, fmt.Errorf("encode status: %w", err)
	}
	return b, nil
}

// DecodeStatus decodes an RLP status, refusing trailing bytes and
// non-canonical encodings.
func DecodeStatus(b []byte) (Status, error) {
	var s Status
	if err := rlp.DecodeBytes(b, &s); err != nil {
		return Status{}, fmt.Errorf("decode status: %w", err)
	}
	return s, nil
}

// CheckCompatible returns an error wrapping ErrStatusMismatch when remote
// follows another chain than local (chain id or genesis hash differ). Heads
// may differ: that is what sync is for.
func CheckCompatible(local, remote Status) error {
	if local.ChainID != remote.ChainID {
		return fmt.Errorf("%w: chain id %d, ours %d", ErrStatusMismatch, remote.ChainID, local.ChainID)
	}
	if local.GenesisHash != remote.GenesisHash {
		return fmt.Errorf("%w: genesis %x, ours %x", ErrStatusMismatch, remote.GenesisHash[:8], local.GenesisHash[:8])
	}
	return nil
}
