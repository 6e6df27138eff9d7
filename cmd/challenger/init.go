package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/bilayer/bilayer/core/genesis"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
)

func initCommand() *cli.Command {
	return &cli.Command{
		Name:  "init",
		Usage: "create a challenger data directory holding the L1 genesis",
		Description: `Copies the L1 genesis (--genesis, required) into the data directory after checking its
rollup section, so that "challenger run --datadir D" needs no --genesis. Running init again on a
data directory holding the same genesis does nothing; another genesis is refused. The
challenger needs no key to verify (proving a wrong output on L1 will).`,
		Flags:  []cli.Flag{datadirFlag, genesisFlag},
		Action: runInit,
	}
}

func runInit(c *cli.Context) error {
	genPath := c.String(genesisFlag.Name)
	if genPath == "" {
		return errors.New("--genesis is required: the L1 genesis file with a rollup section")
	}
	g, err := loadGenesis(genPath)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(c.String(datadirFlag.Name), 0o700); err != nil {
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
		return fmt.Errorf("write genesis: %w", err)
	}
	fmt.Fprintf(c.App.Writer, "Initialised %s\n  L2 chain id %d\n  sequencer %s (the challenger checks its outputs)\n",
		c.String(datadirFlag.Name), g.Rollup.L2ChainID, g.Rollup.Sequencer)
	return nil
}

// loadGenesis loads an L1 genesis and checks that it defines a rollup.
func loadGenesis(path string) (*genesis.Genesis, error) {
	g, err := genesis.Load(path)
	if err != nil {
		return nil, err
	}
	if g.Rollup == nil {
		return nil, fmt.Errorf("%s has no rollup section: there is no L2 to verify", path)
	}
	if err := rollupconfig.Validate(g); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return g, nil
}
