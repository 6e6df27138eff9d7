package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/keyfile"
	"github.com/bilayer/bilayer/node/nodetest"
	"github.com/bilayer/bilayer/rollup/contract"
)

func TestFallbackProposerNeedsAKey(t *testing.T) {
	gen := devGenesis(t, t.TempDir(), nil)
	_, err := runApp("run", "--datadir", t.TempDir(), "--genesis", gen, "--fallback-proposer")
	if err == nil || !strings.Contains(err.Error(), "--fallback-proposer needs --key") {
		t.Fatalf("--fallback-proposer without --key: %v", err)
	}
}

// TestRunAsFallbackProposerPaysAForcedWithdrawal runs "challenger run
// --key --fallback-proposer" in-process against an in-process L1 (200 ms
// blocks, S = 4, sequencer timeout 8, W = 4) whose sequencer never runs.
// A development account forces a withdrawal on the L1 bridge; derivation
// puts it in a deposit-only block, the challenger (development account 9)
// bonds and posts that block as fallback proposer, the batch finalizes and
// the bridge pays the account exactly the amount.
func TestRunAsFallbackProposerPaysAForcedWithdrawal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs an L1 node and the challenger for seconds")
	}
	seqKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	genPath := filepath.Join(dir, "genesis.json")
	l1 := nodetest.Start(t, nil, func(g *genesis.Genesis) {
		dg, err := devnet.NewGenesis([]common.Address{g.Validators[0].Address}, crypto.PubkeyToAddress(seqKey.PublicKey), g.Timestamp)
		if err != nil {
			t.Fatal(err)
		}
		g.Rollup = dg.Rollup
		g.Rollup.SequencingWindow, g.Rollup.ChallengeWindow, g.Rollup.SequencerTimeout = 4, 4, 8
		for a, acc := range dg.Alloc {
			if a != g.Validators[0].Address {
				g.Alloc[a] = acc
			}
		}
	})
	if err := l1.Genesis.Save(genPath); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	l1c, err := ethclient.DialContext(ctx, l1.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer l1c.Close()

	dev, err := devkeys.Get(0)
	if err != nil {
		t.Fatal(err)
	}
	amount := big.NewInt(2e18)
	forcedAt := forceWithdrawal(t, ctx, l1c, dev, amount)
	before, err := l1c.BalanceAt(ctx, dev.Address, new(big.Int).SetUint64(forcedAt))
	if err != nil {
		t.Fatal(err)
	}

	proposer, err := devkeys.Get(devnet.ChallengerAccount)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pwPath := filepath.Join(dir, "key.json"), filepath.Join(dir, "password")
	if err := keyfile.Create(keyPath, proposer.Key, "pw", keyfile.Light); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pwPath, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := startRun(t, filepath.Join(dir, "challenger"), genPath, l1.URL, "--key", keyPath, "--password-file", pwPath, "--fallback-proposer")
	r.client(t, ctx)

	var paid types.Log
	cluster.Await(t, 60*time.Second, func() error {
		logs, err := l1c.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: new(big.Int).SetUint64(forcedAt), Addresses: []common.Address{bridge.Address},
			Topics: [][]common.Hash{{bridge.WithdrawalPaidTopic()}, nil, {common.BytesToHash(dev.Address[:])}}})
		if err != nil {
			return err
		}
		if len(logs) == 0 {
			return fmt.Errorf("no WithdrawalPaid to %s since L1 block %d", dev.Address, forcedAt)
		}
		paid = logs[0]
		return nil
	})
	w, err := bridge.ParseWithdrawalPaid(&paid)
	if err != nil || w.Amount.Cmp(amount) != 0 {
		t.Fatalf("WithdrawalPaid %+v, %v; want %s wei", w, err, amount)
	}
	after, err := l1c.BalanceAt(ctx, dev.Address, new(big.Int).SetUint64(paid.BlockNumber))
	if err != nil {
		t.Fatal(err)
	}
	if got := new(big.Int).Sub(after, before); got.Cmp(amount) != 0 {
		t.Fatalf("the account's L1 balance rose by %s wei, want %s", got, amount)
	}
	ret, err := l1c.CallContract(ctx, ethereum.CallMsg{To: &contract.Address, Data: contract.PackBatch(0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := contract.UnpackBatch(0, ret); err != nil || b.Poster != proposer.Address {
		t.Fatalf("batch 0 %+v, %v: want posted by the challenger %s", b, err, proposer.Address)
	}
	if !strings.Contains(r.logs(), "as fallback proposer") {
		t.Fatalf("the challenger did not log its fallback batch:\n%s", r.logs())
	}
	for _, line := range strings.Split(r.logs(), "\n") {
		if strings.Contains(line, "module=fallback") {
			t.Log(line)
		}
	}
	t.Logf("forced in L1 block %d, paid in L1 block %d", forcedAt, paid.BlockNumber)
	r.stop(t)
}

// forceWithdrawal sends bridge.forceWithdrawal(amount) from dev and returns
// the L1 block that holds it.
func forceWithdrawal(t *testing.T, ctx context.Context, c *ethclient.Client, dev devkeys.Account, amount *big.Int) uint64 {
	t.Helper()
	nonce, err := c.PendingNonceAt(ctx, dev.Address)
	if err != nil {
		t.Fatal(err)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	tip := big.NewInt(1e9)
	tx, err := types.SignNewTx(dev.Key, types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{ChainID: big.NewInt(1337),
		Nonce: nonce, GasTipCap: tip, GasFeeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip), Gas: 200_000,
		To: &bridge.Address, Data: bridge.PackForceWithdrawal(uint256.MustFromBig(amount))})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var r *types.Receipt
	cluster.Await(t, 20*time.Second, func() error {
		var err error
		if r, err = c.TransactionReceipt(ctx, tx.Hash()); err != nil {
			return fmt.Errorf("no receipt for the forced withdrawal: %w", err)
		}
		return nil
	})
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("the forced withdrawal failed on the L1")
	}
	return r.BlockNumber.Uint64()
}
