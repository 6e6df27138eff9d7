package node

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// memCluster runs validators in one process over memnet.
type memCluster struct {
	t      *testing.T
	net    *memnet.Network
	gen    *genesis.Genesis
	keys   []*ecdsa.PrivateKey
	user   *ecdsa.PrivateKey
	nodes  []*Node
	dbs    []store.Store
	hosts  []*memnet.Host
	guards map[int]*signer.MemStore
	// devEquivocate marks validators that equivocate on purpose.
	devEquivocate map[int]bool
	// configure, if set, edits validator i's configuration before it starts.
	configure func(i int, cfg *Config)
}

// sendTransfers signs transfers of 1 wei to 0xdead from the cluster's user with
// nonces from `from` to until-1, submits them to validator i's JSON-RPC
// backend, and returns the last.
func (c *memCluster) sendTransfers(t *testing.T, i int, from, until uint64) *types.Transaction {
	t.Helper()
	to := common.HexToAddress("0xdead")
	signer := types.LatestSignerForChainID(big.NewInt(1337))
	var last *types.Transaction
	for nonce := from; nonce < until; nonce++ {
		tx, err := types.SignNewTx(c.user, signer, &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: nonce,
			GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 21000, To: &to, Value: big.NewInt(1)})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.nodes[i].RPCBackend().SendTransaction(context.Background(), tx); err != nil {
			t.Fatalf("transfer %d: %v", nonce, err)
		}
		last = tx
	}
	return last
}

func testKey(i int) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(1000+i)).Bytes(), 32))
	if err != nil {
		panic(err)
	}
	return k
}

func newMemCluster(t *testing.T, validators int) *memCluster {
	t.Helper()
	return newMemClusterWith(t, validators, nil)
}

// newMemClusterWith lets a test change the genesis before it is validated.
func newMemClusterWith(t *testing.T, validators int, mutate func(*genesis.Genesis)) *memCluster {
	t.Helper()
	net, err := memnet.New(memnet.Config{Seed: 1, MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := &memCluster{t: t, net: net, user: testKey(999)}
	c.gen, c.keys = newTestGenesis(t, validators, c.user, mutate)
	t.Cleanup(c.stop)
	return c
}

// newTestGenesis is the genesis of the test clusters: validators with keys
// testKey(0..validators-1) and 100 ETH of stake each, user funded, 200 ms
// blocks; mutate changes it before it is validated.
func newTestGenesis(t *testing.T, validators int, user *ecdsa.PrivateKey, mutate func(*genesis.Genesis)) (*genesis.Genesis, []*ecdsa.PrivateKey) {
	t.Helper()
	g := &genesis.Genesis{ChainID: 1337, Devnet: true, GasLimit: 30_000_000, Timestamp: uint64(time.Now().Unix()) - 10,
		Alloc: map[common.Address]genesis.Account{crypto.PubkeyToAddress(user.PublicKey): {Balance: genesis.Ether(100)}}}
	g.BlockTime.Duration = 200 * time.Millisecond
	g.Consensus = genesis.DefaultConsensus()
	g.Consensus.TimeoutPropose.Duration = 600 * time.Millisecond
	var keys []*ecdsa.PrivateKey
	for i := range validators {
		k := testKey(i)
		keys = append(keys, k)
		g.Validators = append(g.Validators, genesis.Validator{Address: crypto.PubkeyToAddress(k.PublicKey), Stake: genesis.Ether(100)})
	}
	if mutate != nil {
		mutate(g)
	}
	g.FillDefaults()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g, keys
}

// start adds a node: a validator with key i, or a full node for i < 0.
func (c *memCluster) start(i int, db store.Store) *Node {
	c.t.Helper()
	id := p2p.PeerID(fmt.Sprintf("node-%d-%d", i, len(c.nodes)))
	host, err := c.net.NewHost(id)
	if err != nil {
		c.t.Fatal(err)
	}
	c.net.ConnectAll()
	cfg := Config{Genesis: c.gen, DB: db, Network: host,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", id)}
	if i >= 0 {
		if c.guards == nil {
			c.guards = map[int]*signer.MemStore{}
		}
		if c.guards[i] == nil {
			c.guards[i] = signer.NewMemStore()
		}
		cfg.ValidatorKey, cfg.SignerStore = c.keys[i], c.guards[i]
		cfg.DevEquivocate = c.devEquivocate[i]
		if c.configure != nil {
			c.configure(i, &cfg)
		}
	}
	n, err := New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.nodes = append(c.nodes, n)
	c.dbs = append(c.dbs, db)
	c.hosts = append(c.hosts, host)
	return n
}

func (c *memCluster) stop() {
	for _, n := range c.nodes {
		n.Stop()
	}
	for _, h := range c.hosts {
		h.Close()
	}
	c.net.Close()
}

// waitFor polls cond until it holds or the deadline passes. Inside a
// synctest bubble both the deadline and the polling interval are virtual.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	waitfor.Until(t, timeout, func() error {
		if cond() {
			return nil
		}
		return fmt.Errorf("waiting for %s", what)
	})
}

