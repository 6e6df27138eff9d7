package node

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// stakingGenesis gives validators 1,000 ETH each, short epochs, and funds
// extra accounts.
func stakingGenesis(funded ...*ecdsa.PrivateKey) func(*genesis.Genesis) {
	return func(g *genesis.Genesis) {
		for i := range g.Validators {
			g.Validators[i].Stake = genesis.Ether(1000)
			g.Alloc[g.Validators[i].Address] = genesis.Account{Balance: genesis.Ether(100)}
		}
		for _, k := range funded {
			g.Alloc[crypto.PubkeyToAddress(k.PublicKey)] = genesis.Account{Balance: genesis.Ether(500)}
		}
		g.Staking.EpochLength, g.Staking.UnbondingPeriod = 6, 12
	}
}

// sendStakingTx signs and submits a call to the staking contract and waits
// for its receipt.
func (c *memCluster) sendStakingTx(key *ecdsa.PrivateKey, value *big.Int, method string, args ...any) *types.Receipt {
	c.t.Helper()
	sc, err := staking.New(staking.ConfigFromGenesis(c.gen))
	if err != nil {
		c.t.Fatal(err)
	}
	input, err := sc.ABI().Pack(method, args...)
	if err != nil {
		c.t.Fatal(err)
	}
	n := c.nodes[0]
	to := staking.Address
	tx, err := types.SignNewTx(key, n.Chain().Signer(), &types.DynamicFeeTx{ChainID: big.NewInt(1337),
		Nonce: n.Pool().PendingNonce(crypto.PubkeyToAddress(key.PublicKey)), GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9),
		Gas: 300_000, To: &to, Value: value, Data: input})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := n.RPCBackend().SendTransaction(context.Background(), tx); err != nil {
		c.t.Fatalf("%s: %v", method, err)
	}
	var receipt *types.Receipt
	waitFor(c.t, 30*time.Second, method+" to be included", func() bool {
		loc, err := n.Chain().TxLocation(tx.Hash())
		if err != nil {
			return false
		}
		b, _ := n.Chain().BlockByNumber(loc.Height)
		rs, err := n.Chain().Receipts(b)
		if err != nil {
			return false
		}
		receipt = rs[loc.Index]
		return true
	})
	return receipt
}

// inSet reports whether addr is in the validator set of the node's next
// height.
func inSet(n *Node, addr common.Address) bool {
	vs, err := n.validatorsAt(consensus.Height(n.Chain().Head().Number() + 1))
	if err != nil {
		return false
	}
	_, ok := vs.Power(addr)
	return ok
}

