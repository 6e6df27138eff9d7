package libp2p

import (
	"crypto/ecdsa"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/p2p"
)

// NodeID returns the peer id of the node key in path, creating the key
// (mode 0600) if the file does not exist. The devnet uses it to write
// bootnode addresses before starting nodes.
func NodeID(path string) (p2p.PeerID, error) {
	k, err := loadOrCreateKey(path)
	if err != nil {
		return "", err
	}
	id, err := peer.IDFromPrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("peer id of %s: %w", path, err)
	}
	return p2p.PeerID(id.String()), nil
}

// nodeKey returns the configured node key: PrivateKey if set, else the key
// in KeyFile.
func nodeKey(cfg Config) (crypto.PrivKey, error) {
	if cfg.PrivateKey != nil {
		return secp256k1Key(cfg.PrivateKey)
	}
	return loadOrCreateKey(cfg.KeyFile)
}

func secp256k1Key(k *ecdsa.PrivateKey) (crypto.PrivKey, error) {
	pk, err := crypto.UnmarshalSecp256k1PrivateKey(gethcrypto.FromECDSA(k))
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	return pk, nil
}

// PeerIDOf returns the peer id a host with the secp256k1 node key k has.
func PeerIDOf(k *ecdsa.PrivateKey) (p2p.PeerID, error) {
	pk, err := secp256k1Key(k)
	if err != nil {
		return "", err
	}
	id, err := peer.IDFromPrivateKey(pk)
	if err != nil {
		return "", fmt.Errorf("peer id: %w", err)
	}
	return p2p.PeerID(id.String()), nil
}

// loadOrCreateKey reads the ed25519 node key from path (libp2p's protobuf
// encoding), or generates one and writes it atomically with mode 0600.
func loadOrCreateKey(path string) (crypto.PrivKey, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, err := crypto.UnmarshalPrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("node key %s: %w", path, err)
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read node key: %w", err)
	}
	k, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate node key: %w", err)
	}
	b, err = crypto.MarshalPrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("encode node key: %w", err)
	}
	if err := writeFileAtomic(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write node key: %w", err)
	}
	return k, nil
}

// writeFileAtomic writes data to a temporary file in path's directory,
// syncs it and renames it over path.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".nodekey-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