func TestFourValidatorsCommitTheSameChain(t *testing.T) {
	c := newMemCluster(t, 4)
	for i := range 4 {
		c.start(i, memdb.New())
	}
	waitFor(t, 30*time.Second, "height 5 on every node", func() bool {
		for _, n := range c.nodes {
			if n.Chain().Head().Number() < 5 {
				return false
			}
		}
		return true
	})
	for h := uint64(1); h <= 5; h++ {
		want, err := c.nodes[0].Chain().BlockByNumber(h)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range c.nodes[1:] {
			got, err := n.Chain().BlockByNumber(h)
			if err != nil || got.Hash() != want.Hash() {
				t.Fatalf("node %d holds another block at height %d", i+1, h)
			}
		}
	}

	// A transfer through the RPC backend of node 2 is committed everywhere.
	to := common.HexToAddress("0xdead")
	tx, err := types.SignNewTx(c.user, types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1337), Nonce: 0, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 21000, To: &to, Value: big.NewInt(12345)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.nodes[2].RPCBackend().SendTransaction(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the transfer on every node", func() bool {
		for _, n := range c.nodes {
			if _, err := n.Chain().TxLocation(tx.Hash()); err != nil {
				return false
			}
		}
		return true
	})
	for i, n := range c.nodes {
		st, err := n.Chain().HeadState()
		if err != nil {
			t.Fatal(err)
		}
		if st.GetBalance(to).Uint64() != 12345 {
			t.Fatalf("node %d: recipient balance %s", i, st.GetBalance(to))
		}
	}

	// A full node started now syncs from genesis and follows.
	full := c.start(-1, memdb.New())
	target := c.nodes[0].Chain().Head().Number() + 2
	// The full node may sync block target from another validator before
	// validator 0 commits it: wait for both.
	waitFor(t, 30*time.Second, "the full node to catch up", func() bool {
		return full.Chain().Head().Number() >= target && c.nodes[0].Chain().Head().Number() >= target
	})
	b, err := full.Chain().BlockByNumber(target)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := c.nodes[0].Chain().BlockByNumber(target)
	if err != nil {
		t.Fatalf("validator 0's block %d: %v", target, err)
	}
	if ref.Hash() != b.Hash() {
		t.Fatalf("full node diverged at %d: %s, validator 0 has %s", target, b.Hash(), ref.Hash())
	}
}

func (c *memCluster) heads() []uint64 {
	var out []uint64
	for _, n := range c.nodes {
		out = append(out, n.Chain().Head().Number())
	}
	return out
}

