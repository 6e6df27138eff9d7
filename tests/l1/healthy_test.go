package l1_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestHealthyCluster runs the scenarios that leave the cluster whole on one
// four-validator cluster, one after the other.
func TestHealthyCluster(t *testing.T) {
	skipShort(t)
	t.Parallel()
	c := newCluster(t)
	steps := []struct {
		name string
		run  func(*testing.T, *cluster.Cluster)
	}{
		{"HeightsAdvanceAndEveryNodeHasTheSameHashes", testHeightsAndHashes},
		{"TransferCommitsOnEveryNode", testTransfer},
		{"BadTransactionsAreRefused", testBadTransactions},
		{"LateFullNodeSyncsFromGenesis", testLateFullNode},
		{"PeerOnAnotherGenesisIsDropped", testForeignGenesisPeer},
		{"IsolatedValidatorCatchesUpAfterRejoin", testIsolateRejoin},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, c) }) {
			t.FailNow() // later steps assume a healthy cluster
		}
	}
}

// testHeightsAndHashes: heights advance at about one block per block time
// and all four nodes return the same hash at every height.
func testHeightsAndHashes(t *testing.T, c *cluster.Cluster) {
	ctx := testCtx(t, 90*time.Second)
	nodes := c.Nodes()
	if err := waitAll(ctx, nodes, 2); err != nil {
		t.Fatal(err)
	}
	const blocks = 8
	start, err := nodes[0].Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := nodes[0].WaitHeight(ctx, start+blocks); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(began)
	// The wait starts anywhere within a block interval: at least blocks-1
	// intervals pass. A loaded machine may lose a round now and then, so
	// the upper bound is loose; it still catches a stalled or crawling
	// chain.
	if lo, hi := (blocks-1)*blockTime*8/10, blocks*blockTime*3; elapsed < lo || elapsed > hi {
		t.Fatalf("%d blocks took %s, want about %s (between %s and %s)", blocks, elapsed, blocks*blockTime, lo, hi)
	}
	t.Logf("%d blocks in %s (block time %s)", blocks, elapsed, blockTime)
	if err := waitAll(ctx, nodes, start+blocks); err != nil {
		t.Fatal(err)
	}
	if err := checkSameChain(ctx, nodes, 0, start+blocks); err != nil {
		t.Fatal(err)
	}
}

// signer signs dev-account transactions for the cluster's chain.
func signer(c *cluster.Cluster) types.Signer {
	return types.LatestSignerForChainID(new(big.Int).SetUint64(c.Genesis.ChainID))
}

// transferTx builds a signed dynamic-fee transfer from key, with fees the
// node suggests.
func transferTx(ctx context.Context, n *cluster.Node, s types.Signer, key *ecdsa.PrivateKey, to common.Address, value *big.Int) (*types.Transaction, error) {
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := n.Client().PendingNonceAt(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("nonce of %s: %w", from, err)
	}
	tip, err := n.Client().SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("suggest tip: %w", err)
	}
	head, err := n.Client().HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("head header: %w", err)
	}
	feeCap := new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)
	return types.SignNewTx(key, s, &types.DynamicFeeTx{ChainID: s.ChainID(), Nonce: nonce, GasTipCap: tip,
		GasFeeCap: feeCap, Gas: 21_000, To: &to, Value: value})
}

// testTransfer: a transfer built and sent with ethclient from a funded dev
// account commits; the receipt and both balances are visible on all four
// nodes.
func testTransfer(t *testing.T, c *cluster.Cluster) {
	ctx := testCtx(t, 60*time.Second)
	nodes := c.Nodes()
	dev, err := devkeys.Get(0)
	if err != nil {
		t.Fatal(err)
	}
	recipient := crypto.PubkeyToAddress(mustKey(t).PublicKey)
	value := big.NewInt(1_234_567_890_000)
	tx, err := transferTx(ctx, nodes[1], signer(c), dev.Key, recipient, value)
	if err != nil {
		t.Fatal(err)
	}
	if err := nodes[1].Client().SendTransaction(ctx, tx); err != nil {
		t.Fatalf("send transfer through %s: %v", nodes[1].Name, err)
	}
	receipts := make([]*types.Receipt, len(nodes))
	cluster.Await(t, 30*time.Second, func() error {
		for i, n := range nodes {
			if receipts[i] != nil {
				continue
			}
			r, err := n.Client().TransactionReceipt(ctx, tx.Hash())
			if err != nil {
				return fmt.Errorf("%s: receipt of %s: %w", n.Name, tx.Hash(), err)
			}
			receipts[i] = r
		}
		return nil
	})
	r := receipts[0]
	if r.Status != types.ReceiptStatusSuccessful || r.GasUsed != 21_000 {
		t.Fatalf("receipt: status %d, gas used %d; want success and 21000", r.Status, r.GasUsed)
	}
	fee := new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
	for i, n := range nodes {
		if got := receipts[i]; got.BlockHash != r.BlockHash || got.BlockNumber.Cmp(r.BlockNumber) != 0 || got.TxHash != tx.Hash() {
			t.Fatalf("%s: receipt in block %d (%s), %s: in block %d (%s)", nodes[0].Name, r.BlockNumber, r.BlockHash, n.Name, got.BlockNumber, got.BlockHash)
		}
		if got, err := n.Client().BalanceAt(ctx, recipient, r.BlockNumber); err != nil || got.Cmp(value) != 0 {
			t.Fatalf("%s: recipient balance %v (err %v), want %s", n.Name, got, err, value)
		}
		before, err := n.Client().BalanceAt(ctx, dev.Address, new(big.Int).Sub(r.BlockNumber, big.NewInt(1)))
		if err != nil {
			t.Fatal(err)
		}
		after, err := n.Client().BalanceAt(ctx, dev.Address, r.BlockNumber)
		if err != nil {
			t.Fatal(err)
		}
		if want := new(big.Int).Sub(new(big.Int).Sub(before, value), fee); after.Cmp(want) != 0 {
			t.Fatalf("%s: sender balance %s after the transfer, want %s - %s - fee %s = %s", n.Name, after, before, value, fee, want)
		}
	}
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
