package block

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// Validator is one member of a validator set as headers commit to it: its
// address and its voting power.
type Validator struct {
	Address common.Address
	Power   uint64
}

// ValidatorSetHash is the commitment to a validator set that headers carry
// in Extras: keccak256 of the RLP list of (address, power) pairs in the
// order given. Callers pass the set in its canonical order (sorted by
// address), so equal sets hash equally.
func ValidatorSetHash(vals []Validator) common.Hash {
	enc, err := rlp.EncodeToBytes(vals)
	if err != nil {
		// Addresses and integers always encode.
		panic(fmt.Sprintf("block: encode validator set: %v", err))
	}
	return crypto.Keccak256Hash(enc)
}
