package loadgen

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"testing"
	"time"

	"github.com/bilayer/bilayer/node/nodetest"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// startNode runs a real single-validator node with an RPC server and
// returns its URL and a funded key.
func startNode(t *testing.T) (string, *ecdsa.PrivateKey) {
	t.Helper()
	funder, _ := crypto.GenerateKey()
	n := nodetest.Start(t, map[common.Address]int64{crypto.PubkeyToAddress(funder.PublicKey): 1_000_000}, nil)
	return n.URL, funder
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