// TestPartitionHaltsThenHeals splits four equal validators 2/2: neither side
// has 2/3, so nothing commits; after healing both sides continue on one
// chain. It runs on virtual time (a synctest bubble): the waits below cost
// no wall time and a slow machine cannot make it flaky.
func TestPartitionHaltsThenHeals(t *testing.T) {
	synctest.Test(t, testPartitionHaltsThenHeals)
}

func testPartitionHaltsThenHeals(t *testing.T) {
	c := newMemCluster(t, 4)
	for i := range 4 {
		c.start(i, memdb.New())
	}
	waitFor(t, 30*time.Second, "height 2", func() bool { return c.nodes[0].Chain().Head().Number() >= 2 })
	ids := func(idx ...int) []p2p.PeerID {
		var out []p2p.PeerID
		for _, i := range idx {
			out = append(out, c.nodes[i].net.ID())
		}
		return out
	}
	c.net.Partition(ids(0, 1), ids(2, 3))
	// Let whatever was in flight land, then the heads must stay put.
	var frozen []uint64
	waitFor(t, 10*time.Second, "heads to stop moving", func() bool {
		frozen = c.heads()
		return holdFor(4*c.gen.BlockTime.Duration, func() error {
			if now := c.heads(); !slices.Equal(now, frozen) {
				return fmt.Errorf("heads moved: %v -> %v", frozen, now)
			}
			return nil
		}) == nil
	})
	if err := holdFor(5*c.gen.BlockTime.Duration, func() error {
		for i, h := range c.heads() {
			if h != frozen[i] {
				return fmt.Errorf("node %d committed during a 2/2 partition: %d -> %d", i, frozen[i], h)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.net.Heal()
	target := max(frozen[0], frozen[2]) + 3
	waitFor(t, 60*time.Second, "progress after healing", func() bool {
		for _, h := range c.heads() {
			if h < target {
				return false
			}
		}
		return true
	})
	for h := uint64(1); h <= target; h++ {
		want, _ := c.nodes[0].Chain().BlockByNumber(h)
		for i, n := range c.nodes[1:] {
			got, err := n.Chain().BlockByNumber(h)
			if err != nil || got.Hash() != want.Hash() {
				t.Fatalf("node %d diverged at height %d", i+1, h)
			}
		}
	}
}

// TestRestartResumesFromItsDatabase stops a validator and starts it again on
// the same database and signer state: it resumes at its head, catches up and
// the others never stop. It runs on virtual time (a synctest bubble).
func TestRestartResumesFromItsDatabase(t *testing.T) {
	synctest.Test(t, testRestartResumesFromItsDatabase)
}

func testRestartResumesFromItsDatabase(t *testing.T) {
	c := newMemCluster(t, 4)
	dbs := make([]store.Store, 4)
	for i := range 4 {
		dbs[i] = memdb.New()
		c.start(i, dbs[i])
	}
	waitFor(t, 30*time.Second, "height 3", func() bool { return c.nodes[3].Chain().Head().Number() >= 3 })
	c.nodes[3].Stop()
	c.hosts[3].Close()
	stoppedAt := c.nodes[3].Chain().Head().Number()
	waitFor(t, 30*time.Second, "the other three to go on", func() bool { return c.nodes[0].Chain().Head().Number() >= stoppedAt+3 })

	host, err := c.net.NewHost("node-3-restarted")
	if err != nil {
		t.Fatal(err)
	}
	c.net.ConnectAll()
	n, err := New(Config{Genesis: c.gen, DB: dbs[3], Network: host, ValidatorKey: c.keys[3], SignerStore: c.guards[3],
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Chain().Head().Number(); got != stoppedAt {
		t.Fatalf("restarted at %d, stopped at %d", got, stoppedAt)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	c.nodes = append(c.nodes, n)
	c.hosts = append(c.hosts, host)
	target := c.nodes[0].Chain().Head().Number() + 2
	waitFor(t, 30*time.Second, "the restarted node to catch up", func() bool { return n.Chain().Head().Number() >= target })
}
