package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/bilayer/bilayer/wallet"
	"github.com/urfave/cli/v2"
)

// accountNew creates a random account in the keystore.
func (e *env) accountNew(c *cli.Context) error {
	pw, err := e.password(c, true)
	if err != nil {
		return err
	}
	a, err := e.keystore(c).New(pw)
	if err != nil {
		return err
	}
	return e.print(c, a, fmt.Sprintf("created account %s\nkey file %s\nkeep the password safe: the key cannot be recovered without it\n", a.Address, a.Path))
}

// accountImport stores a hex private key from the argument or --key-file.
func (e *env) accountImport(c *cli.Context) error {
	var text string
	switch file := c.String("key-file"); {
	case file != "" && c.Args().Present():
		return fmt.Errorf("give the key as an argument or with --key-file, not both")
	case file != "":
		data, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("read --key-file: %w", err)
		}
		text = string(data)
	case c.NArg() == 1:
		text = c.Args().First()
	default:
		return usageError(c, "wallet account import HEX-PRIVATE-KEY, or wallet account import --key-file FILE")
	}
	key, err := wallet.ParsePrivateKey(text)
	if err != nil {
		return err
	}
	pw, err := e.password(c, true)
	if err != nil {
		return err
	}
	a, err := e.keystore(c).Import(key, pw)
	if err != nil {
		return err
	}
	return e.print(c, a, fmt.Sprintf("imported account %s\nkey file %s\n", a.Address, a.Path))
}

// accountList prints the keystore's accounts.
func (e *env) accountList(c *cli.Context) error {
	ks := e.keystore(c)
	accounts, err := ks.List()
	if err != nil {
		return err
	}
	if accounts == nil {
		accounts = []wallet.Account{}
	}
	var b strings.Builder
	if len(accounts) == 0 {
		fmt.Fprintf(&b, "no accounts in %s: create one with `wallet account new`\n", ks.Dir)
	}
	for i, a := range accounts {
		fmt.Fprintf(&b, "#%d %s %s\n", i, a.Address, a.Path)
	}
	return e.print(c, accounts, b.String())
}
