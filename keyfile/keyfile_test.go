package keyfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestCreateLoadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "keys", "validator.json")
	key, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := Create(path, key, "secret", Light); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", info.Mode(), err)
	}
	got, err := Load(path, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if crypto.PubkeyToAddress(got.PublicKey) != crypto.PubkeyToAddress(key.PublicKey) {
		t.Fatal("loaded a different key")
	}
	if _, err := Load(path, "wrong"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if err := Create(path, key, "other", Light); !errors.Is(err, ErrExists) {
		t.Fatalf("overwrite: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func TestReadPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(path, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pw, err := ReadPassword(path)
	if err != nil || pw != "hunter2" {
		t.Fatalf("password %q, %v", pw, err)
	}
	if _, err := ReadPassword(path + ".missing"); err == nil {
		t.Fatal("missing password file accepted")
	}
}
