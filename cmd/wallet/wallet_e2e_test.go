package main

import (
	"encoding/json"
	"math/big"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
)

const dead = "0x000000000000000000000000000000000000dEaD"

// The acceptance command, exactly as written: dev account 0 sends 1.5 ETH,
// the wallet prints a successful receipt, and the recipient then holds
// exactly 1.5 ETH; `tx HASH` shows the same receipt.
func TestTransferFromDevAccountPrintsSuccessfulReceipt(t *testing.T) {
	url := startDevnet(t)
	r := runWallet(t, nil, "--rpc", url, "--dev-account", "0", "transfer", "--to", dead, "--amount", "1.5")
	if r.code != 0 {
		t.Fatalf("transfer exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"status     success", "value      1.5 ETH", "from       0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "block", "gas used   21000 of 21000", "fee paid"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("receipt lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("progress written to a non-terminal stderr: %q", r.stderr)
	}
	bal := runWallet(t, nil, "balance", "--rpc", url, dead)
	if bal.code != 0 || bal.stdout != dead+": 1.5 ETH\n" {
		t.Fatalf("recipient balance output %q (exit %d)", bal.stdout, bal.code)
	}

	hash := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])[1]
	tx := runWallet(t, nil, "--rpc", url, "tx", hash)
	if tx.code != 0 || !strings.Contains(tx.stdout, "status     success") || !strings.Contains(tx.stdout, "tx         "+hash) {
		t.Fatalf("tx %s output %q (exit %d)", hash, tx.stdout, tx.code)
	}
	if tx.stdout != r.stdout {
		t.Errorf("tx shows a different receipt than transfer printed:\n%s\nvs\n%s", tx.stdout, r.stdout)
	}
}

// --json prints one object a script can read, with exact wei amounts, and
// flags work after the command too.
func TestTransferJSON(t *testing.T) {
	url := startDevnet(t)
	r := runWallet(t, nil, "transfer", "--to", dead, "--amount", "1500000000000000000wei", "--json", "--rpc", url, "--dev-account", "1")
	if r.code != 0 {
		t.Fatalf("transfer exit %d: %s", r.code, r.stderr)
	}
	var sum wallet.TxSummary
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sum); err != nil {
		t.Fatalf("output is not one TxSummary JSON object: %v\n%s", err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", r.stdout)
	}
	if sum.Status != wallet.StatusSuccess || sum.Value != "1500000000000000000" || sum.Receipt == nil ||
		sum.Receipt.GasUsed != 21000 || sum.Receipt.BlockNumber == 0 || sum.From.Hex() != "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" {
		t.Fatalf("summary %+v", sum)
	}
	fee, err := wallet.ParseEther(sum.Receipt.FeeEth)
	if err != nil || fee.String() != sum.Receipt.Fee || fee.Sign() == 0 {
		t.Fatalf("fee %q ETH vs %q wei: %v", sum.Receipt.FeeEth, sum.Receipt.Fee, err)
	}

	bal := runWallet(t, nil, "--json", "--rpc", url, "--dev-account", "1", "balance")
	var b struct {
		Address         common.Address
		Layer, Wei, Eth string
	}
	if err := json.Unmarshal([]byte(bal.stdout), &b); err != nil {
		t.Fatalf("balance json: %v\n%s", err, bal.stdout)
	}
	// 10,000 ETH - 1.5 ETH - the fee, to the wei.
	want, _ := wallet.ParseEther("9998.5")
	want.Sub(want, fee)
	if b.Wei != want.String() || b.Layer != "l1" || b.Address != sum.From {
		t.Fatalf("balance %+v, want %s wei", b, want)
	}
}

