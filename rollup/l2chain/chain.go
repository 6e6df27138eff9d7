package l2chain

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/chaindb"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/ethdbadapter"
)

// Errors of the L2 chain.
var (
	// ErrGenesisMismatch means the database holds another L2 chain.
	ErrGenesisMismatch = errors.New("database holds another L2 chain")
	// ErrNotNext means a block does not extend the head.
	ErrNotNext = errors.New("block does not extend the head")
	// ErrBadInputs means block inputs break the L2 rules (time before the
	// parent's or the origin's, an origin going backwards or skipping).
	ErrBadInputs = errors.New("invalid L2 block inputs")
	// ErrAlreadyCommitted means an Executed block was committed twice.
	ErrAlreadyCommitted = errors.New("block already committed")
)

// DefaultTrieCacheBytes is the clean trie-node cache of a chain's state
// database unless SetTrieCacheBytes chose another size: sized for a devnet
// (issue 17); a long-lived node gives more with its --cache flag.
const DefaultTrieCacheBytes = 32 << 20

// trieCacheBytes is the size Open gives the trie-node cache. It is a
// process-wide setting: a binary opens one chain, and sets it from its
// --cache flag before Open.
var trieCacheBytes atomic.Int64

func init() { trieCacheBytes.Store(DefaultTrieCacheBytes) }

// SetTrieCacheBytes sets the trie-node cache size of the chains Open opens
// from now on (n <= 0: DefaultTrieCacheBytes).
func SetTrieCacheBytes(n int64) {
	if n <= 0 {
		n = DefaultTrieCacheBytes
	}
	trieCacheBytes.Store(n)
}

// Genesis is what the L2 genesis is made of (rollup/config derives it
// from the L1 genesis).
type Genesis struct {
	// Alloc is the genesis state: the prefunded accounts and the L2
	// system contracts' accounts.
	Alloc map[common.Address]types.Account
	// Block returns the genesis block for the allocation's state root.
	Block func(stateRoot common.Hash) *block.Block
}

// Chain is an L2 chain in a store. It is safe for concurrent use; building
// and committing blocks is serialised by the caller (one producer).
type Chain struct {
	db      store.Store
	state   *statedb.DB
	cfg     execution.Config
	reg     *syscontract.Registry
	signer  types.Signer
	genHash common.Hash
	log     *slog.Logger

	mu   sync.RWMutex
	head *block.Block
}

// Open opens the L2 chain in db, writing the genesis block and state if db
// is empty and refusing a db that holds another genesis. cfg must have L2
// rules; reg holds the L2 system contracts (nil: those of the L2 rules,
// L2Rules.SystemContracts).
func Open(db store.Store, cfg execution.Config, reg *syscontract.Registry, gen Genesis, log *slog.Logger) (*Chain, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open L2 chain: %w", err)
	}
	if cfg.L2 == nil {
		return nil, fmt.Errorf("open L2 chain: %w: the execution config has no L2 rules", execution.ErrBadConfig)
	}
	if reg == nil {
		var err error
		if reg, err = cfg.L2.SystemContracts(); err != nil {
			return nil, fmt.Errorf("open L2 chain: %w", err)
		}
	}
	c := &Chain{db: db, state: statedb.NewCachedKV(ethdbadapter.New(db, store.TrieNamespace()), int(trieCacheBytes.Load())), cfg: cfg, reg: reg,
		signer: execution.Signer(cfg.ChainID), log: log}
	// A database that holds a genesis has its state: the genesis state
	// root is then computed without writing anything.
	stored, err := store.ReadGenesisHash(db)
	apply := c.state.ApplyAlloc
	if !errors.Is(err, store.ErrNotFound) {
		apply = statedb.AllocRoot
	}
	root, genErr := apply(gen.Alloc)
	if genErr != nil {
		return nil, fmt.Errorf("open L2 chain: genesis state: %w", genErr)
	}
	genBlock := gen.Block(root)
	c.genHash = genBlock.Hash()
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := c.writeGenesis(genBlock); err != nil {
			return nil, err
		}
		log.Info("Wrote L2 genesis", "hash", c.genHash, "chainId", cfg.ChainID, "accounts", len(gen.Alloc))
	case err != nil:
		return nil, fmt.Errorf("open L2 chain: %w", err)
	case common.Hash(stored) != c.genHash:
		return nil, fmt.Errorf("%w: database genesis %s, this rollup's %s (another L1 genesis? wipe the data directory)",
			ErrGenesisMismatch, common.Hash(stored), c.genHash)
	}
	height, err := store.ReadHeadHeight(db)
	if err != nil {
		return nil, fmt.Errorf("open L2 chain: head height: %w", err)
	}
	head, err := chaindb.ReadBlock(db, height)
	if err != nil {
		return nil, fmt.Errorf("open L2 chain: head block %d: %w", height, err)
	}
	if !c.state.HasState(head.Header.Root) {
		return nil, fmt.Errorf("open L2 chain: state of head block %d (root %s): %w", height, head.Header.Root, statedb.ErrMissingState)
	}
	c.head = head
	return c, nil
}

