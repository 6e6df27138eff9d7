package chain

import (
	"crypto/ecdsa"
	"errors"
	"log/slog"
	"math/big"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	pebblestore "github.com/bilayer/bilayer/store/pebble"
	"github.com/bilayer/bilayer/txpool"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
)

type testEnv struct {
	gen  *genesis.Genesis
	keys []*ecdsa.PrivateKey
}

func newTestEnv(t testing.TB, accounts int) *testEnv {
	t.Helper()
	env := &testEnv{gen: &genesis.Genesis{ChainID: 1337, GasLimit: 30_000_000, Timestamp: 1_700_000_000,
		Alloc:      map[common.Address]genesis.Account{},
		Validators: []genesis.Validator{{Address: common.Address{0xaa}, Stake: genesis.Ether(100)}}}}
	for i := range accounts {
		k, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(i+1)).Bytes(), 32))
		if err != nil {
			t.Fatal(err)
		}
		env.keys = append(env.keys, k)
		env.gen.Alloc[crypto.PubkeyToAddress(k.PublicKey)] = genesis.Account{Balance: genesis.Ether(1000)}
	}
	env.gen.FillDefaults()
	if err := env.gen.Validate(); err != nil {
		t.Fatal(err)
	}
	return env
}

func (env *testEnv) open(t *testing.T, db store.Store) *Chain {
	t.Helper()
	c, err := Open(db, env.gen, nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (env *testEnv) transfer(t testing.TB, from int, nonce uint64, value int64) *types.Transaction {
	t.Helper()
	to := common.HexToAddress("0xdead")
	tx, err := types.SignNewTx(env.keys[from], types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1337), Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(10e9), Gas: 21000, To: &to,
		Value: big.NewInt(value),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func newPool(t *testing.T, c *Chain) *txpool.Pool {
	t.Helper()
	st, err := c.HeadState()
	if err != nil {
		t.Fatal(err)
	}
	return txpool.New(txpool.DefaultConfig(), c.Signer(), c.ValidatePoolTx, st, c.NextBaseFee(c.Head().Header))
}

func resetPool(t *testing.T, c *Chain, p *txpool.Pool) {
	t.Helper()
	st, err := c.HeadState()
	if err != nil {
		t.Fatal(err)
	}
	p.Reset(st, c.NextBaseFee(c.Head().Header))
}

// TestBuildExecuteCommitOnTwoNodes is the validator's path: one node builds
// a block from its pool, another re-executes it from scratch and gets the
// same roots, and both commit it.
func TestBuildExecuteCommitOnTwoNodes(t *testing.T) {
	env := newTestEnv(t, 3)
	proposer, verifier := env.open(t, memdb.New()), env.open(t, memdb.New())
	if proposer.GenesisHash() != verifier.GenesisHash() {
		t.Fatal("two nodes disagree on the genesis")
	}
	pool := newPool(t, proposer)
	var txs []*types.Transaction
	for i := range 3 {
		txs = append(txs, env.transfer(t, i, 0, 100), env.transfer(t, i, 1, 200))
	}
	for i, err := range pool.Add(txs...) {
		if err != nil {
			t.Fatalf("pool add %d: %v", i, err)
		}
	}
	var last *block.Commit
	for h := uint64(1); h <= 3; h++ {
		built, err := proposer.Build(BuildParams{Proposer: common.Address{0xaa}, Time: 1_700_000_000 + h, LastCommit: last},
			pool.Executable(proposer.NextBaseFee(proposer.Head().Header)))
		if err != nil {
			t.Fatal(err)
		}
		if h == 1 && len(built.Block.Transactions) != 6 {
			t.Fatalf("block 1 has %d txs, want 6", len(built.Block.Transactions))
		}
		verified, err := verifier.Execute(built.Block)
		if err != nil {
			t.Fatalf("verifier rejects block %d: %v", h, err)
		}
		commit := &block.Commit{Height: h, BlockHash: built.Block.Hash(),
			Signatures: []block.CommitSig{{Validator: common.Address{0xaa}, Signature: make([]byte, 65)}}}
		if err := proposer.CommitBlock(built, commit); err != nil {
			t.Fatal(err)
		}
		if err := verifier.CommitBlock(verified, commit); err != nil {
			t.Fatal(err)
		}
		resetPool(t, proposer, pool)
		last = commit
	}
	if pool.Len() != 0 {
		t.Fatalf("pool still holds %d transactions after inclusion", pool.Len())
	}
	for _, c := range []*Chain{proposer, verifier} {
		st, err := c.HeadState()
		if err != nil {
			t.Fatal(err)
		}
		if bal := st.GetBalance(common.HexToAddress("0xdead")); bal.Uint64() != 900 {
			t.Fatalf("recipient balance %s, want 900", bal)
		}
		loc, err := c.TxLocation(txs[5].Hash())
		if err != nil || loc.Height != 1 {
			t.Fatalf("tx lookup %+v, %v", loc, err)
		}
		b1, _ := c.BlockByNumber(1)
		rs, err := c.Receipts(b1)
		if err != nil || len(rs) != 6 || rs[0].Status != 1 || rs[0].BlockHash != b1.Hash() {
			t.Fatalf("receipts: %v", err)
		}
	}
	if proposer.Head().Hash() != verifier.Head().Hash() {
		t.Fatal("nodes diverged")
	}
}

func TestExecuteRejectsBadBlocks(t *testing.T) {
	env := newTestEnv(t, 1)
	c := env.open(t, memdb.New())
	good, err := c.Build(BuildParams{Time: 1}, emptySource{})
	if err != nil {
		t.Fatal(err)
	}
	reseal := func(mutate func(h *types.Header)) *block.Block {
		h := types.CopyHeader(good.Block.Header)
		mutate(h)
		return block.Assemble(h, good.Block.Transactions, good.Block.Extras)
	}
	cases := map[string]struct {
		b    *block.Block
		want error
	}{
		"wrong parent":       {reseal(func(h *types.Header) { h.ParentHash = common.Hash{1} }), ErrNotNext},
		"wrong number":       {reseal(func(h *types.Header) { h.Number = big.NewInt(5) }), ErrNotNext},
		"time before parent": {reseal(func(h *types.Header) { h.Time = env.gen.Timestamp - 1 }), ErrBadHeader},
		"gas limit":          {reseal(func(h *types.Header) { h.GasLimit++ }), ErrBadHeader},
		"base fee":           {reseal(func(h *types.Header) { h.BaseFee = big.NewInt(1) }), ErrBadHeader},
		"state root":         {reseal(func(h *types.Header) { h.Root = common.Hash{9} }), execution.ErrInvalidBlock},
		"invalid tx": {block.Assemble(good.Block.Header, types.Transactions{env.transfer(t, 0, 7, 1)}, good.Block.Extras),
			execution.ErrInvalidBlock},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Execute(tc.b); !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := c.Execute(good.Block); err != nil {
		t.Fatalf("the good block: %v", err)
	}
}

// TestExecuteRejectsL2Block offers the L1 chain a well-formed L2 block on
// its head: it must refuse it as a bad header, whatever else matches.
func TestExecuteRejectsL2Block(t *testing.T) {
	env := newTestEnv(t, 1)
	c := env.open(t, memdb.New())
	good, err := c.Build(BuildParams{Time: 1}, emptySource{})
	if err != nil {
		t.Fatal(err)
	}
	l2 := block.AssembleL2(good.Block.Header, good.Block.Transactions, block.L2Extras{
		Origin: block.L1Ref{Number: 7, Hash: common.Hash{7}, BaseFee: big.NewInt(1e9)},
		Operations: []block.Operation{{Kind: block.OpDeposit, L1Block: 7, To: common.Address{0xb},
			Amount: big.NewInt(1)}},
	})
	if err := l2.CheckCommitments(); err != nil {
		t.Fatalf("test L2 block is malformed: %v", err)
	}
	for name, b := range map[string]*block.Block{
		"L2 block":                l2,
		"L2 block with L1 extras": {Header: good.Block.Header, Transactions: good.Block.Transactions, Extras: good.Block.Extras, L2: l2.L2},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Execute(b)
			if !errors.Is(err, ErrBadHeader) || !strings.Contains(err.Error(), "is an L2 block") {
				t.Fatalf("got %v, want ErrBadHeader naming an L2 block", err)
			}
		})
	}
	if _, err := c.Execute(good.Block); err != nil {
		t.Fatalf("the L1 block: %v", err)
	}
}

type emptySource struct{}

func (emptySource) Peek() *types.Transaction { return nil }
func (emptySource) Shift()                   {}
func (emptySource) Pop()                     {}

// TestReopenResumesAtHead commits blocks on pebble, closes and reopens: the
// head, its state and the genesis check survive.
func TestReopenResumesAtHead(t *testing.T) {
	env := newTestEnv(t, 1)
	dir := t.TempDir()
	db, err := pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := env.open(t, db)
	for h := uint64(1); h <= 2; h++ {
		ex, err := c.Build(BuildParams{Time: h}, &sliceSource{txs: []*types.Transaction{env.transfer(t, 0, h-1, 5)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.CommitBlock(ex, nil); err != nil {
			t.Fatal(err)
		}
		if err := c.CommitBlock(ex, nil); !errors.Is(err, ErrAlreadyCommitted) {
			t.Fatalf("second commit: %v", err)
		}
	}
	head := c.Head().Hash()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = pebblestore.Open(dir, pebblestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c2 := env.open(t, db)
	if c2.Head().Hash() != head || c2.Head().Number() != 2 {
		t.Fatalf("reopened at %d, want 2", c2.Head().Number())
	}
	st, err := c2.HeadState()
	if err != nil || st.GetBalance(common.HexToAddress("0xdead")).Uint64() != 10 {
		t.Fatalf("state after reopen: %v", err)
	}
	other := newTestEnv(t, 2)
	if _, err := Open(db, other.gen, nil, slog.New(slog.DiscardHandler)); !errors.Is(err, ErrGenesisMismatch) {
		t.Fatalf("another genesis on the same db: %v", err)
	}
}

type sliceSource struct{ txs []*types.Transaction }

func (s *sliceSource) Peek() *types.Transaction {
	if len(s.txs) == 0 {
		return nil
	}
	return s.txs[0]
}
func (s *sliceSource) Shift() { s.txs = s.txs[1:] }
func (s *sliceSource) Pop()   { s.txs = s.txs[1:] }

func crypto0(env *testEnv) common.Address { return crypto.PubkeyToAddress(env.keys[0].PublicKey) }

// TestStateAtReadsTheHeaderOnly: opening the state at a height (every
// eth_getBalance and eth_getTransactionCount) reads that block's header,
// not its body, and the head block is served as it is held, not read back:
// with the bodies of block 2 and of the head deleted from the store, both
// states still open, the head block is still served, and only block 2's
// body is missing. Under load a JSON-RPC state read decoded a whole block
// of a few thousand transactions to learn its state root (issue 17).
func TestStateAtReadsTheHeaderOnly(t *testing.T) {
	env := newTestEnv(t, 2)
	db := memdb.New()
	c := env.open(t, db)
	pool := newPool(t, c)
	var last *block.Commit
	for h := uint64(1); h <= 3; h++ {
		if errs := pool.Add(env.transfer(t, 0, h-1, 100)); errs[0] != nil {
			t.Fatal(errs[0])
		}
		built, err := c.Build(BuildParams{Proposer: common.Address{0xaa}, Time: 1_700_000_000 + h, LastCommit: last},
			pool.Executable(c.NextBaseFee(c.Head().Header)))
		if err != nil {
			t.Fatal(err)
		}
		last = &block.Commit{Height: h, BlockHash: built.Block.Hash(),
			Signatures: []block.CommitSig{{Validator: common.Address{0xaa}, Signature: make([]byte, 65)}}}
		if err := c.CommitBlock(built, last); err != nil {
			t.Fatal(err)
		}
		resetPool(t, c, pool)
	}
	b2, err := c.BlockByNumber(2)
	if err != nil {
		t.Fatal(err)
	}
	head := c.Head()
	for _, b := range []*block.Block{b2, head} {
		if err := db.Delete(store.BodyKey(b.Hash())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.BlockByNumber(2); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("block 2 without its body: %v, want not found", err)
	}
	if got, err := c.BlockByNumber(3); err != nil || got != head {
		t.Fatalf("head block: %v, %v; want the block the chain holds", got, err)
	}
	for _, b := range []*block.Block{b2, head} {
		n := b.Number()
		if h, err := c.HeaderByNumber(n); err != nil || h.Hash() != b.Hash() {
			t.Fatalf("header %d: %v", n, err)
		}
		st, err := c.StateAt(n)
		if err != nil {
			t.Fatalf("state at %d without its body: %v", n, err)
		}
		if got, want := st.GetNonce(crypto.PubkeyToAddress(env.keys[0].PublicKey)), n; got != want {
			t.Fatalf("nonce at %d: %d, want %d", n, got, want)
		}
	}
	if _, err := c.HeaderByNumber(4); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("header above the head: %v, want not found", err)
	}
}

// writeCounter is a store that counts the writes committed to it.
type writeCounter struct {
	store.Store
	writes int
}

func (w *writeCounter) Put(key, value []byte) error { w.writes++; return w.Store.Put(key, value) }
func (w *writeCounter) Delete(key []byte) error     { w.writes++; return w.Store.Delete(key) }
func (w *writeCounter) NewBatch() store.Batch       { return &countedBatch{Batch: w.Store.NewBatch(), w: w} }

type countedBatch struct {
	store.Batch
	w *writeCounter
}

func (b *countedBatch) Commit(sync bool) error { b.w.writes += b.Len(); return b.Batch.Commit(sync) }

// TestReopenWritesNoGenesisState: opening a database that holds the genesis
// computes the genesis state's root to check it and writes nothing (with
// 100k accounts funded at genesis, rewriting its trie took seconds at every
// start; issue 17), and the first open writes the state whole.
func TestReopenWritesNoGenesisState(t *testing.T) {
	env := newTestEnv(t, 50)
	db := &writeCounter{Store: memdb.New()}
	c := env.open(t, db)
	if db.writes < 50 {
		t.Fatalf("the first open wrote %d records, want the genesis state's trie (50 accounts and more)", db.writes)
	}
	genesis := c.Head().Hash()
	db.writes = 0
	c2 := env.open(t, db)
	if db.writes != 0 {
		t.Fatalf("reopening wrote %d records", db.writes)
	}
	if c2.Head().Hash() != genesis {
		t.Fatal("reopened at another block")
	}
	st, err := c2.HeadState()
	if err != nil || st.GetBalance(crypto0(env)).IsZero() {
		t.Fatalf("genesis state after reopen: %v", err)
	}
}
