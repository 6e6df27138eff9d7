package main

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/keyfile"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
)

var (
	keyFlag = &cli.StringFlag{Name: "key", Usage: "import the sequencer key from this keystore file (encrypted with the --password-file password); without it a new key is generated",
		EnvVars: []string{"BILAYER_SEQUENCER_KEY"}}
	lightKDFFlag = &cli.BoolFlag{Name: "lightkdf", Usage: "encrypt the key file with a light KDF (fast; for devnets and tests only)",
		EnvVars: []string{"BILAYER_LIGHTKDF"}}
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create a sequencer data directory: the L1 genesis and the sequencer key",
		Description: `Copies the L1 genesis (--genesis, required) into the data directory after checking its
rollup section, and writes the sequencer key to <datadir>/keystore/sequencer.json: imported
with --key, or newly generated. The key must be the genesis's rollup.sequencer address (the
only account allowed to post batches); a mismatch is refused. Running init again on a data
directory keeps an existing key and genesis if they agree.`,
		Flags:  []cli.Flag{datadirFlag, genesisFlag, passwordFileFlag, keyFlag, lightKDFFlag},
		Action: runInit,
	}
}

func runInit(c *cli.Context) error {
	genPath := c.String(genesisFlag.Name)
	if genPath == "" {
		return errors.New("--genesis is required: the L1 genesis file with a rollup section")
	}
	g, err := genesis.Load(genPath)
	if err != nil {
		return err
	}
	if err := rollupconfig.Validate(g); err != nil {
		return err
	}
	pw, err := readPassword(c)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(datadirPath(c, keystoreDir), 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	dst := datadirPath(c, genesisFile)
	if existing, err := genesis.Load(dst); err == nil {
		a, errA := json.Marshal(existing)
		b, errB := json.Marshal(g)
		if errA != nil || errB != nil || string(a) != string(b) {
			return fmt.Errorf("%s already holds another genesis: use another --datadir, or remove it", dst)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("existing genesis: %w", err)
	}
	if err := g.Save(dst); err != nil {
		return err
	}
	kdf := keyfile.Standard
	if c.Bool(lightKDFFlag.Name) {
		kdf = keyfile.Light
	}
	key, err := sequencerKeyFor(c, pw, kdf)
	if err != nil {
		return err
	}
	addr := crypto.PubkeyToAddress(key.PublicKey)
	if addr != g.Rollup.Sequencer {
		return fmt.Errorf("the sequencer key is %s, but the genesis names %s as rollup.sequencer", addr, g.Rollup.Sequencer)
	}
	fmt.Fprintf(c.App.Writer, "Initialised %s\n  sequencer %s\n  L2 chain id %d\n", c.String(datadirFlag.Name), addr, g.Rollup.L2ChainID)
	return nil
}

// sequencerKeyFor imports --key, keeps an existing key, or generates one.
func sequencerKeyFor(c *cli.Context, pw string, kdf keyfile.KDF) (*ecdsa.PrivateKey, error) {
	path := datadirPath(c, keystoreDir, sequencerKey)
	if src := c.String(keyFlag.Name); src != "" {
		key, err := keyfile.Load(src, pw)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		if err := keyfile.Create(path, key, pw, kdf); err != nil {
			return nil, err
		}
		return key, nil
	}
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
