package l2open

import (
	"fmt"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/genesis"
	// Linked for its C allocator settings, made when the program loads.
	_ "github.com/bilayer/bilayer/internal/cmalloc"
	"github.com/bilayer/bilayer/internal/cmdutil"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/l2chain"
	pebblestore "github.com/bilayer/bilayer/store/pebble"
)

// Chain is an opened L2 chain and the database under it.
type Chain struct {
	// Config is the rollup's configuration.
	Config *rollupconfig.Config
	// DB is the L2 database; Chain lives in it.
	DB    *pebblestore.DB
	Chain *l2chain.Chain
}

// Open derives the rollup configuration from g and the L1's genesis hash,
// sizes the trie and block caches from cacheMiB (cmdutil.CacheSizes), and
// opens (creating if needed) the L2 database in dir and the chain in it.
// Close releases both.
func Open(g *genesis.Genesis, l1Genesis common.Hash, dir string, cacheMiB int, log *slog.Logger) (*Chain, error) {
	cfg, err := rollupconfig.FromGenesis(g, l1Genesis)
	if err != nil {
		return nil, err
	}
	trieCache, blockCache, err := cmdutil.CacheSizes(cacheMiB)
	if err != nil {
		return nil, err
	}
	l2chain.SetTrieCacheBytes(trieCache)
	db, err := pebblestore.Open(dir, pebblestore.Options{CacheSize: blockCache, Logger: log.With("module", "pebble")})
	if err != nil {
		return nil, fmt.Errorf("open the L2 database: %w", err)
	}
	chain, err := l2chain.Open(db, cfg.ExecutionConfig(), nil,
		l2chain.Genesis{Alloc: cfg.L2GenesisAlloc(), Block: cfg.L2GenesisBlock}, log.With("module", "l2chain"))
	if err != nil {
		if cerr := db.Close(); cerr != nil {
			log.Warn("close the L2 database", "err", cerr)
		}
		return nil, fmt.Errorf("open the L2 chain: %w", err)
	}
	return &Chain{Config: cfg, DB: db, Chain: chain}, nil
}

// Close closes the chain, then the database, logging what fails.
func (c *Chain) Close(log *slog.Logger) {
	if err := c.Chain.Close(); err != nil {
		log.Warn("close the L2 chain", "err", err)
	}
	if err := c.DB.Close(); err != nil {
		log.Warn("close the L2 database", "err", err)
	}
}
