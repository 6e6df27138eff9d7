package devkeys

import (
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Mnemonic is the well-known development mnemonic.
const Mnemonic = "test test test test test test test test test test test junk"

// Count is the number of development accounts devnets prefund.
const Count = 10

// hardened marks a hardened BIP-32 index.
const hardened = 1 << 31

// ErrInvalidKey is returned in the (astronomically unlikely) case that a
// derivation step yields an invalid private key; BIP-32 says to skip the
// index, which no caller here wants silently.
var ErrInvalidKey = errors.New("derived key is invalid")

// Account is a development account: its key and address.
type Account struct {
	Index   int
	Key     *ecdsa.PrivateKey
	Address common.Address
}

// PrivateKeyHex returns the account's private key as 0x-prefixed hex.
func (a Account) PrivateKeyHex() string {
	return fmt.Sprintf("%#x", crypto.FromECDSA(a.Key))
}

// Accounts returns the first n development accounts of Mnemonic.
func Accounts(n int) ([]Account, error) {
	return FromMnemonic(Mnemonic, "", n)
}

// Get returns development account i of Mnemonic.
func Get(i int) (Account, error) {
	if i < 0 || i >= hardened {
		return Account{}, fmt.Errorf("dev account index %d is out of range", i)
	}
	seed := Seed(Mnemonic, "")
	return derive(seed, i)
}

// FromMnemonic returns accounts m/44'/60'/0'/0/0 through .../n-1 of a
// mnemonic and passphrase. The mnemonic's words are not checked against the
// BIP-39 word list.
func FromMnemonic(mnemonic, passphrase string, n int) ([]Account, error) {
	seed := Seed(mnemonic, passphrase)
	accounts := make([]Account, 0, n)
	for i := range n {
		a, err := derive(seed, i)
		if err != nil {
			return nil, err
		}
		accounts = append(accounts, a)
	}
	return accounts, nil
}

// Seed is the BIP-39 seed of a mnemonic and passphrase.
func Seed(mnemonic, passphrase string) []byte {
	words := strings.Join(strings.Fields(mnemonic), " ")
	seed, err := pbkdf2.Key(sha512.New, words, []byte("mnemonic"+passphrase), 2048, 64)
	if err != nil {
		// Only a FIPS-140 mode restriction on short secrets can fail here.
		panic(fmt.Sprintf("devkeys: pbkdf2: %v", err))
	}
	return seed
}

func derive(seed []byte, index int) (Account, error) {
	key, chain := master(seed)
	path := []uint32{44 + hardened, 60 + hardened, 0 + hardened, 0, uint32(index)}
	for _, i := range path {
		var err error
		if key, chain, err = child(key, chain, i); err != nil {
			return Account{}, fmt.Errorf("derive dev account %d: %w", index, err)
		}
	}
	priv, err := crypto.ToECDSA(key)
	if err != nil {
		return Account{}, fmt.Errorf("derive dev account %d: %w", index, err)
	}
	return Account{Index: index, Key: priv, Address: crypto.PubkeyToAddress(priv.PublicKey)}, nil
}

func master(seed []byte) (key, chain []byte) {
	mac := hmac.New(sha512.New, []byte("Bitcoin seed"))
	mac.Write(seed)
	sum := mac.Sum(nil)
	return sum[:32], sum[32:]
}

// child derives the private child key i of (key, chain) per BIP-32.
func child(key, chain []byte, i uint32) ([]byte, []byte, error) {
	mac := hmac.New(sha512.New, chain)
	if i >= hardened {
		mac.Write([]byte{0})
		mac.Write(key)
	} else {
		priv, err := crypto.ToECDSA(key)
		if err != nil {
			return nil, nil, err
		}
		mac.Write(crypto.CompressPubkey(&priv.PublicKey))
	}
	var idx [4]byte
	binary.BigEndian.PutUint32(idx[:], i)
	mac.Write(idx[:])
	sum := mac.Sum(nil)
	n := crypto.S256().Params().N
	il := new(big.Int).SetBytes(sum[:32])
	if il.Cmp(n) >= 0 {
		return nil, nil, ErrInvalidKey
	}
	k := il.Add(il, new(big.Int).SetBytes(key))
	k.Mod(k, n)
	if k.Sign() == 0 {
		return nil, nil, ErrInvalidKey
	}
	return common.LeftPadBytes(k.Bytes(), 32), sum[32:], nil
}
