package chain

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/bilayer/bilayer/chaindb"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/statedb"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/ethdbadapter"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
)

// Errors of the chain.
var (
	ErrGenesisMismatch = errors.New("database holds another chain")
	ErrNotNext         = errors.New("block does not extend the head")
	ErrBadHeader       = errors.New("invalid block header")
	ErrUnknownBlock    = errors.New("block was not executed")
)

// Chain is the L1 node's chain: its committed blocks and state, and the
// execution of new blocks on top of the head. It is safe for concurrent
// use; block execution and commits are serialised by the caller (the
// consensus driver).
type Chain struct {
	db      store.Store
	state   *statedb.DB
	gen     *genesis.Genesis
	cfg     execution.Config
	reg     *syscontract.Registry
	signer  types.Signer
	genHash common.Hash
	log     *slog.Logger

	mu   sync.RWMutex
	head *block.Block
	// checked are the proposals whose commitments the gossip check
	// verified (checked.go); stateless the transactions that passed the
	// stateless checks (pooltx.go).
	checked   checkedBlocks
	stateless checkedTxs
}

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

// Close releases the chain's caches. It does not close db.
func (c *Chain) Close() error { return c.state.Close() }

// Open opens the chain in db, writing the genesis block and state if db is
// empty, and refusing a db that holds a different genesis.
func Open(db store.Store, gen *genesis.Genesis, reg *syscontract.Registry, log *slog.Logger) (*Chain, error) {
	c := &Chain{
		db: db, state: statedb.NewCachedKV(ethdbadapter.New(db, store.TrieNamespace()), int(trieCacheBytes.Load())), gen: gen, cfg: gen.ExecutionConfig(), reg: reg,
		signer: execution.Signer(new(big.Int).SetUint64(gen.ChainID)), log: log,
	}
	if err := c.cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open chain: %w", err)
	}
	// A database that holds a genesis has its state: the genesis file's
	// state root is then computed without writing anything.
	stored, err := store.ReadGenesisHash(db)
	genBlock, genErr := c.genesisBlock(!IsNotFound(err))
	if genErr != nil {
		return nil, genErr
	}
	c.genHash = genBlock.Hash()
	switch {
	case IsNotFound(err):
		if err := c.writeGenesis(genBlock); err != nil {
			return nil, err
		}
		log.Info("Wrote genesis", "hash", c.genHash, "chainId", gen.ChainID, "validators", len(gen.Validators))
	case err != nil:
		return nil, fmt.Errorf("open chain: %w", err)
	case common.Hash(stored) != c.genHash:
		return nil, fmt.Errorf("%w: database genesis %s, genesis file %s", ErrGenesisMismatch, common.Hash(stored), c.genHash)
	}
	height, err := store.ReadHeadHeight(db)
	if err != nil {
		return nil, fmt.Errorf("open chain: head height: %w", err)
	}
	head, err := chaindb.ReadBlock(db, height)
	if err != nil {
		return nil, fmt.Errorf("open chain: head block %d: %w", height, err)
	}
	if !c.state.HasState(head.Header.Root) {
		return nil, fmt.Errorf("open chain: state of head block %d (root %s): %w", height, head.Header.Root, statedb.ErrMissingState)
	}
	c.head = head
	return c, nil
}

// genesisBlock computes the genesis state and block, writing the state's
// trie nodes unless rootOnly.
func (c *Chain) genesisBlock(rootOnly bool) (*block.Block, error) {
	alloc := c.gen.StateAlloc()
	for addr, acc := range c.reg.Accounts() {
		// A system contract keeps its genesis balance: the bridge's backs
		// the L2 prefunds.
		if prev, ok := alloc[addr]; ok && prev.Balance != nil {
			acc.Balance = prev.Balance
		}
		alloc[addr] = acc
	}
	if c.hasStaking() {
		acc, err := staking.GenesisAccount(c.gen)
		if err != nil {
			return nil, err
		}
		alloc[staking.Address] = acc
	}
	apply := c.state.ApplyAlloc
	if rootOnly {
		apply = statedb.AllocRoot
	}
	root, err := apply(alloc)
	if err != nil {
		return nil, fmt.Errorf("genesis state: %w", err)
	}
	return c.gen.Block(root), nil
}