// TestStakeUnstakeWithdraw: a fifth validator stakes with an ordinary
// transaction, joins at the next epoch, proposes and votes; it unstakes,
// leaves at the following epoch, and withdraws exactly once after the
// unbonding period has passed since it left. A full node syncing from
// genesis afterwards ends with the same state root.
func TestStakeUnstakeWithdraw(t *testing.T) {
	newcomer := testKey(50)
	c := newMemClusterWith(t, 4, stakingGenesis(newcomer))
	for i := range 4 {
		c.start(i, memdb.New())
	}
	c.keys = append(c.keys, newcomer)
	fifth := c.start(4, memdb.New())
	addr := crypto.PubkeyToAddress(newcomer.PublicKey)
	waitFor(t, 30*time.Second, "height 2", func() bool { return c.nodes[0].Chain().Head().Number() >= 2 })

	r := c.sendStakingTx(newcomer, new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18)), "stake")
	if r.Status != 1 {
		t.Fatal("stake transaction failed")
	}
	waitFor(t, 60*time.Second, "the newcomer to join the set", func() bool { return inSet(c.nodes[0], addr) })
	waitFor(t, 60*time.Second, "the newcomer to propose a block and sign a commit", func() bool {
		head := c.nodes[0].Chain().Head()
		proposed, signed := false, false
		for h := head.Number(); h > 0 && h+20 > head.Number(); h-- {
			b, err := c.nodes[0].Chain().BlockByNumber(h)
			if err != nil {
				return false
			}
			proposed = proposed || b.Header.Coinbase == addr
			if lc := b.Extras.LastCommit; lc != nil {
				for _, s := range lc.Signatures {
					signed = signed || s.Validator == addr
				}
			}
		}
		return proposed && signed
	})
	if fifth.Chain().Head().Number() == 0 {
		t.Fatal("the newcomer's node never followed the chain")
	}

	r = c.sendStakingTx(newcomer, nil, "unstake", new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18)))
	if r.Status != 1 {
		t.Fatal("unstake failed")
	}
	// The stake unbonds the unbonding period after the first block signed
	// without it (at most left).
	var left uint64
	waitFor(t, 60*time.Second, "the newcomer to leave the set", func() bool {
		left = c.nodes[0].Chain().Head().Number() + 1
		return !inSet(c.nodes[0], addr)
	})
	if early := c.sendStakingTx(newcomer, nil, "withdraw"); early.Status != 0 {
		t.Fatal("withdrew before the unbonding period ended")
	}
	waitFor(t, 60*time.Second, "the unbonding period", func() bool {
		return c.nodes[0].Chain().Head().Number() >= left+c.gen.Staking.UnbondingPeriod
	})
	if ok := c.sendStakingTx(newcomer, nil, "withdraw"); ok.Status != 1 {
		t.Fatal("withdraw after unbonding failed")
	}
	if again := c.sendStakingTx(newcomer, nil, "withdraw"); again.Status != 0 {
		t.Fatal("withdrew twice")
	}

	full := c.start(-1, memdb.New())
	target := c.nodes[0].Chain().Head().Number()
	waitFor(t, 60*time.Second, "a full node to sync past the changes", func() bool { return full.Chain().Head().Number() >= target })
	want, _ := c.nodes[0].Chain().BlockByNumber(target)
	got, err := full.Chain().BlockByNumber(target)
	if err != nil || got.Header.Root != want.Header.Root {
		t.Fatal("the syncing node ended with another state root")
	}
}

// TestEquivocatorIsSlashed runs five validators, one of which equivocates
// on purpose: evidence is committed, the offender is slashed and removed
// within 10 blocks, and the chain keeps finalizing.
func TestEquivocatorIsSlashed(t *testing.T) {
	c := newMemClusterWith(t, 5, stakingGenesis())
	c.devEquivocate = map[int]bool{4: true}
	for i := range 5 {
		c.start(i, memdb.New())
	}
	offender := crypto.PubkeyToAddress(c.keys[4].PublicKey)
	var equivocatedAt uint64
	waitFor(t, 60*time.Second, "evidence on some node", func() bool {
		for _, n := range c.nodes[:4] {
			if len(n.evidence.all()) > 0 {
				equivocatedAt = uint64(n.evidence.all()[0].A.Height)
				return true
			}
		}
		return false
	})
	waitFor(t, 60*time.Second, "the offender to be slashed and removed", func() bool {
		st, err := c.nodes[0].Chain().HeadState()
		return err == nil && staking.IsJailed(st, offender) && !inSet(c.nodes[0], offender)
	})
	if h := c.nodes[0].Chain().Head().Number(); h > equivocatedAt+10 {
		t.Fatalf("slashed at height %d, equivocation at %d: more than 10 blocks", h, equivocatedAt)
	}
	st, _ := c.nodes[0].Chain().HeadState()
	if got := staking.StakeOf(st, offender); got.Cmp(new(big.Int).Mul(big.NewInt(900), big.NewInt(1e18))) != 0 {
		t.Fatalf("offender's stake after slashing %s, want 900 ETH", got)
	}
	target := c.nodes[0].Chain().Head().Number() + 3
	waitFor(t, 30*time.Second, "the chain to keep finalizing", func() bool { return c.nodes[1].Chain().Head().Number() >= target })
	// Reporters take turns: not every honest validator pays for the same
	// evidence.
	submissions := 0
	for h := uint64(1); h <= target; h++ {
		b, err := c.nodes[1].Chain().BlockByNumber(h)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Transactions {
			if tx.To() != nil && *tx.To() == staking.Address {
				submissions++
			}
		}
	}
	if submissions == 0 || submissions > 2 {
		t.Fatalf("%d evidence transactions for one equivocation, want 1 (2 at most if the first was slow)", submissions)
	}
}
