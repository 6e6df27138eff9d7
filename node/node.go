package node

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node/chain"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// Version is the node software version reported over RPC.
const Version = "0.1.0"

// Config is what a node is made of. The caller opens the database and the
// network; the node owns neither and closes neither.
type Config struct {
	Genesis *genesis.Genesis
	DB      store.Store
	Network p2p.Network
	// ValidatorKey signs votes and proposals; nil runs a full node that
	// follows the chain without voting.
	ValidatorKey *ecdsa.PrivateKey
	// SignerStore persists the double-sign guard's state; required with a
	// ValidatorKey.
	SignerStore signer.StateStore
	// Registry holds the system contracts (nil: none).
	Registry *syscontract.Registry
	// Mempool bounds the transaction pool (zero: DefaultMempool).
	Mempool txpool.Config
	// Logger receives the node's logs.
	Logger *slog.Logger
	// Metrics, if set, receives the node's metrics.
	Metrics *Metrics
	// DevEquivocate makes the validator sign conflicting prevotes until slashed
	// (development only: refused unless the genesis is a devnet's).
	DevEquivocate bool
}

// Node is a running L1 node.
type Node struct {
	cfg     Config
	log     *slog.Logger
	chain   *chain.Chain
	pool    *txpool.Pool
	net     p2p.Network
	signer  *signer.Signer
	self    common.Address
	chainID string
	ccfg    consensus.Config
	metrics *Metrics
	// builtAhead counts the blocks proposed after being built ahead.
	builtAhead atomic.Uint64

	events    chan event
	consTopic p2p.Topic
	txTopic   p2p.Topic
	handshake *p2p.Handshake
	txGossip  *txBatcher
	verified  verifiedCache
	// verifiedVotes is verified's counterpart for votes.
	verifiedVotes verifiedCache
	proposers     proposerCache
	future        *futureBuffer
	txGate        *txGate
	// execGate pauses transaction admission while the driver executes or
	// builds a block (execgate.go).
	execGate *execGate
	syncer   *syncer
	// refusedSenders are the senders of gossiped transactions the full
	// pool refused, for the proposals that carry them (sendercache.go).
	refusedSenders *senderCache

	valsMu    sync.Mutex
	valsCache map[consensus.Height]*consensus.ValidatorSet
	staking   *staking.Contract
	status    atomic.Pointer[ConsensusStatus]
	evidence  evidenceLog

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// crashBefore, set by tests only (before Start), is asked before each
	// consensus action; true stops the driver there, as if the process had
	// died at that instant (the driver simulation crashes nodes between
	// persist, sign and send this way).
	crashBefore func(consensus.Action) bool
}

// ConsensusStatus is a snapshot of the driver's position, for RPC and logs.
type ConsensusStatus struct {
	Height   uint64 `json:"height"`
	Round    int32  `json:"round"`
	Step     string `json:"step"`
	Proposer string `json:"proposer"`
	Decided  bool   `json:"decided"`
}

