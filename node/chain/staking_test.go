package chain

import (
	"errors"
	"log/slog"
	"math/big"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// TestHeadersCommitToTheStakingSet stakes a new validator through an
// ordinary transaction: the header of the epoch's last block commits to
// the new set, a verifier agrees, and a header claiming another set is
// refused.
func TestHeadersCommitToTheStakingSet(t *testing.T) {
	env := newTestEnv(t, 2)
	env.gen.Staking.EpochLength, env.gen.Staking.UnbondingPeriod = 3, 3
	newReg := func() *syscontract.Registry {
		c, err := staking.New(staking.ConfigFromGenesis(env.gen))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := syscontract.NewRegistry(c)
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	open := func() *Chain {
		c, err := Open(memdb.New(), env.gen, newReg(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	proposer, verifier := open(), open()
	set0, err := proposer.ValidatorSetAfter(0)
	if err != nil || block.ValidatorSetHash(set0) != proposer.Head().Extras.NextValidatorsHash {
		t.Fatalf("genesis header does not commit to the staking genesis set: %v", err)
	}
	input, err := (mustContract(t, env)).ABI().Pack("stake")
	if err != nil {
		t.Fatal(err)
	}
	to := staking.Address
	stakeTx, err := types.SignNewTx(env.keys[1], types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1337), Nonce: 0, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(10e9), Gas: 200_000, To: &to,
		Value: new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18)), Data: input})
	if err != nil {
		t.Fatal(err)
	}
	var last *block.Commit
	for h := uint64(1); h <= 3; h++ {
		src := &sliceSource{}
		if h == 1 {
			src.txs = types.Transactions{stakeTx}
		}
		built, err := proposer.Build(BuildParams{Time: h, LastCommit: last}, src)
		if err != nil {
			t.Fatal(err)
		}
		if h == 2 {
			forged := *built.Block
			forged.Extras.NextValidatorsHash[0] ^= 1
			bad := block.Assemble(forged.Header, forged.Transactions, forged.Extras)
			if _, err := verifier.Execute(bad); !errors.Is(err, ErrBadHeader) {
				t.Fatalf("a header naming the wrong next set: %v", err)
			}
		}
		verified, err := verifier.Execute(built.Block)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		last = &block.Commit{Height: h, BlockHash: built.Block.Hash(), Signatures: []block.CommitSig{{Signature: make([]byte, 65)}}}
		if err := proposer.CommitBlock(built, last); err != nil {
			t.Fatal(err)
		}
		if err := verifier.CommitBlock(verified, last); err != nil {
			t.Fatal(err)
		}
	}
	rs, _ := proposer.Receipts(mustBlock(t, proposer, 1))
	if rs[0].Status != 1 {
		t.Fatal("stake transaction failed")
	}
	b1, b2 := mustBlock(t, proposer, 1), mustBlock(t, proposer, 2)
	if b1.Extras.NextValidatorsHash != b1.Extras.ValidatorsHash {
		t.Fatal("the set changed before the epoch ended")
	}
	if b2.Extras.NextValidatorsHash == b2.Extras.ValidatorsHash {
		t.Fatal("the epoch's last block does not commit to the new set")
	}
	set, err := proposer.ValidatorSetAfter(2)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, v := range set {
		found = found || v.Address == crypto.PubkeyToAddress(env.keys[1].PublicKey)
	}
	if !found || len(set) != 2 {
		t.Fatalf("set after the epoch: %+v", set)
	}
}

func mustContract(t *testing.T, env *testEnv) *staking.Contract {
	t.Helper()
	c, err := staking.New(staking.ConfigFromGenesis(env.gen))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustBlock(t *testing.T, c *Chain, n uint64) *block.Block {
	t.Helper()
	b, err := c.BlockByNumber(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
