package loadgen

import (
	"context"
	"crypto/ecdsa"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/node"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// startNode runs a real single-validator node with an RPC server and
// returns its URL and a funded key.
func startNode(t *testing.T) (string, *ecdsa.PrivateKey) {
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
	vkey, _ := crypto.GenerateKey()
	funder, _ := crypto.GenerateKey()
	g := &genesis.Genesis{ChainID: 1337, Devnet: true, GasLimit: 30_000_000, Timestamp: uint64(time.Now().Unix()) - 10,
		Alloc:      map[common.Address]genesis.Account{crypto.PubkeyToAddress(funder.PublicKey): {Balance: genesis.Ether(1_000_000)}},
		Validators: []genesis.Validator{{Address: crypto.PubkeyToAddress(vkey.PublicKey), Stake: genesis.Ether(100)}}}
	g.BlockTime.Duration = 200 * time.Millisecond
	g.FillDefaults()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Config{Genesis: g, DB: memdb.New(), Network: host, ValidatorKey: vkey, SignerStore: signer.NewMemStore()})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	srv, err := ethrpc.NewServer(n.RPCBackend(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop(context.Background()) })
	return "http://" + srv.Addr(), funder
}

// TestFundPresignRunIncludesEverything drives a real node with a small load
// and checks every transfer is finalized and measured.
func TestFundPresignRunIncludesEverything(t *testing.T) {
	url, funder := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	accounts, err := DeriveAccounts("test", 20)
	if err != nil {
		t.Fatal(err)
	}
	chainID := big.NewInt(1337)
	if err := Fund(ctx, url, chainID, []*ecdsa.PrivateKey{funder}, accounts, big.NewInt(1e18), DefaultFees(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	load, err := Presign(chainID, accounts, 300, DefaultFees(), 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, Config{URLs: []string{url}, WatchURL: url, Rate: 200, Connections: 2, Drain: 20 * time.Second}, load)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 300 || res.SendErrors != 0 || res.Included != 300 {
		t.Fatalf("sent %d, errors %d (%s), included %d; want 300, 0, 300", res.Sent, res.SendErrors, res.FirstError, res.Included)
	}
	if res.FinalizedTPS <= 0 || res.LatencyP50 <= 0 || res.LatencyP99 < res.LatencyP50 || res.Blocks == 0 {
		t.Fatalf("implausible measurement: %+v", res)
	}
}

func TestDeriveAccountsIsRepeatable(t *testing.T) {
	a, _ := DeriveAccounts("x", 3)
	b, _ := DeriveAccounts("x", 3)
	c, _ := DeriveAccounts("y", 3)
	if a[2].Address != b[2].Address || a[2].Address == c[2].Address || a[0].Address == a[1].Address {
		t.Fatal("derivation is not a repeatable function of the seed")
	}
}