// New opens the chain and prepares the node; Start runs it.
func New(cfg Config) (*Node, error) {
	if cfg.Genesis == nil || cfg.DB == nil || cfg.Network == nil {
		return nil, errors.New("node: genesis, database and network are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.DevEquivocate && (!cfg.Genesis.Devnet || cfg.ValidatorKey == nil) {
		return nil, errors.New("node: the equivocation switch is refused: it needs a validator key and a devnet genesis (\"devnet\": true)")
	}
	if cfg.Mempool.MaxTxs == 0 {
		cfg.Mempool = DefaultMempool()
	}
	var stakingContract *staking.Contract
	if cfg.Registry == nil {
		reg, sc, err := systemContracts(cfg.Genesis)
		if err != nil {
			return nil, err
		}
		cfg.Registry, stakingContract = reg, sc
	}
	c, err := chain.Open(cfg.DB, cfg.Genesis, cfg.Registry, cfg.Logger)
	if err != nil {
		return nil, err
	}
	n := &Node{
		cfg: cfg, log: cfg.Logger, chain: c, net: cfg.Network,
		chainID: strconv.FormatUint(cfg.Genesis.ChainID, 10),
		ccfg:    consensusConfig(cfg.Genesis), metrics: cfg.Metrics,
		events: make(chan event, 1024), staking: stakingContract, execGate: &execGate{},
	}
	if cfg.ValidatorKey != nil {
		if cfg.SignerStore == nil {
			return nil, errors.New("node: a validator needs a signer state store")
		}
		n.self = crypto.PubkeyToAddress(cfg.ValidatorKey.PublicKey)
		if n.signer, err = signer.New(cfg.ValidatorKey, cfg.SignerStore); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
	}
	st, err := c.HeadState()
	if err != nil {
		return nil, fmt.Errorf("node: head state: %w", err)
	}
	n.pool = txpool.New(cfg.Mempool, c.Signer(), c.ValidatePoolTx, st, c.NextBaseFee(c.Head().Header))
	// The other validators' pools, at most: what they may propose.
	n.refusedSenders = newSenderCache(refusedSenderPools * cfg.Mempool.MaxTxs)
	if _, err := n.validatorsAt(consensus.Height(c.Head().Number() + 1)); err != nil {
		return nil, err
	}
	return n, nil
}

// MempoolOf is DefaultMempool bounded at maxTxs transactions, submitted
// of them sent to the node itself (0: half of maxTxs, at least one), as
// the validator's --txpool.max-txs and --txpool.max-submitted set it.
func MempoolOf(maxTxs, submitted int) (txpool.Config, error) {
	if maxTxs < 1 {
		return txpool.Config{}, fmt.Errorf("a pool of %d transactions: at least 1", maxTxs)
	}
	if submitted < 0 || submitted > maxTxs {
		return txpool.Config{}, fmt.Errorf("%d of the pool's %d transactions for submitted ones: from 0 (half) to %d", submitted, maxTxs, maxTxs)
	}
	if submitted == 0 {
		submitted = max(1, maxTxs/2)
	}
	c := DefaultMempool()
	c.MaxTxs, c.MaxSubmittedTxs = maxTxs, submitted
	return c, nil
}

// refusedSenderPools is how many pools' worth of senders refusedSenders
// holds: the other three validators' on a four-validator devnet (about
// a MiB with the devnet's pools of 6,000).
const refusedSenderPools = 3

func consensusConfig(g *genesis.Genesis) consensus.Config {
	cfg := consensus.DefaultConfig()
	c := g.Consensus
	cfg.TimeoutPropose, cfg.TimeoutProposeDelta = c.TimeoutPropose.Duration, c.TimeoutProposeDelta.Duration
	cfg.TimeoutPrevote, cfg.TimeoutPrevoteDelta = c.TimeoutPrevote.Duration, c.TimeoutPrevoteDelta.Duration
	cfg.TimeoutPrecommit, cfg.TimeoutPrecommitDelta = c.TimeoutPrecommit.Duration, c.TimeoutPrecommitDelta.Duration
	return cfg
}

// Chain returns the node's chain.
func (n *Node) Chain() *chain.Chain { return n.chain }

// Pool returns the node's mempool.
func (n *Node) Pool() *txpool.Pool { return n.pool }

// Address returns the validator address, or the zero address for a full
// node.
func (n *Node) Address() common.Address { return n.self }

// Status returns the driver's position.
func (n *Node) Status() ConsensusStatus {
	if s := n.status.Load(); s != nil {
		return *s
	}
	return ConsensusStatus{Height: n.chain.Head().Number() + 1}
}

// RPCBackend returns the Ethereum JSON-RPC backend of the node.
func (n *Node) RPCBackend() ethrpc.Backend {
	return &rpcBackend{
		chain: n.chain, pool: n.pool, gate: n.execGate, metrics: n.metrics, peers: func() int { return len(n.net.Peers()) },
		onTx: func(tx *types.Transaction) { n.txGossip.add(tx) }, syncing: n.syncProgress,
		version: "bilayer-validator/v" + Version,
	}
}

// Start joins the network and runs the driver until Stop.
func (n *Node) Start() error {
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	if err := n.startGossip(ctx); err != nil {
		cancel()
		return err
	}
	if err := n.startSync(ctx); err != nil {
		cancel()
		return err
	}
	d, err := n.newDriver()
	if err != nil {
		cancel()
		return err
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		d.run(ctx)
	}()
	head := n.chain.Head()
	n.log.Info("Node started", "head", head.Number(), "hash", head.Hash(), "validator", n.signer != nil, "address", n.self)
	return nil
}

// Stop stops the driver, gossip and sync and waits for them. It does not
// close the database or the network.
func (n *Node) Stop() {
	if n.cancel != nil {
		n.cancel()
	}
	n.wg.Wait()
	if n.handshake != nil {
		n.handshake.Close()
	}
	for _, t := range []p2p.Topic{n.consTopic, n.txTopic} {
		if t != nil {
			t.Close()
		}
	}
	if err := n.chain.Close(); err != nil {
		n.log.Warn("Closing the chain", "err", err)
	}
}

// post hands an event to the driver unless the node is stopping.
func (n *Node) post(ctx context.Context, ev event) {
	select {
	case n.events <- ev:
	case <-ctx.Done():
	}
}

// sleepOrDone waits d or until ctx ends, reporting whether d passed.
func sleepOrDone(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// DefaultMempoolTxs is the most transactions a validator's pool holds by
// default, and DefaultMempoolSubmittedTxs (half of it) the most it holds,
// besides the block being decided (txpool SetDeciding), when it takes one
// sent to its own JSON-RPC: the other half is room for what its peers
// gossip (issue 17). Every pooled transaction is a cost
// every validator has already paid (decoded, recovered, gossiped) and
// memory it keeps; a pool many blocks deep does not raise throughput, it
// lengthens every wait behind it and, near the node's memory limit, turns
// the collector's work into the bottleneck. With one bound for both, a
// load above what the chain takes filled every pool with its own clients'
// transactions: the validators refused each other's gossip, recovered
// their senders anyway for the proposals that would carry them, and held
// four backlogs instead of one (with 6,000 a pool, 24,000 distinct
// transactions, 15 s of blocks). Refusing the clients at half the pool
// while peers may fill the rest keeps one shared backlog of about 3,000,
// a block and a half at the devnet's peak: each sender is recovered once,
// never on a block's critical path, and at twice the peak the inclusion
// p50 read 1.7–2.8 s instead of 3.7–4.1 s (session 23, decisions.md).
const DefaultMempoolTxs = 6_000

// DefaultMempoolSubmittedTxs is DefaultMempoolTxs' share for transactions
// submitted to the node itself (txpool.Config.MaxSubmittedTxs).
const DefaultMempoolSubmittedTxs = DefaultMempoolTxs / 2

// DefaultMempool is txpool.DefaultConfig with the pool bounded at
// DefaultMempoolTxs, DefaultMempoolSubmittedTxs of them submitted here.
func DefaultMempool() txpool.Config {
	c := txpool.DefaultConfig()
	c.MaxTxs = DefaultMempoolTxs
	c.MaxSubmittedTxs = DefaultMempoolSubmittedTxs
	return c
}
