package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/bilayer/bilayer/keyfile"
	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// env is what every command action needs from the process.
type env struct {
	io     stdio
	getenv func(string) string
}

// dial connects to the RPC of the layer --layer selects.
func (e *env) dial(c *cli.Context) (*wallet.Client, error) {
	layer := strings.ToLower(at(c, flagLayer).String(flagLayer))
	switch layer {
	case "l1":
		return e.dialL1(c)
	case "l2":
		url := at(c, flagL2RPC).String(flagL2RPC)
		if !given(c, flagL2RPC) && e.rpcOnCommandLine(c) {
			url = at(c, flagRPC).String(flagRPC) // --rpc names the node of the layer chosen
		}
		return wallet.Dial(c.Context, url, hintL2)
	default:
		return nil, fmt.Errorf("--layer %q: use l1 or l2", layer)
	}
}

// What to check when a layer's node does not answer.
const (
	hintL1 = "is the devnet running? (make devnet)"
	hintL2 = "is the L2 sequencer running? (make devnet starts it)"
)

// dialL1 connects to the L1 RPC (--rpc).
func (e *env) dialL1(c *cli.Context) (*wallet.Client, error) {
	return wallet.Dial(c.Context, at(c, flagRPC).String(flagRPC), hintL1)
}

// dialL2 connects to the L2 RPC (--l2-rpc), whatever --layer says.
func (e *env) dialL2(c *cli.Context, hint string) (*wallet.Client, error) {
	return wallet.Dial(c.Context, at(c, flagL2RPC).String(flagL2RPC), hint)
}

// rpcOnCommandLine reports whether --rpc was given on the command line
// (not only through $BILAYER_RPC, which names the L1 node for every
// command).
func (e *env) rpcOnCommandLine(c *cli.Context) bool {
	lineage := c.Lineage()
	for i, x := range lineage {
		if x.App == nil || !slices.Contains(x.LocalFlagNames(), flagRPC) {
			continue
		}
		if i+1 < len(lineage) && lineage[i+1].App != nil {
			return true // a command's copy of the flag: it has no env var
		}
		if env := e.getenv(envRPC); env == "" || env != x.String(flagRPC) {
			return true
		}
	}
	return false
}

// keystore is the keystore --keystore names, with the KDF --light-kdf
// picks for new keys.
func (e *env) keystore(c *cli.Context) wallet.Keystore {
	ks := wallet.Keystore{Dir: at(c, flagKeystore).String(flagKeystore), KDF: keyfile.Standard}
	if c.Bool("light-kdf") {
		ks.KDF = keyfile.Light
	}
	return ks
}

// account is the signing account: its address, and how to unlock its key
// (which may need a password).
type account struct {
	address common.Address
	unlock  func() (wallet.Signer, error)
}

// signingAccount picks the account from --dev-account, --from or the
// keystore's first account.
func (e *env) signingAccount(c *cli.Context) (account, error) {
	if given(c, flagDevAccount) {
		if given(c, flagFrom) {
			return account{}, fmt.Errorf("--dev-account and --from both pick the signing account: use one")
		}
		s, err := wallet.DevAccount(at(c, flagDevAccount).Int(flagDevAccount))
		if err != nil {
			return account{}, fmt.Errorf("--dev-account: %w", err)
		}
		return account{address: s.Address, unlock: func() (wallet.Signer, error) { return s, nil }}, nil
	}
	ks := e.keystore(c)
	var a wallet.Account
	var err error
	if given(c, flagFrom) {
		from := at(c, flagFrom).String(flagFrom)
		if !common.IsHexAddress(from) {
			return account{}, fmt.Errorf("--from %q is not an address: want 0x followed by 40 hex digits", from)
		}
		a, err = ks.Find(common.HexToAddress(from))
	} else {
		a, err = ks.Default()
	}
	if err != nil {
		return account{}, err
	}
	unlock := func() (wallet.Signer, error) {
		pw, err := e.password(c, false)
		if err != nil {
			return wallet.Signer{}, err
		}
		key, err := ks.Load(a, pw)
		if err != nil {
			return wallet.Signer{}, err
		}
		return wallet.NewSigner(key, a.Path), nil
	}
	return account{address: a.Address, unlock: unlock}, nil
}

// password reads the keystore password from --password-file, else
// $BILAYER_PASSWORD, else a terminal prompt (twice when confirm is set).
func (e *env) password(c *cli.Context, confirm bool) (string, error) {
	if path := at(c, flagPasswordFile).String(flagPasswordFile); path != "" {
		return keyfile.ReadPassword(path)
	}
	if pw := e.getenv(envPassword); pw != "" {
		return pw, nil
	}
	if !isTerminal(e.io.in) {
		return "", fmt.Errorf("the keystore needs a password and stdin is not a terminal to prompt on: pass --password-file FILE or set %s", envPassword)
	}
	pw, err := e.prompt("Password: ")
	if err != nil || !confirm {
		return pw, err
	}
	again, err := e.prompt("Repeat password: ")
	if err != nil {
		return "", err
	}
	if again != pw {
		return "", fmt.Errorf("the passwords do not match: try again")
	}
	return pw, nil
}

// prompt reads a line from the terminal on stdin without echo.
func (e *env) prompt(label string) (string, error) {
	fmt.Fprint(e.io.err, label)
	fd, _ := fdOf(e.io.in)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(e.io.err)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(pw), nil
}

// print writes v as indented JSON when --json is set, else text.
func (e *env) print(c *cli.Context, v any, text string) error {
	if at(c, flagJSON).Bool(flagJSON) {
		enc := json.NewEncoder(e.io.out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("write json: %w", err)
		}
		return nil
	}
	_, err := fmt.Fprint(e.io.out, text)
	return err
}
