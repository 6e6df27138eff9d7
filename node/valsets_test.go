package node

import (
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/staking"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

// countingStore counts the reads of blocks (headers and bodies).
type countingStore struct {
	store.Store
	blockReads atomic.Int64
}

func (s *countingStore) Get(key []byte) ([]byte, error) {
	if len(key) > 0 && (key[0] == store.PrefixHeader || key[0] == store.PrefixBody) {
		s.blockReads.Add(1)
	}
	return s.Store.Get(key)
}

// forgetValidatorSets empties n's in-memory validator sets, as a restart
// does.
func forgetValidatorSets(n *Node) {
	n.valsMu.Lock()
	defer n.valsMu.Unlock()
	n.valsCache = nil
}

// TestValidatorSetsLoadWithoutReplayingTheChain: a node restarted on a
// chain whose validator set changed loads the sets of its next height and
// head (with their proposer priorities) without reading the chain's blocks
// (it used to rebuild them from genesis, reading every block at every
// start), and the sets of older heights start from the set persisted at
// the newest change below them; every set equals the one replayed from
// genesis.
func TestValidatorSetsLoadWithoutReplayingTheChain(t *testing.T) {
	newcomer := testKey(50)
	h := newDriverHarnessWith(t, stakingGenesis(newcomer))
	db := &countingStore{Store: memdb.New()}
	n := h.newNode(-1, db, nil)
	sc, err := staking.New(staking.ConfigFromGenesis(h.c.gen))
	if err != nil {
		t.Fatal(err)
	}
	input, err := sc.ABI().Pack("stake")
	if err != nil {
		t.Fatal(err)
	}
	to := staking.Address
	tx, err := types.SignNewTx(newcomer, n.chain.Signer(), &types.DynamicFeeTx{ChainID: big.NewInt(1337), GasTipCap: big.NewInt(1e9),
		GasFeeCap: big.NewInt(100e9), Gas: 300_000, To: &to, Value: new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18)), Data: input})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.pool.Add(tx)[0]; err != nil {
		t.Fatal(err)
	}

	// Build the chain as the driver does: after each block, the set of the
	// next height.
	want := map[consensus.Height]*consensus.ValidatorSet{}
	next := func() consensus.Height { return consensus.Height(n.chain.Head().Number() + 1) }
	record := func() {
		vs, err := n.validatorsAt(next())
		if err != nil {
			t.Fatal(err)
		}
		want[next()] = vs
	}
	record()
	var joined consensus.Height
	for range 30 {
		h.buildOn(n, 0, 0, []int{0, 1, 2})
		record()
		if _, ok := want[next()].Power(crypto.PubkeyToAddress(newcomer.PublicKey)); ok && joined == 0 {
			joined = next()
		}
	}
	if joined == 0 {
		t.Fatal("setup: the validator set never changed")
	}
	head := consensus.Height(n.chain.Head().Number())
	h.stop(n)

	reopened := h.newNode(-1, db, nil) // New loads the set of head+1
	forgetValidatorSets(reopened)
	db.blockReads.Store(0)
	for _, hh := range []consensus.Height{head + 1, head} {
		if _, err := reopened.validatorsAt(hh); err != nil {
			t.Fatal(err)
		}
	}
	if reads := db.blockReads.Load(); reads > 0 {
		t.Errorf("loading the sets of the next height and the head read %d block keys, want none (head %d)", reads, head)
	}
	for _, hh := range []consensus.Height{1, 2, joined - 1, joined, joined + 1, head - 3, head, head + 1} {
		forgetValidatorSets(reopened)
		db.blockReads.Store(0)
		got, err := reopened.validatorsAt(hh)
		if err != nil {
			t.Fatal(err)
		}
		if !sameSet(got, want[hh]) {
			t.Errorf("height %d: loaded set %+v, replayed from genesis %+v", hh, got.Validators(), want[hh].Validators())
		}
		if base := max(joined, 1); hh >= base && db.blockReads.Load() > 2*int64(hh-base) {
			t.Errorf("height %d: read %d block keys, want at most the blocks since the change at %d", hh, db.blockReads.Load(), base)
		}
	}
}

// sameSet reports whether a and b have the same members, powers and
// proposer priorities.
func sameSet(a, b *consensus.ValidatorSet) bool {
	if a == nil || b == nil {
		return a == b
	}
	av, bv := a.Validators(), b.Validators()
	if len(av) != len(bv) {
		return false
	}
	for i := range av {
		if av[i] != bv[i] {
			return false
		}
	}
	return true
}
