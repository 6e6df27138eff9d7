package wallet

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bilayer/bilayer/keyfile"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrNoAccount is returned when the keystore has no account to sign with,
// or not the one asked for.
var ErrNoAccount = errors.New("no account to sign with")

// ErrAccountExists is returned when importing a key the keystore already
// holds.
var ErrAccountExists = errors.New("account is already in the keystore")

// ErrBadPrivateKey is returned for text that is not a secp256k1 private key.
var ErrBadPrivateKey = errors.New("not a private key")

// Keystore is a directory of Web3 Secret Storage key files, one per
// account, readable by go-ethereum and other Ethereum wallets.
type Keystore struct {
	// Dir is the keystore directory; it is created on the first write.
	Dir string
	// KDF is the scrypt strength of new key files: keyfile.Standard, or
	// keyfile.Light for devnets and tests.
	KDF keyfile.KDF
}

// Account is a keystore entry.
type Account struct {
	Address common.Address `json:"address"`
	Path    string         `json:"path"`
}

// path is where the key file of addr lives.
func (ks Keystore) path(addr common.Address) string {
	return filepath.Join(ks.Dir, "key-"+strings.ToLower(addr.Hex()[2:])+".json")
}

// New creates an account with a random key, encrypted with password.
func (ks Keystore) New(password string) (Account, error) {
	key, err := keyfile.Generate()
	if err != nil {
		return Account{}, fmt.Errorf("new account: %w", err)
	}
	return ks.Import(key, password)
}

// Import stores key encrypted with password. It refuses a key that is
// already there (ErrAccountExists).
func (ks Keystore) Import(key *ecdsa.PrivateKey, password string) (Account, error) {
	addr := crypto.PubkeyToAddress(key.PublicKey)
	if _, err := ks.Find(addr); err == nil {
		return Account{}, fmt.Errorf("import %s: %w (%s)", addr, ErrAccountExists, ks.Dir)
	}
	a := Account{Address: addr, Path: ks.path(addr)}
	if err := keyfile.Create(a.Path, key, password, ks.KDF); err != nil {
		if errors.Is(err, keyfile.ErrExists) {
			return Account{}, fmt.Errorf("import %s: %w (%s)", addr, ErrAccountExists, a.Path)
		}
		return Account{}, fmt.Errorf("import %s: %w", addr, err)
	}
	return a, nil
}

// List returns the keystore's accounts sorted by file name. A missing
// directory is an empty keystore. Files that are not key files (no
// "address" field) are skipped.
func (ks Keystore) List() ([]Account, error) {
	entries, err := os.ReadDir(ks.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list keystore: %w", err)
	}
	var accounts []Account
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		path := filepath.Join(ks.Dir, e.Name())
		addr, ok, err := keyFileAddress(path)
		if err != nil {
			return nil, err
		}
		if ok {
			accounts = append(accounts, Account{Address: addr, Path: path})
		}
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].Path < accounts[j].Path })
	return accounts, nil
}

// keyFileAddress reads the plaintext address of a key file; ok is false for
// a file that is not one.
func keyFileAddress(path string) (common.Address, bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return common.Address{}, false, fmt.Errorf("read key file: %w", err)
	}
	var head struct {
		Address string `json:"address"`
	}
	if json.Unmarshal(data, &head) != nil || !common.IsHexAddress(head.Address) {
		return common.Address{}, false, nil
	}
	return common.HexToAddress(head.Address), true, nil
}

// Find returns the account with address addr, or ErrNoAccount.
func (ks Keystore) Find(addr common.Address) (Account, error) {
	accounts, err := ks.List()
	if err != nil {
		return Account{}, err
	}
	for _, a := range accounts {
		if a.Address == addr {
			return a, nil
		}
	}
	return Account{}, fmt.Errorf("%w: %s is not in %s (see `wallet account list`)", ErrNoAccount, addr, ks.Dir)
}

// Default returns the first account (by file name), or ErrNoAccount for an
// empty keystore.
func (ks Keystore) Default() (Account, error) {
	accounts, err := ks.List()
	if err != nil {
		return Account{}, err
	}
	if len(accounts) == 0 {
		return Account{}, fmt.Errorf("%w: keystore %s is empty: create an account with `wallet account new`, import one with `wallet account import`, or sign with --dev-account N on a devnet", ErrNoAccount, ks.Dir)
	}
	return accounts[0], nil
}

// Load decrypts the key of account a. A wrong password gives an error
// wrapping keyfile.ErrWrongPassword.
func (ks Keystore) Load(a Account, password string) (*ecdsa.PrivateKey, error) {
	key, err := keyfile.Load(a.Path, password)
	if err != nil {
		return nil, fmt.Errorf("unlock %s: %w", a.Address, err)
	}
	if got := crypto.PubkeyToAddress(key.PublicKey); got != a.Address {
		return nil, fmt.Errorf("unlock %s: key file %s holds the key of %s", a.Address, a.Path, got)
	}
	return key, nil
}

// ParsePrivateKey parses a hex private key (64 hex digits, optional 0x,
// surrounding white space ignored).
func ParsePrivateKey(s string) (*ecdsa.PrivateKey, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s) != 64 {
		return nil, fmt.Errorf("%w: want 64 hex digits, got %d characters", ErrBadPrivateKey, len(s))
	}
	key, err := crypto.HexToECDSA(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPrivateKey, err)
	}
	return key, nil
}
