package syscontract

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Slot returns storage slot n (Solidity's layout for the n-th state variable).
func Slot(n uint64) common.Hash {
	var h common.Hash
	binary.BigEndian.PutUint64(h[24:], n)
	return h
}

// MappingSlot returns the slot of mapping[key] for a mapping declared at
// slot: keccak256(key . slot), with key left-padded to 32 bytes, exactly as
// Solidity lays out mappings with value-type keys.
func MappingSlot(key common.Hash, slot common.Hash) common.Hash {
	return crypto.Keccak256Hash(key[:], slot[:])
}

// AddressKey is the mapping key of an address (left-padded to 32 bytes).
func AddressKey(a common.Address) common.Hash { return common.BytesToHash(a.Bytes()) }

// Uint64Key is the mapping key of an unsigned integer.
func Uint64Key(n uint64) common.Hash { return Slot(n) }
