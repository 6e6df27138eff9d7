package main

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/keyfile"
	"github.com/bilayer/bilayer/p2p/libp2p"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/urfave/cli/v2"
)

var (
	validatorKeyFlag = &cli.StringFlag{Name: "import-key", Usage: "file holding a hex secp256k1 private key to use as the validator key (default: generate one)",
		EnvVars: []string{"BILAYER_IMPORT_KEY"}}
	fullNodeFlag = &cli.BoolFlag{Name: "full", Usage: "create no validator key: the node follows the chain without voting",
		EnvVars: []string{"BILAYER_FULL"}}
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create a data directory: validator key, p2p node key and genesis",
		Description: `Creates <datadir>/keystore/validator.json (the key that signs votes; its address must be a
genesis validator to vote), <datadir>/keystore/node.json (the p2p identity) and
<datadir>/genesis.json. Keys are Web3 Secret Storage files encrypted with the password in
--password-file. Existing keys are never overwritten.`,
		Flags: []cli.Flag{datadirFlag, &cli.StringFlag{Name: "genesis", Usage: "genesis JSON file to use (required)",
			Required: true, EnvVars: genesisFlag.EnvVars}, passwordFileFlag, lightKDFFlag, validatorKeyFlag, fullNodeFlag},
		Action: runInit,
	}
}

func runInit(c *cli.Context) error {
	pw, err := readPassword(c)
	if err != nil {
		return err
	}
	g, err := genesis.Load(c.String("genesis"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(datadirPath(c, keystoreDir), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := installGenesis(c, g); err != nil {
		return err
	}
	kdf := keyfile.Standard
	if c.Bool(lightKDFFlag.Name) {
		kdf = keyfile.Light
	}
	var validator *ecdsa.PrivateKey
	if !c.Bool(fullNodeFlag.Name) {
		if validator, err = createValidatorKey(c, pw, kdf); err != nil {
			return err
		}
	}
	nodeKey, err := loadOrCreateKey(datadirPath(c, keystoreDir, nodeKeyFile), pw, kdf)
	if err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	id, err := libp2p.PeerIDOf(nodeKey)
	if err != nil {
		return err
	}
	fmt.Printf("Initialised %s\n  peer id:   %s\n", c.String(datadirFlag.Name), id)
	if validator != nil {
		addr := crypto.PubkeyToAddress(validator.PublicKey)
		member := false
		for _, v := range g.Validators {
			member = member || v.Address == addr
		}
		fmt.Printf("  validator: %s", addr)
		if !member {
			fmt.Print(" (not in the genesis validator set: it will follow without voting until it stakes)")
		}
		fmt.Println()
	}
	return nil
}

// installGenesis writes the genesis into the data directory, refusing to
// replace a different one.
func installGenesis(c *cli.Context, g *genesis.Genesis) error {
	path := datadirPath(c, genesisFile)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return g.Save(path)
	}
	existing, err := genesis.Load(path)
	if err != nil {
		return err
	}
	a, errA := json.Marshal(existing)
	b, errB := json.Marshal(g)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		return fmt.Errorf("%s already holds a different genesis (chain %d); use another --datadir", path, existing.ChainID)
	}
	return nil
}

func createValidatorKey(c *cli.Context, pw string, kdf keyfile.KDF) (*ecdsa.PrivateKey, error) {
	path := datadirPath(c, keystoreDir, validatorKeyFile)
	var key *ecdsa.PrivateKey
	if src := c.String(validatorKeyFlag.Name); src != "" {
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("read --import-key: %w", err)
		}
		if key, err = crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(string(data)), "0x")); err != nil {
			return nil, fmt.Errorf("--import-key %s: not a hex secp256k1 private key: %w", src, err)
		}
	} else {
		var err error
		if key, err = keyfile.Generate(); err != nil {
			return nil, err
		}
	}
	if err := keyfile.Create(path, key, pw, kdf); err != nil {
		return nil, fmt.Errorf("validator key: %w", err)
	}
	return key, nil
}

// loadOrCreateKey loads the key file at path, creating a new key there if
// it does not exist.
func loadOrCreateKey(path, pw string, kdf keyfile.KDF) (*ecdsa.PrivateKey, error) {
	if _, err := os.Stat(path); err == nil {
		return keyfile.Load(path, pw)
	}
	key, err := keyfile.Generate()
	if err != nil {
		return nil, err
	}
	if err := keyfile.Create(path, key, pw, kdf); err != nil {
		return nil, err
	}
	return key, nil
}