func (c *Chain) writeGenesis(b *block.Block) error {
	batch := c.db.NewBatch()
	if err := chaindb.WriteBlock(batch, b, nil); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := store.WriteGenesisHash(batch, b.Hash()); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := store.WriteSchemaVersion(batch, store.SchemaVersion); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := store.WriteHeadHeight(batch, 0); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	if err := batch.Commit(true); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	return nil
}

// hasStaking reports whether the chain runs the staking contract, whose
// state then decides the validator set.
func (c *Chain) hasStaking() bool { return c.reg.IsSystemContract(staking.Address) }

// ValidatorSetAfter returns the validator set that signs block n+1: the
// staking contract's active set in the state after block n, or the genesis
// set on a chain without staking.
func (c *Chain) ValidatorSetAfter(n uint64) ([]block.Validator, error) {
	if !c.hasStaking() {
		return c.gen.ValidatorSet(), nil
	}
	st, err := c.StateAt(n)
	if err != nil {
		return nil, fmt.Errorf("validator set after block %d: %w", n, err)
	}
	return staking.ReadActiveSet(st), nil
}

// nextValidatorsHash is the commitment, in a block's header, to the set
// that signs the following block: from the block's post-state.
func (c *Chain) nextValidatorsHash(post *state.StateDB, parent *block.Block) common.Hash {
	if !c.hasStaking() {
		return parent.Extras.NextValidatorsHash
	}
	return block.ValidatorSetHash(staking.ReadActiveSet(post))
}

// Genesis returns the genesis the chain runs.
func (c *Chain) Genesis() *genesis.Genesis { return c.gen }

// GenesisHash returns the hash of the genesis block.
func (c *Chain) GenesisHash() common.Hash { return c.genHash }

// Config returns the execution config.
func (c *Chain) Config() execution.Config { return c.cfg }

// Signer returns the transaction signer of the chain.
func (c *Chain) Signer() types.Signer { return c.signer }

// Registry returns the system contracts.
func (c *Chain) Registry() *syscontract.Registry { return c.reg }

// Head returns the last committed block.
func (c *Chain) Head() *block.Block {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.head
}

// BlockByNumber returns the committed block at height n: the head itself
// when n is the head's height (the block a client most often asks for is
// not read back and decoded), else the block as stored. The block is
// shared; callers must not modify it.
func (c *Chain) BlockByNumber(n uint64) (*block.Block, error) {
	head := c.Head()
	switch {
	case n > head.Number():
		return nil, fmt.Errorf("block %d: %w", n, store.ErrNotFound)
	case n == head.Number():
		return head, nil
	}
	return chaindb.ReadBlock(c.db, n)
}

// HeaderByNumber returns the header of the committed block at height n,
// without reading the block's body. The header is shared; callers must not
// modify it.
func (c *Chain) HeaderByNumber(n uint64) (*types.Header, error) {
	head := c.Head()
	switch {
	case n > head.Number():
		return nil, fmt.Errorf("header %d: %w", n, store.ErrNotFound)
	case n == head.Number():
		return head.Header, nil
	}
	return chaindb.ReadHeader(c.db, n)
}

// BlockByHash returns the committed block with the given hash.
func (c *Chain) BlockByHash(h common.Hash) (*block.Block, error) {
	return chaindb.ReadBlockByHash(c.db, h)
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
	return store.ReadTxLookup(c.db, h)
}

// Commit returns the commit certificate of block n, which is stored with
// the block that carries it (n+1) and, for the head, beside the head.
func (c *Chain) Commit(n uint64) (*block.Commit, error) { return ReadCommit(c.db, n) }

// StateAt opens the state after block n. The StateDB is the caller's to
// change and discard; it is never committed.
func (c *Chain) StateAt(n uint64) (*state.StateDB, error) {
	h, err := c.HeaderByNumber(n)
	if err != nil {
		return nil, err
	}
	return c.state.StateAt(h.Root)
}

// HeadState opens the state after the head block.
func (c *Chain) HeadState() (*state.StateDB, error) { return c.state.StateAt(c.Head().Header.Root) }

// StateDatabase returns the state database (for proofs).
func (c *Chain) StateDatabase() *statedb.DB { return c.state }

// NextBaseFee returns the base fee of the block after parent.
func (c *Chain) NextBaseFee(parent *types.Header) *big.Int {
	return execution.NextBaseFee(c.cfg, parent.GasLimit, parent.GasUsed, parent.BaseFee)
}
