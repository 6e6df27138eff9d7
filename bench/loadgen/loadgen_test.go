package loadgen

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/node"
	"github.com/bilayer/bilayer/node/nodetest"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
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
	load, err := Presign(chainID, accounts, 300, DefaultFees(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A metrics endpoint that does not answer leaves the measurement
	// whole and says why the heights are missing.
	res, err := Run(ctx, Config{URLs: []string{url}, WatchURL: url, Rate: 200, Connections: 2, Drain: 20 * time.Second,
		HeightsFrom: "http://127.0.0.1:1/metrics", CPU: map[string]int{"node": os.Getpid()}}, load)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != 300 || res.SendErrors != 0 || res.Included != 300 {
		t.Fatalf("sent %d, errors %d (%s), included %d; want 300, 0, 300", res.Sent, res.SendErrors, res.FirstError, res.Included)
	}
	if res.FinalizedTPS <= 0 || res.LatencyP50 <= 0 || res.LatencyP99 < res.LatencyP50 || res.Blocks == 0 {
		t.Fatalf("implausible measurement: %+v", res)
	}
	// The node runs in this process: it used CPU over the send window and
	// from the first send to the last inclusion.
	if res.CPU["node"] <= 0 || res.CPUThroughDrain["node"] <= 0 {
		t.Fatalf("CPU over the window %v, through the drain %v", res.CPU, res.CPUThroughDrain)
	}
	if res.Heights != nil || !strings.Contains(res.HeightsError, "127.0.0.1:1") {
		t.Fatalf("heights from a closed port: %+v, error %q", res.Heights, res.HeightsError)
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

// TestFanOutFundsThroughHubs funds more accounts than one funder may have
// pending (perSender 4), so hubs fund hubs, and checks that every account
// can spend and that the hubs' nonces were read back (a hub sends at most
// perSender per level, one level after another).
func TestFanOutFundsThroughHubs(t *testing.T) {
	url, funder := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	accounts, err := DeriveAccounts("fanout", 30)
	if err != nil {
		t.Fatal(err)
	}
	amount := big.NewInt(1e17)
	if err := FanOut(ctx, url, big.NewInt(1337), []*ecdsa.PrivateKey{funder}, accounts, amount, DefaultFees(), 4, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	hubs := 0
	for _, a := range accounts {
		if a.Nonce > 8 {
			t.Fatalf("account %s sent %d transfers; want at most perSender (4) in each of the two hub levels", a.Address, a.Nonce)
		}
		if a.Nonce > 0 {
			hubs++
		}
	}
	if hubs == 0 {
		t.Fatal("no account was used as a hub")
	}
	// Every account can spend: a load over all of them is included.
	load, err := Presign(big.NewInt(1337), accounts, 60, DefaultFees(), 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, Config{URLs: []string{url}, WatchURL: url, Rate: 100, Connections: 2, Drain: 20 * time.Second}, load)
	if err != nil {
		t.Fatal(err)
	}
	if res.Included != 60 || res.SendErrors != 0 {
		t.Fatalf("included %d/60, send errors %d (%s)", res.Included, res.SendErrors, res.FirstError)
	}
}

// TestPresignToGivenRecipients: with recipients given, every transfer goes
// to one of them, and the draw covers more than one.
func TestPresignToGivenRecipients(t *testing.T) {
	accounts, _ := DeriveAccounts("r", 5)
	recipients := []common.Address{{1}, {2}, {3}}
	l, err := Presign(big.NewInt(1338), accounts, 300, DefaultFees(), 9, recipients)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[common.Address]int{}
	for _, txs := range l.perAccount {
		for _, s := range txs {
			tx := new(types.Transaction)
			if err := tx.UnmarshalBinary(s.raw); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(recipients, *tx.To()) {
				t.Fatalf("transfer to %s, not one of the recipients", tx.To())
			}
			seen[*tx.To()]++
		}
	}
	if len(seen) != len(recipients) {
		t.Fatalf("300 transfers reached %d of %d recipients: %v", len(seen), len(recipients), seen)
	}
}

func TestPresignIsRepeatable(t *testing.T) {
	sign := func() *Load {
		accounts, _ := DeriveAccounts("p", 7)
		l, err := Presign(big.NewInt(1338), accounts, 1000, DefaultFees(), 3, nil)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, b := sign(), sign()
	if a.Len() != 1000 || b.Len() != 1000 {
		t.Fatalf("lengths %d, %d", a.Len(), b.Len())
	}
	for i := range a.perAccount {
		for j := range a.perAccount[i] {
			if a.perAccount[i][j].hash != b.perAccount[i][j].hash {
				t.Fatalf("account %d tx %d differs between two presigns with one seed", i, j)
			}
		}
		if got := len(a.perAccount[i]); got != 1000/7 && got != 1000/7+1 {
			t.Fatalf("account %d has %d transfers", i, got)
		}
	}
}

// TestRunOffersRefusedTransactionsAgain: against a node whose pool holds
// only 16 transactions, transfers refused because the pool is full are
// offered again until taken, so no account's load is cut short: apart from
// at most one refused transfer per account when sending stops, everything
// offered is accepted and finalized.
func TestRunOffersRefusedTransactionsAgain(t *testing.T) {
	funder, _ := crypto.GenerateKey()
	pool := node.DefaultMempool()
	pool.MaxTxs = 16
	n := nodetest.StartWithPool(t, map[common.Address]int64{crypto.PubkeyToAddress(funder.PublicKey): 1_000_000}, nil, pool)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const accountsN = 10
	accounts, err := DeriveAccounts("retry", accountsN)
	if err != nil {
		t.Fatal(err)
	}
	chainID := big.NewInt(1337)
	if err := Fund(ctx, n.URL, chainID, []*ecdsa.PrivateKey{funder}, accounts, big.NewInt(1e18), DefaultFees(), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	load, err := Presign(chainID, accounts, 300, DefaultFees(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, Config{URLs: []string{n.URL}, WatchURL: n.URL, Rate: 150, Connections: 2, Drain: 20 * time.Second}, load)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sent %d, refusals %d (%s), included %d", res.Sent, res.SendErrors, res.FirstError, res.Included)
	if res.SendErrors == 0 || !strings.Contains(res.FirstError, "txpool is full") {
		t.Fatalf("no pool-full refusal with a 16-transaction pool: %+v", res)
	}
	// An account whose refused transfer were dropped could be refused
	// once only.
	if res.SendErrors <= accountsN {
		t.Fatalf("%d refusals over %d accounts: refused transfers were not offered again", res.SendErrors, accountsN)
	}
	if res.Sent+res.Unsent != 300 {
		t.Fatalf("sent %d + unsent %d, want the load's 300", res.Sent, res.Unsent)
	}
	if res.Unsent > 0 && !res.Partial() {
		t.Fatalf("%d transfers never offered, yet the result is not partial: the next load would leave a nonce gap", res.Unsent)
	}
	if res.Included < res.Sent-accountsN || res.Included < 40 {
		t.Fatalf("included %d of %d offered: refused transfers were not offered again", res.Included, res.Sent)
	}
}

// TestResultPartial: a step whose load was not all included, or not all
// offered, needs the accounts' nonces read again.
func TestResultPartial(t *testing.T) {
	for _, c := range []struct {
		r    Result
		want bool
	}{
		{Result{Sent: 10, Included: 10}, false},
		{Result{Sent: 10, Included: 9}, true},
		{Result{Sent: 10, Included: 10, Unsent: 3}, true},
	} {
		if got := c.r.Partial(); got != c.want {
			t.Errorf("%+v: partial %v, want %v", c.r, got, c.want)
		}
	}
}