func (c *Chain) writeGenesis(b *block.Block) error {
	batch := c.db.NewBatch()
	if err := chaindb.WriteBlock(batch, b, nil); err != nil {
		return fmt.Errorf("write L2 genesis: %w", err)
	}
	if err := store.WriteGenesisHash(batch, b.Hash()); err != nil {
		return fmt.Errorf("write L2 genesis: %w", err)
	}
	if err := store.WriteSchemaVersion(batch, store.SchemaVersion); err != nil {
		return fmt.Errorf("write L2 genesis: %w", err)
	}
	if err := store.WriteHeadHeight(batch, 0); err != nil {
		return fmt.Errorf("write L2 genesis: %w", err)
	}
	if err := batch.Commit(true); err != nil {
		return fmt.Errorf("write L2 genesis: %w", err)
	}
	return nil
}

// Close releases the chain's caches. It does not close the store.
func (c *Chain) Close() error { return c.state.Close() }

// Config returns the L2 execution config.
func (c *Chain) Config() execution.Config { return c.cfg }

// Registry returns the L2 system contracts.
func (c *Chain) Registry() *syscontract.Registry { return c.reg }

// Signer returns the L2 transaction signer.
func (c *Chain) Signer() types.Signer { return c.signer }

// GenesisHash returns the hash of the L2 genesis block.
func (c *Chain) GenesisHash() common.Hash { return c.genHash }

// Head returns the last committed block.
func (c *Chain) Head() *block.Block {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.head
}

// BlockByNumber returns the committed block at height n.
func (c *Chain) BlockByNumber(n block.L2Number) (*block.Block, error) {
	if uint64(n) > c.Head().Number() {
		return nil, fmt.Errorf("L2 block %d: %w", n, store.ErrNotFound)
	}
	return chaindb.ReadBlock(c.db, uint64(n))
}

// BlockByHash returns the committed block with the given hash.
func (c *Chain) BlockByHash(h common.Hash) (*block.Block, error) {
	b, err := chaindb.ReadBlockByHash(c.db, h)
	if err != nil {
		return nil, err
	}
	if b.Number() > c.Head().Number() {
		return nil, fmt.Errorf("L2 block %s: %w", h, store.ErrNotFound)
	}
	return b, nil
}

// Receipts returns the receipts of a committed block.
func (c *Chain) Receipts(b *block.Block) (types.Receipts, error) {
	return chaindb.ReadReceipts(c.db, b)
}

// SystemLogs returns the logs of a committed block that no receipt holds
// (its system work), positioned after the receipts' logs.
func (c *Chain) SystemLogs(b *block.Block, receipts types.Receipts) ([]*types.Log, error) {
	return chaindb.ReadSystemLogs(c.db, b, receipts)
}

// TxLocation returns the height and index of a committed transaction.
func (c *Chain) TxLocation(h common.Hash) (store.TxLocation, error) {
	loc, err := store.ReadTxLookup(c.db, h)
	if err != nil {
		return loc, err
	}
	if loc.Height > c.Head().Number() {
		return loc, fmt.Errorf("tx %s: %w", h, store.ErrNotFound)
	}
	return loc, nil
}

// StateAt opens the state after block n, for the caller to read or change
// and discard.
func (c *Chain) StateAt(n block.L2Number) (*state.StateDB, error) {
	b, err := c.BlockByNumber(n)
	if err != nil {
		return nil, err
	}
	return c.state.StateAt(b.Header.Root)
}

// HeadState opens the state after the head.
func (c *Chain) HeadState() (*state.StateDB, error) {
	return c.state.StateAt(c.Head().Header.Root)
}

// NextBaseFee returns the base fee of the block after parent.
func (c *Chain) NextBaseFee(parent *types.Header) *big.Int {
	return execution.NextBaseFee(c.cfg, parent.GasLimit, parent.GasUsed, parent.BaseFee)
}

// IsNotFound reports whether err means a block, receipt or transaction is
// not in the chain.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
