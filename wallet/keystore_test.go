package wallet

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/bilayer/bilayer/keyfile"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

func TestKeystoreNewImportListLoad(t *testing.T) {
	ks := Keystore{Dir: filepath.Join(t.TempDir(), "keystore"), KDF: keyfile.Light}
	if got, err := ks.List(); err != nil || len(got) != 0 {
		t.Fatalf("missing dir: %v, %v; want an empty keystore", got, err)
	}
	if _, err := ks.Default(); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("empty keystore default: %v", err)
	}
	created, err := ks.New("pw1")
	if err != nil {
		t.Fatal(err)
	}
	dev, err := DevAccount(3)
	if err != nil {
		t.Fatal(err)
	}
	imported, err := ks.Import(dev.Key, "pw2")
	if err != nil {
		t.Fatal(err)
	}
	if imported.Address != dev.Address {
		t.Fatalf("imported %s, want %s", imported.Address, dev.Address)
	}
	if _, err := ks.Import(dev.Key, "pw3"); !errors.Is(err, ErrAccountExists) {
		t.Fatalf("second import: %v", err)
	}
	// A stray non-key file is not an account.
	if err := os.WriteFile(filepath.Join(ks.Dir, "notes.txt"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	list, err := ks.List()
	if err != nil || len(list) != 2 {
		t.Fatalf("list = %v, %v; want 2 accounts", list, err)
	}
	found := map[common.Address]bool{}
	for _, a := range list {
		found[a.Address] = true
	}
	if !found[created.Address] || !found[dev.Address] {
		t.Fatalf("list %v misses %s or %s", list, created.Address, dev.Address)
	}
	key, err := ks.Load(imported, "pw2")
	if err != nil || crypto.PubkeyToAddress(key.PublicKey) != dev.Address {
		t.Fatalf("load: %v", err)
	}
	if _, err := ks.Load(imported, "wrong"); !errors.Is(err, keyfile.ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := ks.Load(created, "pw1"); err != nil {
		t.Fatalf("load created: %v", err)
	}
	if a, err := ks.Find(dev.Address); err != nil || a != imported {
		t.Fatalf("find = %v, %v", a, err)
	}
	if _, err := ks.Find(common.HexToAddress("0xdead")); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("find missing: %v", err)
	}
	def, err := ks.Default()
	if err != nil || def != list[0] {
		t.Fatalf("default = %v, %v; want %v", def, err, list[0])
	}
}

func TestParsePrivateKey(t *testing.T) {
	dev, err := DevAccount(0)
	if err != nil {
		t.Fatal(err)
	}
	hex := common.Bytes2Hex(crypto.FromECDSA(dev.Key))
	for _, in := range []string{hex, "0x" + hex, "  0x" + hex + "\n"} {
		key, err := ParsePrivateKey(in)
		if err != nil || crypto.PubkeyToAddress(key.PublicKey) != dev.Address {
			t.Errorf("ParsePrivateKey(%q): %v", in, err)
		}
	}
	for _, in := range []string{"", "0x1234", hex[:62] + "zz", "00" + hex[2:] + "00"} {
		if _, err := ParsePrivateKey(in); !errors.Is(err, ErrBadPrivateKey) {
			t.Errorf("ParsePrivateKey(%q) = %v, want ErrBadPrivateKey", in, err)
		}
	}
}

func TestDevAccount(t *testing.T) {
	a0, err := DevAccount(0)
	if err != nil {
		t.Fatal(err)
	}
	if want := common.HexToAddress("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"); a0.Address != want {
		t.Fatalf("dev account 0 = %s, want %s", a0.Address, want)
	}
	if crypto.PubkeyToAddress(a0.Key.PublicKey) != a0.Address {
		t.Fatal("dev account 0 key does not match its address")
	}
	a1, err := DevAccount(1)
	if err != nil || a1.Address != common.HexToAddress("0x70997970C51812dc3A010C7d01b50e0d17dc79C8") {
		t.Fatalf("dev account 1 = %s, %v", a1.Address, err)
	}
	for _, i := range []int{-1, 10, 1 << 40} {
		if _, err := DevAccount(i); !errors.Is(err, ErrBadDevAccount) {
			t.Errorf("DevAccount(%d) = %v, want ErrBadDevAccount", i, err)
		}
	}
}
