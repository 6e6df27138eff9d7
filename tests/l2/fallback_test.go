package l2_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/sequencer"
)

// The short rollup windows of TestFallbackProposerPaysForcedWithdrawal, in
// L1 blocks (1 s each).
const (
	fallbackSeqWindow = 6  // S: a forced operation's deposit-only block exists S blocks after it
	fallbackTimeout   = 10 // the sequencer timeout: then the challenger may post
	fallbackChallenge = 6  // W: then the batch is final and its withdrawals paid
)

// TestFallbackProposerPaysForcedWithdrawal: a cluster (a validator, a full
// node, the sequencer, and a challenger with development account 9's key
// and --fallback-proposer) with S = 6, a sequencer timeout of 10 and
// W = 6. Once the sequencer has posted, an L2 transfer gets its receipt
// and the sequencer is stopped for good. A development account forces a
// withdrawal of 1 ETH on the L1 bridge: derivation puts it in a
// deposit-only block, the challenger posts that block as fallback proposer
// (its log says so, the batch names it as poster), the batch finalizes and
// the bridge pays: a WithdrawalPaid to the account for the amount, its L1
// balance up by exactly that. Then the sequencer returns on its old data
// directory: it follows the chain the L1 now holds (its safe head passes
// the fallback's blocks with the L1's hashes) and posts again after them,
// and the challenger agrees with every posted output.
func TestFallbackProposerPaysForcedWithdrawal(t *testing.T) {
	skipShort(t)
	start := time.Now()
	if _, err := cluster.Binary("challenger"); err != nil {
		t.Fatal(err)
	}
	proposer := devAccount(t, devnet.ChallengerAccount)
	c := cluster.New(t, cluster.Options{Validators: 1, FullNodes: 1, BlockTime: l1BlockTime, Sequencer: true, Challenger: true,
		ChallengerKey: proposer.Key, ChallengerArgs: []string{"--fallback-proposer"},
		EditGenesis: func(g *genesis.Genesis) {
			g.Rollup.SequencingWindow, g.Rollup.SequencerTimeout, g.Rollup.ChallengeWindow = fallbackSeqWindow, fallbackTimeout, fallbackChallenge
		}})
	r := c.Genesis.Rollup
	e := &env{c: c, l1: c.Node(0), seq: c.Sequencer(), ch: c.Challenger(),
		l1Signer: types.LatestSignerForChainID(new(big.Int).SetUint64(c.Genesis.ChainID)),
		l2Signer: types.LatestSignerForChainID(new(big.Int).SetUint64(r.L2ChainID))}
	seqAddr := crypto.PubkeyToAddress(c.SequencerKey.PublicKey)
	ctx := testCtx(t, 3*time.Minute)

	// The sequencer posts, then makes a block it has not posted yet, and
	// stops.
	cluster.Await(t, 30*time.Second, func() error {
		la, err := e.lastAccepted(ctx, nil)
		if err != nil {
			return err
		}
		if la.Number == 0 {
			return errors.New("the sequencer has not posted a batch yet")
		}
		return nil
	})
	tx, err := transfer(ctx, e.l2(), e.l2Signer, devAccount(t, 1).Key, freshAddress(t), big.NewInt(1e15))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l2().SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	if _, err := waitReceipt(ctx, e.l2(), tx.Hash()); err != nil {
		t.Fatal(err)
	}
	if err := e.seq.Stop(); err != nil {
		t.Fatal(err)
	}
	stoppedAt, err := e.l1.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sequencer stopped at L1 block %d, %s in", stoppedAt, time.Since(start).Round(time.Millisecond))

	// A forced withdrawal on the L1, paid through the fallback proposer.
	dev := devAccount(t, 2)
	amount := big.NewInt(1e18)
	forcedAt := e.forceWithdrawal(t, ctx, dev, amount)
	before, err := e.l1c().BalanceAt(ctx, dev.Address, big64(forcedAt))
	if err != nil {
		t.Fatal(err)
	}
	var paid types.Log
	cluster.Await(t, 75*time.Second, func() error {
		logs, err := e.l1c().FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big64(forcedAt), Addresses: []common.Address{bridge.Address},
			Topics: [][]common.Hash{{bridge.WithdrawalPaidTopic()}, nil, {common.BytesToHash(dev.Address[:])}}})
		if err != nil {
			return err
		}
		if len(logs) == 0 {
			la, err := e.lastAccepted(ctx, nil)
			return fmt.Errorf("no WithdrawalPaid to %s since L1 block %d (the contract accepts up to L2 block %d, err %v)",
				dev.Address, forcedAt, la.Number, err)
		}
		paid = logs[0]
		return nil
	})
	w, err := bridge.ParseWithdrawalPaid(&paid)
	if err != nil || w.Amount.Cmp(amount) != 0 || w.To != dev.Address {
		t.Fatalf("WithdrawalPaid %+v, %v; want %s wei to %s", w, err, amount, dev.Address)
	}
	after, err := e.l1c().BalanceAt(ctx, dev.Address, big64(paid.BlockNumber))
	if err != nil {
		t.Fatal(err)
	}
	if got := new(big.Int).Sub(after, before); got.Cmp(amount) != 0 {
		t.Fatalf("the account's L1 balance rose by %s wei from L1 block %d to %d, want %s", got, forcedAt, paid.BlockNumber, amount)
	}
	fb := e.fallbackBatches(t, ctx, proposer.Address)
	if len(fb) == 0 {
		t.Fatal("no accepted batch names the challenger as its poster")
	}
	logs, err := e.ch.Logs()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs, "as fallback proposer") {
		t.Fatal(`the challenger's log does not say "… as fallback proposer"`)
	}
	e.challengerFollowsForcedExit(t, ctx, dev, forcedAt, paid.BlockNumber)
	lastFallback := fb[len(fb)-1].LastBlock()
	t.Logf("forced in L1 block %d, paid in L1 block %d (%s in); the challenger posted L2 blocks %d-%d",
		forcedAt, paid.BlockNumber, time.Since(start).Round(time.Millisecond), fb[0].FirstBlock, lastFallback)

	// The sequencer returns: it follows the L1's chain and posts after it.
	if err := e.seq.Start(); err != nil {
		t.Fatal(err)
	}
	cluster.Await(t, 45*time.Second, func() error {
		st, err := e.seq.SyncStatus(ctx)
		if err != nil {
			return err
		}
		if uint64(st.SafeL2.Number) <= uint64(lastFallback) {
			return fmt.Errorf("the returned sequencer's safe head is %d, want past the fallback's block %d", st.SafeL2.Number, lastFallback)
		}
		ret, err := e.rollupView(ctx, contract.PackBatchCount(), nil)
		if err != nil {
			return err
		}
		n, err := contract.UnpackBatchCount(ret)
		if err != nil {
			return err
		}
		b, err := e.batch(ctx, n-1)
		if err != nil {
			return err
		}
		if b.Poster != seqAddr || b.FirstBlock <= lastFallback {
			return fmt.Errorf("the newest batch %d (L2 blocks %d-%d) was posted by %s, want the sequencer %s after block %d",
				n-1, b.FirstBlock, b.LastBlock(), b.Poster, seqAddr, lastFallback)
		}
		return nil
	})
	safe := e.waitSequencerSafe(t, ctx, uint64(lastFallback)+1, 10*time.Second)
	e.waitVerified(t, ctx, safe, 45*time.Second)
	if err := e.compareChains(ctx, 1, safe); err != nil {
		t.Fatal(err)
	}
	seqLogs, err := e.seq.Logs()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the sequencer followed the L1 (re-sequencing its own unposted blocks: %v) and posted again: safe head %d; %s in all",
		strings.Contains(seqLogs, "did not post (a fallback proposer's"), safe, time.Since(start).Round(time.Millisecond))
}

