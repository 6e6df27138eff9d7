// Package nodetest starts a real single-validator L1 node in-process, over
// the in-memory network and an in-memory database, with JSON-RPC on a
// loopback port: the fixture for tests of JSON-RPC clients (the wallet, the
// load generator) that need a chain, not a cluster.
package nodetest

import (
	"context"
	"crypto/ecdsa"
	"log/slog"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Node is a running single-validator node.
type Node struct {
	// URL is the node's JSON-RPC URL (HTTP; ws:// on the same address).
	URL string
	// Node is the node itself.
	Node *node.Node
	// Genesis is the chain's genesis.
	Genesis *genesis.Genesis
	// ValidatorKey is the sole validator's key.
	ValidatorKey *ecdsa.PrivateKey
}

// Start runs a node whose genesis funds alloc (address → ether) and has
// 200 ms blocks; edit, if set, changes the genesis before it is validated.
// It waits for block 1. Everything stops when the test ends.
func Start(t testing.TB, alloc map[common.Address]int64, edit func(*genesis.Genesis)) *Node {
	t.Helper()
	return StartWithPool(t, alloc, edit, txpool.Config{})
}

// StartWithPool is Start with the node's pool bounded by mempool (zero:
// node.DefaultMempool).
func StartWithPool(t testing.TB, alloc map[common.Address]int64, edit func(*genesis.Genesis), mempool txpool.Config) *Node {
	t.Helper()
	net, err := memnet.New(memnet.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { net.Close() })
	host, err := net.NewHost("v0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	key, err := crypto.ToECDSA(common.LeftPadBytes([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	gen := &genesis.Genesis{ChainID: 1337, Devnet: true, GasLimit: 30_000_000, Timestamp: uint64(time.Now().Unix()) - 10,
		Alloc:      map[common.Address]genesis.Account{},
		Validators: []genesis.Validator{{Address: crypto.PubkeyToAddress(key.PublicKey), Stake: genesis.Ether(100)}}}
	for a, eth := range alloc {
		gen.Alloc[a] = genesis.Account{Balance: genesis.Ether(eth)}
	}
	gen.BlockTime.Duration = 200 * time.Millisecond
	if edit != nil {
		edit(gen)
	}
	gen.FillDefaults()
	if err := gen.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	n, err := node.New(node.Config{Genesis: gen, DB: memdb.New(), Network: host, ValidatorKey: key,
		SignerStore: signer.NewMemStore(), Logger: logger, Mempool: mempool})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	srv, err := ethrpc.NewServer(n.RPCBackend(), logger)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("bilayer", n.API()); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
	})
	h := &Node{URL: "http://" + srv.Addr(), Node: n, Genesis: gen, ValidatorKey: key}
	h.WaitBlock(t, 1)
	return h
}

// WaitBlock waits, up to 20 s, until the node has committed block b.
func (h *Node) WaitBlock(t testing.TB, b uint64) {
	t.Helper()
	c, err := ethclient.Dial(h.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := c.BlockNumber(context.Background())
		if err == nil && n >= b {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not commit block %d within 20s (head %d, %v)", b, n, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