// A fresh keystore account cannot pay: the wallet says exactly why, exits
// non-zero and sends nothing.
func TestTransferInsufficientFundsFromKeystore(t *testing.T) {
	url := startDevnet(t)
	dir := filepath.Join(t.TempDir(), "keystore")
	env := map[string]string{envPassword: "correct horse"}
	created := runWallet(t, env, "--keystore", dir, "--json", "account", "new", "--light-kdf")
	if created.code != 0 {
		t.Fatalf("account new: %s", created.stderr)
	}
	var acct wallet.Account
	if err := json.Unmarshal([]byte(created.stdout), &acct); err != nil {
		t.Fatal(err)
	}
	r := runWallet(t, env, "--keystore", dir, "--rpc", url, "transfer", "--to", dead, "--amount", "1.5")
	if r.code == 0 {
		t.Fatal("transfer from an empty account succeeded")
	}
	// The fee depends on the base fee when the wallet read it, so parse
	// the numbers out of the exact message and check they add up.
	re := regexp.MustCompile(`^wallet: insufficient funds: balance 0 ETH, this transfer needs ([0-9.]+) ETH \(1\.5 ETH \+ at most ([0-9.]+) ETH in fees\): fund ` +
		acct.Address.Hex() + ` or send less\n$`)
	m := re.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("message %q does not match %s", r.stderr, re)
	}
	need, err1 := wallet.ParseEther(m[1])
	fee, err2 := wallet.ParseEther(m[2])
	value, _ := wallet.ParseEther("1.5")
	if err1 != nil || err2 != nil || need.Cmp(new(big.Int).Add(value, fee)) != 0 ||
		new(big.Int).Mod(fee, big.NewInt(21000)).Sign() != 0 || fee.Sign() == 0 {
		t.Fatalf("need %s = 1.5 + fee %s does not hold, or the fee is not 21000 x fee cap", m[1], m[2])
	}
	if r.stdout != "" {
		t.Fatalf("stdout %q", r.stdout)
	}
	n := runWallet(t, env, "--rpc", url, "--json", "tx", "0x"+strings.Repeat("ab", 32))
	if n.code == 0 || !strings.Contains(n.stderr, "transaction not found") {
		t.Fatalf("unknown hash: %+v", n)
	}
	// Nothing was sent: the account's nonce is still 0.
	bal := runWallet(t, env, "--keystore", dir, "--rpc", url, "--json", "balance")
	if bal.code != 0 || !strings.Contains(bal.stdout, `"wei": "0"`) {
		t.Fatalf("balance %q", bal.stdout)
	}
	assertNonce(t, url, acct, 0)
}

// An imported keystore key signs; a wrong password is refused with a
// clear message.
func TestTransferFromImportedKeystoreAccount(t *testing.T) {
	url := startDevnet(t)
	dir := filepath.Join(t.TempDir(), "keystore")
	pwFile := filepath.Join(t.TempDir(), "pw")
	writeFile(t, pwFile, "s3cret\n")
	dev, err := wallet.DevAccount(2)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.hex")
	writeFile(t, keyFile, dev.Address.Hex()) // not a key
	if r := runWallet(t, nil, "--keystore", dir, "--password-file", pwFile, "account", "import", "--key-file", keyFile, "--light-kdf"); r.code == 0 ||
		!strings.Contains(r.stderr, "not a private key") {
		t.Fatalf("imported an address as a key: %+v", r)
	}
	writeFile(t, keyFile, devKeyHex(t, 2)+"\n")
	if r := runWallet(t, nil, "--keystore", dir, "--password-file", pwFile, "account", "import", "--key-file", keyFile, "--light-kdf"); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	list := runWallet(t, nil, "account", "list", "--keystore", dir)
	if list.code != 0 || !strings.HasPrefix(list.stdout, "#0 "+dev.Address.Hex()+" ") {
		t.Fatalf("list %q", list.stdout)
	}
	wrong := runWallet(t, map[string]string{envPassword: "nope"}, "--keystore", dir, "--rpc", url, "transfer", "--to", dead, "--amount", "0.25")
	if wrong.code == 0 || !strings.Contains(wrong.stderr, "could not decrypt key with the given password") {
		t.Fatalf("wrong password: %+v", wrong)
	}
	noPw := runWallet(t, nil, "--keystore", dir, "--rpc", url, "transfer", "--to", dead, "--amount", "0.25")
	if noPw.code == 0 || !strings.Contains(noPw.stderr, "pass --password-file FILE or set BILAYER_PASSWORD") {
		t.Fatalf("no password: %+v", noPw)
	}
	ok := runWallet(t, nil, "--keystore", dir, "--password-file", pwFile, "--rpc", url, "--from", dev.Address.Hex(), "transfer", "--to", dead, "--amount", "0.25")
	if ok.code != 0 || !strings.Contains(ok.stdout, "status     success") {
		t.Fatalf("keystore transfer: %+v", ok)
	}
	bal := runWallet(t, nil, "--rpc", url, "balance", dead)
	if bal.stdout != dead+": 0.25 ETH\n" {
		t.Fatalf("recipient balance %q", bal.stdout)
	}
}
