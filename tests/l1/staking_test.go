package l1_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestStaking drives the staking contract on a process cluster with short
// epochs: a fifth validator stakes with an ordinary transaction, joins at
// the next epoch, proposes, and its votes are needed for blocks to commit;
// it unstakes, leaves, and withdraws exactly once after unbonding (the
// unbonding period counted from when it left); a
// validator restarted with --dev.equivocate is slashed and removed within
// 10 blocks while the chain keeps finalizing; a node syncing from genesis
// afterwards ends with the same state root.
func TestStaking(t *testing.T) {
	skipShort(t)
	t.Parallel()
	c := cluster.New(t, cluster.Options{Validators: 4, BlockTime: blockTime, EditGenesis: func(g *genesis.Genesis) {
		g.Staking.EpochLength, g.Staking.UnbondingPeriod = 5, 10
	}})
	ctx := testCtx(t, 5*time.Minute)
	newcomer, err := devkeys.Get(5)
	if err != nil {
		t.Fatal(err)
	}
	fifth, err := c.AddNodeWith(cluster.NodeOptions{Key: newcomer.Key})
	if err != nil {
		t.Fatal(err)
	}
	n0 := c.Node(0)

	// Stake 1,000 ETH: less than a third of the 4,000 of power, so it
	// joins whole at the next epoch.
	if r := stakingTx(ctx, t, n0, newcomer.Key, ether(1000), "stake"); r.Status != 1 {
		t.Fatal("stake transaction failed")
	}
	cluster.Await(t, 30*time.Second, func() error { return inValidators(ctx, n0, newcomer.Address, true) })
	cluster.Await(t, 60*time.Second, func() error { return proposedBy(ctx, n0, newcomer.Address) })

	// With validator 3 stopped, the others hold 3,000 of 5,000 power:
	// blocks commit only with the newcomer's votes.
	if err := c.Node(3).Stop(); err != nil {
		t.Fatal(err)
	}
	head := mustHead(ctx, t, n0)
	if err := n0.WaitHeight(ctx, head+3); err != nil {
		t.Fatalf("no blocks without validator 3: the newcomer's votes do not count: %v", err)
	}
	if err := c.Node(3).Start(); err != nil {
		t.Fatal(err)
	}

	r := stakingTx(ctx, t, n0, newcomer.Key, nil, "unstake", ether(1000))
	if r.Status != 1 {
		t.Fatal("unstake failed")
	}
	cluster.Await(t, 30*time.Second, func() error { return inValidators(ctx, n0, newcomer.Address, false) })
	// The stake unbonds 10 blocks after the first block signed without it
	// (at most left).
	left := mustHead(ctx, t, n0) + 1
	if r := stakingTx(ctx, t, n0, newcomer.Key, nil, "withdraw"); r.Status != 0 {
		t.Fatal("withdrew before the unbonding period")
	}
	if err := n0.WaitHeight(ctx, left+10); err != nil {
		t.Fatal(err)
	}
	before, err := n0.Client().BalanceAt(ctx, newcomer.Address, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r := stakingTx(ctx, t, n0, newcomer.Key, nil, "withdraw"); r.Status != 1 {
		t.Fatal("withdraw after unbonding failed")
	}
	after, _ := n0.Client().BalanceAt(ctx, newcomer.Address, nil)
	if gain := new(big.Int).Sub(after, before); gain.Cmp(ether(999)) < 0 {
		t.Fatalf("withdraw paid %s wei, want about 1000 ETH", gain)
	}
	if r := stakingTx(ctx, t, n0, newcomer.Key, nil, "withdraw"); r.Status != 0 {
		t.Fatal("withdrew twice")
	}
	_ = fifth

	// Validator 2 restarts with the development switch and equivocates.
	offender := c.Node(2)
	if err := offender.Stop(); err != nil {
		t.Fatal(err)
	}
	offender.ExtraArgs = []string{"--dev.equivocate"}
	if err := offender.Start(); err != nil {
		t.Fatal(err)
	}
	start := mustHead(ctx, t, n0)
	cluster.Await(t, 60*time.Second, func() error { return inValidators(ctx, n0, offender.Validator, false) })
	if h := mustHead(ctx, t, n0); h > start+10 {
		t.Fatalf("the offender left the set at height %d, more than 10 blocks after %d", h, start)
	}
	if err := n0.WaitHeight(ctx, mustHead(ctx, t, n0)+3); err != nil {
		t.Fatalf("the chain stopped after slashing: %v", err)
	}

	full, err := c.AddNode(true)
	if err != nil {
		t.Fatal(err)
	}
	target := mustHead(ctx, t, n0)
	if err := full.WaitHeight(ctx, target); err != nil {
		t.Fatal(err)
	}
	a, err := n0.Client().HeaderByNumber(ctx, new(big.Int).SetUint64(target))
	if err != nil {
		t.Fatal(err)
	}
	b, err := full.Client().HeaderByNumber(ctx, new(big.Int).SetUint64(target))
	if err != nil || a.Root != b.Root {
		t.Fatalf("a node syncing from genesis ended with another state root: %v", err)
	}
}

func ether(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

func mustHead(ctx context.Context, t *testing.T, n *cluster.Node) uint64 {
	t.Helper()
	h, err := n.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// stakingTx sends a call to the staking contract with ethclient and waits
// for its receipt.
func stakingTx(ctx context.Context, t *testing.T, n *cluster.Node, key *ecdsa.PrivateKey, value *big.Int, method string, args ...any) *types.Receipt {
	t.Helper()
	contract, err := staking.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	data, err := contract.Pack(method, args...)
	if err != nil {
		t.Fatal(err)
	}
	ec := n.Client()
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := ec.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	if value == nil {
		value = new(big.Int)
	}
	to := staking.Address
	tx, err := types.SignNewTx(key, types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1337), Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9),
		Gas: 300_000, To: &to, Value: value, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if err := ec.SendTransaction(ctx, tx); err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	var receipt *types.Receipt
	cluster.Await(t, 30*time.Second, func() error {
		r, err := ec.TransactionReceipt(ctx, tx.Hash())
		if err != nil {
			return err
		}
		receipt = r
		return nil
	})
	return receipt
}

// inValidators checks whether addr is (want) or is not in the active set
// bilayer_validators reports.
func inValidators(ctx context.Context, n *cluster.Node, addr common.Address, want bool) error {
	var res struct {
		Validators []struct {
			Address common.Address `json:"address"`
		} `json:"validators"`
	}
	if err := n.Call(ctx, &res, "bilayer_validators"); err != nil {
		return err
	}
	found := false
	for _, v := range res.Validators {
		found = found || v.Address == addr
	}
	if found != want {
		return fmt.Errorf("%s in the validator set: %v, want %v", addr, found, want)
	}
	return nil
}

// proposedBy checks that one of the last 30 blocks was proposed by addr.
func proposedBy(ctx context.Context, n *cluster.Node, addr common.Address) error {
	head, err := n.Head(ctx)
	if err != nil {
		return err
	}
	for h := head; h > 0 && h+30 > head; h-- {
		hdr, err := n.Client().HeaderByNumber(ctx, new(big.Int).SetUint64(h))
		if err != nil {
			return err
		}
		if hdr.Coinbase == addr {
			return nil
		}
	}
	return fmt.Errorf("%s proposed none of the last 30 blocks", addr)
}