// forceWithdrawal sends bridge.forceWithdrawal(amount) from dev on the L1
// and returns the L1 block that holds it.
func (e *env) forceWithdrawal(t *testing.T, ctx context.Context, dev devkeys.Account, amount *big.Int) uint64 {
	t.Helper()
	nonce, err := e.l1c().PendingNonceAt(ctx, dev.Address)
	if err != nil {
		t.Fatal(err)
	}
	f, err := suggestFees(ctx, e.l1c())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := signDynamic(e.l1Signer, dev.Key, nonce, f, 200_000, bridge.Address, nil, bridge.PackForceWithdrawal(uint256.MustFromBig(amount)))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.l1c().SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	r, err := waitReceipt(ctx, e.l1c(), tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatalf("forceWithdrawal failed on the L1 (block %d)", r.BlockNumber)
	}
	return r.BlockNumber.Uint64()
}

// batch reads the contract's record of accepted batch i.
func (e *env) batch(ctx context.Context, i uint64) (contract.BatchInfo, error) {
	ret, err := e.rollupView(ctx, contract.PackBatch(i), nil)
	if err != nil {
		return contract.BatchInfo{}, err
	}
	return contract.UnpackBatch(i, ret)
}

// fallbackBatches returns the accepted batches poster posted, in order.
func (e *env) fallbackBatches(t *testing.T, ctx context.Context, poster common.Address) []contract.BatchInfo {
	t.Helper()
	ret, err := e.rollupView(ctx, contract.PackBatchCount(), nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := contract.UnpackBatchCount(ret)
	if err != nil {
		t.Fatal(err)
	}
	var out []contract.BatchInfo
	for i := range n {
		b, err := e.batch(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		if b.Poster == poster {
			out = append(out, b)
		}
	}
	return out
}

// challengerFollowsForcedExit checks that, with the sequencer gone, the
// challenger's RPC answers rollup_depositStatus and rollup_withdrawalStatus
// for a forced withdrawal (operation 0 of L1 block forcedAt) from the chain
// it derived: applied, then paid in L1 block paidAt.
func (e *env) challengerFollowsForcedExit(t *testing.T, ctx context.Context, dev devkeys.Account, forcedAt, paidAt uint64) {
	t.Helper()
	cluster.Await(t, 30*time.Second, func() error {
		var dep sequencer.DepositStatus
		if err := e.ch.Call(ctx, &dep, "rollup_depositStatus", hexutil.Uint64(forcedAt), hexutil.Uint64(0)); err != nil {
			return err
		}
		if dep.Status != sequencer.StatusApplied || dep.Kind != "force-withdrawal" || dep.From == nil || *dep.From != dev.Address {
			return fmt.Errorf("challenger: rollup_depositStatus %+v, want an applied force-withdrawal from %s", dep, dev.Address)
		}
		var w sequencer.WithdrawalStatus
		ref := map[string]hexutil.Uint64{"l1Block": hexutil.Uint64(forcedAt), "index": 0}
		if err := e.ch.Call(ctx, &w, "rollup_withdrawalStatus", ref); err != nil {
			return err
		}
		if w.Status != sequencer.WithdrawalPaid || w.PaidL1Block == nil || uint64(*w.PaidL1Block) != paidAt || w.To != dev.Address {
			return fmt.Errorf("challenger: rollup_withdrawalStatus %+v, want paid to %s in L1 block %d", w, dev.Address, paidAt)
		}
		return nil
	})
}
