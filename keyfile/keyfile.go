package keyfile

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

// ErrExists is returned by Create when the file is already there: keys are
// never overwritten.
var ErrExists = errors.New("key file already exists")

// ErrWrongPassword is returned by Load when the password does not decrypt
// the file.
var ErrWrongPassword = errors.New("could not decrypt key with the given password")

// KDF strength. Light is for devnets and tests: it decrypts in milliseconds
// instead of about a second and 256 MiB of memory.
type KDF int

// KDF settings.
const (
	Standard KDF = iota
	Light
)

func (k KDF) params() (n, p int) {
	if k == Light {
		return keystore.LightScryptN, keystore.LightScryptP
	}
	return keystore.StandardScryptN, keystore.StandardScryptP
}

// Generate returns a new random secp256k1 key.
func Generate() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(crypto.S256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return key, nil
}

// Create encrypts key with password and writes it to path (mode 0600,
// written to a temporary file, synced, then renamed), refusing to replace
// an existing file.
func Create(path string, key *ecdsa.PrivateKey, password string, kdf KDF) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrExists, path)
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return fmt.Errorf("key id: %w", err)
	}
	n, p := kdf.params()
	data, err := keystore.EncryptKey(&keystore.Key{Id: id, Address: crypto.PubkeyToAddress(key.PublicKey), PrivateKey: key}, password, n, p)
	if err != nil {
		return fmt.Errorf("encrypt key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create key dir: %w", err)
	}
	return writeAtomic(path, data)
}

func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync key %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("install key %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// Load reads and decrypts the key file at path.
func Load(path, password string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	key, err := keystore.DecryptKey(data, password)
	if errors.Is(err, keystore.ErrDecrypt) {
		return nil, fmt.Errorf("%s: %w", path, ErrWrongPassword)
	}
	if err != nil {
		return nil, fmt.Errorf("decrypt key %s: %w", path, err)
	}
	return key.PrivateKey, nil
}

// ReadPassword reads a password from a file, without its trailing newline.
func ReadPassword(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	return strings.TrimRight(string(data), "\r\n"), nil
}
