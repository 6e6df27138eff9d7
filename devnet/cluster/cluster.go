package cluster

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Options configure a cluster. Zero values take the defaults noted.
type Options struct {
	// Validators is the number of genesis validators (default 4).
	Validators int
	// FullNodes is the number of non-validator nodes started with the
	// validators (default 0).
	FullNodes int
	// BlockTime is the genesis block time (default: the genesis default,
	// 1 s).
	BlockTime time.Duration
	// Consensus overrides the genesis BFT timeouts; zero fields keep their
	// defaults.
	Consensus genesis.Consensus
	// Admin serves the admin_ RPC namespace on every node (needed by
	// Isolate and Rejoin).
	Admin bool
	// LogLevel is the nodes' --log.level (default "info").
	LogLevel string
	// StartTimeout bounds how long a node may take to answer RPC after its
	// process starts (default 30 s).
	StartTimeout time.Duration
	// EditGenesis, if set, adjusts the genesis before it is validated and
	// written.
	EditGenesis func(*genesis.Genesis)
	// Sequencer adds the L2: the genesis gets the devnet rollup section
	// (devnet.NewGenesis with the address of a generated sequencer key,
	// and the challenge and sequencing windows shortened to RollupWindow
	// L1 blocks so tests that wait for them stay fast), and after the
	// validators are up New runs "sequencer init" and "sequencer run"
	// against validator 0's RPC (Cluster.Sequencer). Without it the
	// genesis is L1 only (a zero sequencer address).
	Sequencer bool
	// SequencerArgs are added to "sequencer run" (for example
	// "--block-time"): they become the sequencer's Node.ExtraArgs, which a
	// test may change before a later Start.
	SequencerArgs []string
	// Challenger (with Sequencer) starts "challenger run" after the
	// sequencer, following the RPC of Cluster.ChallengerL1Node (node 1:
	// another L1 node than the sequencer's, when the cluster has one; a
	// one-validator cluster gets one with FullNodes: 1). It never contacts
	// the sequencer (Cluster.Challenger).
	Challenger bool
	// ChallengerArgs are added to "challenger run": the challenger's
	// Node.ExtraArgs.
	ChallengerArgs []string
	// ChallengerKey (with Challenger, or for StartChallenger) turns on the challenger's proving
	// agent: New writes it as a keystore (the cluster's password, light
	// KDF) and adds "--key" and "--password-file" to ChallengerArgs. The
	// account pays for challenges on the L1, so it needs an L1 balance (a
	// development account of devkeys has one).
	ChallengerKey *ecdsa.PrivateKey
}

// RollupWindow is the challenge window and the sequencing window, in L1
// blocks, of a cluster with a sequencer (the devnet's are 30 and 20);
// EditGenesis may change them.
const RollupWindow = 10

