package main

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func devKeyHex(t *testing.T, i int) string {
	t.Helper()
	a, err := devkeys.Get(i)
	if err != nil {
		t.Fatal(err)
	}
	return a.PrivateKeyHex()
}

func assertNonce(t *testing.T, url string, a wallet.Account, want uint64) {
	t.Helper()
	c, err := ethclient.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, err := c.PendingNonceAt(context.Background(), a.Address)
	if err != nil || n != want {
		t.Fatalf("nonce of %s = %d, %v; want %d", a.Address, n, err, want)
	}
}

// closedPortURL returns the URL of a loopback port nothing listens on.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestUnreachableNodeSaysWhatToDo(t *testing.T) {
	url := closedPortURL(t)
	for _, args := range [][]string{
		{"--rpc", url, "balance", dead},
		{"--rpc", url, "--dev-account", "0", "transfer", "--to", dead, "--amount", "1"},
		{"--rpc", url, "tx", "0x" + strings.Repeat("00", 32)},
		{"--layer", "l2", "--l2-rpc", url, "balance", dead},
	} {
		r := runWallet(t, nil, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "cannot reach the node at "+url+": is the") ||
			!strings.Contains(r.stderr, "running?") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	r := runWallet(t, nil, "--rpc", url, "balance", dead)
	if !strings.Contains(r.stderr, "is the devnet running? (make devnet)") {
		t.Errorf("L1 hint missing: %q", r.stderr)
	}
}

func TestHelpExplainsEveryFlag(t *testing.T) {
	global := []string{"--rpc", "--l2-rpc", "--layer", "--keystore", "--password-file", "--dev-account", "--from", "--json", "--timeout",
		"BILAYER_RPC", "BILAYER_L2_RPC", "BILAYER_KEYSTORE", "BILAYER_PASSWORD"}
	cases := map[string][]string{
		"--help":                append([]string{"account", "balance", "transfer", "tx", "deposit", "deposit-status"}, global...),
		"deposit --help":        append([]string{"--amount", "--to", "--no-wait", "rollup_depositStatus", "2m0s"}, global...),
		"deposit-status --help": append([]string{"L1-BLOCK INDEX"}, global...),
		"transfer --help":       append([]string{"--to", "--amount", "1.5", "wei"}, global...),
		"balance --help":        global,
		"tx --help":             global,
		"account new --help":    append([]string{"--light-kdf"}, global...),
		"account import --help": append([]string{"--light-kdf", "--key-file"}, global...),
		"account list --help":   global,
		"account --help":        {"new", "import", "list"},
	}
	for args, wants := range cases {
		r := runWallet(t, nil, strings.Fields(args)...)
		if r.code != 0 {
			t.Errorf("wallet %s: exit %d", args, r.code)
		}
		for _, w := range wants {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("wallet %s does not mention %s", args, w)
			}
		}
	}
}

// Flag errors say what to do, before anything touches the network.
func TestBadInputIsExplained(t *testing.T) {
	url := closedPortURL(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--rpc", url, "--dev-account", "10", "balance"}, "the devnet funds dev accounts 0 to 9"},
		{[]string{"--rpc", url, "--dev-account", "0", "transfer", "--to", "0x1234", "--amount", "1"}, "--to \"0x1234\" is not an address"},
		{[]string{"--rpc", url, "--dev-account", "0", "transfer", "--to", dead, "--amount", "1.5 bananas"}, "unknown unit"},
		{[]string{"--rpc", url, "--dev-account", "0", "--from", dead, "balance"}, "use one"},
		{[]string{"--rpc", url, "--layer", "l3", "balance", dead}, "use l1 or l2"},
		{[]string{"--rpc", url, "tx", "0x1234"}, "not a transaction hash"},
		{[]string{"balance", dead, "--rpc", url}, "flags such as --rpc go before the arguments"},
		{[]string{"--keystore", t.TempDir(), "balance"}, "keystore "},
	}
	for _, c := range cases {
		r := runWallet(t, nil, c.args...)
		if r.code == 0 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want it to say %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// Global flags given after the command win over the same flag given
// before it, and both work.
func TestGlobalFlagsBeforeOrAfterCommand(t *testing.T) {
	dir := t.TempDir()
	key, err := crypto.HexToECDSA(strings.TrimPrefix(devKeyHex(t, 4), "0x"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{envPassword: "pw"}
	if r := runWallet(t, env, "account", "import", "--keystore", dir, "--light-kdf", devKeyHex(t, 4)); r.code != 0 {
		t.Fatalf("import: %s", r.stderr)
	}
	want := crypto.PubkeyToAddress(key.PublicKey).Hex()
	for _, args := range [][]string{
		{"--keystore", dir, "account", "list"},
		{"account", "list", "--keystore", dir},
		{"--keystore", t.TempDir(), "account", "list", "--keystore", dir},
	} {
		r := runWallet(t, nil, args...)
		if !strings.Contains(r.stdout, want) {
			t.Errorf("%v: %q lacks %s", args, r.stdout, want)
		}
	}
}
