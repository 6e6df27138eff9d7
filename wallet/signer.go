package wallet

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrBadDevAccount is returned for a dev account index outside the ones a
// devnet prefunds.
var ErrBadDevAccount = errors.New("no such dev account")

// Signer is a key the wallet signs with, and its address.
type Signer struct {
	Address common.Address
	Key     *ecdsa.PrivateKey
	// Source says where the key came from, for messages: "dev account 0"
	// or a keystore file path.
	Source string
}

// NewSigner returns the signer of key.
func NewSigner(key *ecdsa.PrivateKey, source string) Signer {
	return Signer{Address: crypto.PubkeyToAddress(key.PublicKey), Key: key, Source: source}
}

// DevAccount returns the signer of the devnet's i-th well-known test
// account (mnemonic "test test ... junk"; account 0 is
// 0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266).
func DevAccount(i int) (Signer, error) {
	if i < 0 || i >= devkeys.Count {
		return Signer{}, fmt.Errorf("%w: %d: the devnet funds dev accounts 0 to %d", ErrBadDevAccount, i, devkeys.Count-1)
	}
	a, err := devkeys.Get(i)
	if err != nil {
		return Signer{}, fmt.Errorf("dev account %d: %w", i, err)
	}
	return Signer{Address: a.Address, Key: a.Key, Source: fmt.Sprintf("dev account %d", i)}, nil
}