func (o *Options) fillDefaults() {
	if o.Validators == 0 {
		o.Validators = 4
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	if o.StartTimeout == 0 {
		o.StartTimeout = 30 * time.Second
	}
}

// password is the key-file password of every cluster node.
const password = "bilayer-cluster"

// logTailLines is how much of each node's log a failed test prints.
const logTailLines = 200

// Cluster is a set of node processes sharing one genesis.
type Cluster struct {
	// Genesis is the cluster's genesis.
	Genesis *genesis.Genesis
	// GenesisPath is the genesis file every node was initialised with.
	GenesisPath string
	// Keys are the validators' private keys, in genesis order.
	Keys []*ecdsa.PrivateKey
	// SequencerKey is the sequencer's private key (the genesis's
	// rollup.sequencer); nil without Options.Sequencer.
	SequencerKey *ecdsa.PrivateKey

	t            testing.TB
	opts         Options
	dir          string
	bin          string
	passwordFile string

	mu         sync.Mutex
	nodes      []*Node
	seq        *Node
	challenger *Node
	ports      *portSet
}

// New creates and starts a cluster: it builds the binaries (once per test
// process), generates validator keys and a devnet genesis in t.TempDir(),
// initialises every data directory and starts every node on free loopback
// ports, then, with Options.Sequencer, the sequencer and, with
// Options.Challenger, the challenger. It fails the test on any error. t.Cleanup kills every process and, if the test failed, prints
// the tail of every process's log.
func New(t testing.TB, opts Options) *Cluster {
	t.Helper()
	opts.fillDefaults()
	c := &Cluster{t: t, opts: opts, dir: t.TempDir(), ports: newPortSet(seedFromClock())}
	t.Cleanup(c.cleanup)
	var err error
	if c.bin, err = Binary("validator"); err != nil {
		t.Fatalf("cluster: %v", err)
	}
	if err := c.writeGenesis(); err != nil {
		t.Fatalf("cluster: %v", err)
	}
	var nodes []*Node
	for i := range opts.Validators + opts.FullNodes {
		n, err := c.initNode(NodeOptions{Full: i >= opts.Validators})
		if err != nil {
			t.Fatalf("cluster: %v", err)
		}
		nodes = append(nodes, n)
	}
	if err := c.startAll(nodes); err != nil {
		t.Fatalf("cluster: %v", err)
	}
	if opts.Challenger && !opts.Sequencer {
		t.Fatal("cluster: Options.Challenger needs Options.Sequencer (the genesis's rollup section)")
	}
	if opts.Sequencer {
		if err := c.startSequencer(); err != nil {
			t.Fatalf("cluster: %v", err)
		}
	}
	if opts.Challenger {
		if err := c.startChallenger(); err != nil {
			t.Fatalf("cluster: %v", err)
		}
	}
	return c
}

// writeGenesis generates the validator keys and writes the genesis and the
// password file.
func (c *Cluster) writeGenesis() error {
	var addrs []common.Address
	for range c.opts.Validators {
		k, err := crypto.GenerateKey()
		if err != nil {
			return fmt.Errorf("generate validator key: %w", err)
		}
		c.Keys = append(c.Keys, k)
		addrs = append(addrs, crypto.PubkeyToAddress(k.PublicKey))
	}
	var seqAddr common.Address // zero: an L1-only genesis
	if c.opts.Sequencer {
		k, err := crypto.GenerateKey()
		if err != nil {
			return fmt.Errorf("generate sequencer key: %w", err)
		}
		c.SequencerKey, seqAddr = k, crypto.PubkeyToAddress(k.PublicKey)
	}
	g, err := devnet.NewGenesis(addrs, seqAddr, uint64(time.Now().Unix()))
	if err != nil {
		return err
	}
	if g.Rollup != nil {
		g.Rollup.ChallengeWindow, g.Rollup.SequencingWindow = RollupWindow, RollupWindow
	}
	if c.opts.BlockTime != 0 {
		g.BlockTime.Duration = c.opts.BlockTime
	}
	overrideConsensus(&g.Consensus, c.opts.Consensus)
	if c.opts.EditGenesis != nil {
		c.opts.EditGenesis(g)
	}
	g.FillDefaults()
	if err := g.Validate(); err != nil {
		return fmt.Errorf("cluster genesis: %w", err)
	}
	if g.Rollup != nil {
		if err := rollupconfig.Validate(g); err != nil {
			return fmt.Errorf("cluster genesis: %w", err)
		}
	}
	c.Genesis = g
	c.GenesisPath = filepath.Join(c.dir, "genesis.json")
	if err := g.Save(c.GenesisPath); err != nil {
		return fmt.Errorf("write genesis: %w", err)
	}
	c.passwordFile = filepath.Join(c.dir, "password.txt")
	if err := os.WriteFile(c.passwordFile, []byte(password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	return nil
}

// overrideConsensus copies the non-zero timeouts of o into dst.
func overrideConsensus(dst *genesis.Consensus, o genesis.Consensus) {
	set := func(d *genesis.Duration, v genesis.Duration) {
		if v.Duration != 0 {
			*d = v
		}
	}
	set(&dst.TimeoutPropose, o.TimeoutPropose)
	set(&dst.TimeoutProposeDelta, o.TimeoutProposeDelta)
	set(&dst.TimeoutPrevote, o.TimeoutPrevote)
	set(&dst.TimeoutPrevoteDelta, o.TimeoutPrevoteDelta)
	set(&dst.TimeoutPrecommit, o.TimeoutPrecommit)
	set(&dst.TimeoutPrecommitDelta, o.TimeoutPrecommitDelta)
}

// startAll starts nodes concurrently and waits for all of them.
func (c *Cluster) startAll(nodes []*Node) error {
	errs := make(chan error, len(nodes))
	for _, n := range nodes {
		go func() { errs <- n.Start() }()
	}
	var first error
	for range nodes {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Nodes returns every node, in the order they were added.
func (c *Cluster) Nodes() []*Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Node(nil), c.nodes...)
}

// Node returns node i.
func (c *Cluster) Node(i int) *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.nodes[i]
}

// Running returns the nodes whose processes are running.
func (c *Cluster) Running() []*Node {
	var out []*Node
	for _, n := range c.Nodes() {
		if n.Running() {
			out = append(out, n)
		}
	}
	return out
}

// PasswordFile is the key-file password file every node uses.
func (c *Cluster) PasswordFile() string { return c.passwordFile }

// Dir is the cluster's working directory (genesis, data directories, logs).
func (c *Cluster) Dir() string { return c.dir }

// bootnodes returns the p2p addresses of every node but self.
func (c *Cluster) bootnodes(self *Node) []string {
	var out []string
	for _, n := range c.Nodes() {
		if n != self {
			out = append(out, n.P2PAddr())
		}
	}
	return out
}

// repickPorts gives n new free ports after a start failed to bind.
func (c *Cluster) repickPorts(n *Node) error {
	c.mu.Lock()
	p, err := c.ports.pickNodePorts()
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	n.mu.Lock()
	n.ports = p
	n.closeClientsLocked()
	n.mu.Unlock()
	return nil
}

// WaitHeight waits until every running node has committed height h.
func (c *Cluster) WaitHeight(ctx context.Context, h uint64) error {
	for _, n := range c.Running() {
		if err := n.WaitHeight(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// cleanup kills the sequencer, the challenger and every node and, if the
// test failed, prints their logs.
func (c *Cluster) cleanup() {
	if s := c.Sequencer(); s != nil {
		s.shutdown()
	}
	if ch := c.Challenger(); ch != nil {
		ch.shutdown()
	}
	for _, n := range c.Nodes() {
		n.shutdown()
	}
	if c.t.Failed() {
		c.DumpLogs()
	}
}

// DumpLogs prints the tail of every node's log, and the sequencer's and
// the challenger's, through the test's log.
func (c *Cluster) DumpLogs() {
	all := c.Nodes()
	if s := c.Sequencer(); s != nil {
		all = append(all, s)
	}
	if ch := c.Challenger(); ch != nil {
		all = append(all, ch)
	}
	for _, n := range all {
		c.t.Logf("==== last %d lines of %s (%s) ====\n%s", logTailLines, n.Name, n.LogPath, n.LogTail(logTailLines))
	}
}
