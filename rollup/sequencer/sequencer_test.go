package sequencer

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/bilayer/bilayer/txpool"
)

var (
	l2ChainID = big.NewInt(1338)
	feeVault  = common.HexToAddress("0x0000000000000000000000000000000000002002")
	ether     = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
)

// fakeL1 is an in-memory L1: numbered blocks with times and operations.
type fakeL1 struct {
	mu     sync.Mutex
	blocks []*L1Block
}

func newFakeL1(genesisTime uint64) *fakeL1 {
	l := &fakeL1{}
	l.mine(genesisTime)
	return l
}

// mine appends an L1 block with the given time and operations (their
// numbers and indexes filled in) and returns its number.
func (l *fakeL1) mine(t uint64, ops ...block.Operation) block.L1Number {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := block.L1Number(len(l.blocks))
	for i := range ops {
		ops[i].L1Block, ops[i].Index = n, uint64(i)
	}
	l.blocks = append(l.blocks, &L1Block{Ref: block.L1Ref{Number: n, Hash: common.BigToHash(big.NewInt(int64(n) + 0xabc)),
		BaseFee: big.NewInt(1_000_000_000)}, Time: t, Operations: ops})
	return n
}

func (l *fakeL1) HeadNumber(context.Context) (block.L1Number, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return block.L1Number(len(l.blocks) - 1), nil
}

func (l *fakeL1) L1Block(_ context.Context, n block.L1Number) (*L1Block, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if int(n) >= len(l.blocks) {
		return nil, fmt.Errorf("no L1 block %d", n)
	}
	return l.blocks[n], nil
}

func key(i int) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte{byte(i), 1}))
	if err != nil {
		panic(err)
	}
	return k
}

// harness is a sequencer on an in-memory store and a fake L1, driven by
// Step with a test clock.
type harness struct {
	t     *testing.T
	db    store.Store
	l1    *fakeL1
	chain *l2chain.Chain
	pool  *txpool.Pool
	seq   *Sequencer
	be    *l2rpc.Backend
	now   time.Time
	keys  []*ecdsa.PrivateKey
}

const genesisTime = 1_700_000_000

func testGenesis(l1 *fakeL1, keys []*ecdsa.PrivateKey) l2chain.Genesis {
	alloc := make(map[common.Address]types.Account)
	for _, k := range keys {
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = types.Account{Balance: new(big.Int).Set(ether)}
	}
	g0, _ := l1.L1Block(context.Background(), 0)
	return l2chain.Genesis{Alloc: alloc, Block: func(root common.Hash) *block.Block {
		return block.AssembleL2(&types.Header{Number: new(big.Int), Time: genesisTime, GasLimit: 30_000_000,
			BaseFee: big.NewInt(1_000_000_000), Coinbase: feeVault, Root: root, ReceiptHash: types.EmptyReceiptsHash},
			nil, block.L2Extras{Origin: g0.Ref})
	}}
}

func execConfig() execution.Config {
	cfg := execution.DefaultConfig(l2ChainID)
	cfg.MinBaseFee = big.NewInt(1_000_000)
	cfg.L2 = &execution.L2Rules{FeeVault: feeVault, L1FeeScalar: 16 * execution.L1FeeScalarUnit, MaxTxsPerBlock: 100}
	return cfg
}

func newHarness(t *testing.T, db store.Store, l1 *fakeL1) *harness {
	t.Helper()
	h := &harness{t: t, db: db, l1: l1, now: time.Unix(genesisTime, 0)}
	for i := range 4 {
		h.keys = append(h.keys, key(i))
	}
	h.open()
	return h
}

// open (re)opens the chain, pool and sequencer on the harness's store.
func (h *harness) open() {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chain, err := l2chain.Open(h.db, execConfig(), nil, testGenesis(h.l1, h.keys), log)
	if err != nil {
		h.t.Fatal(err)
	}
	pool, err := NewPool(txpool.DefaultConfig(), chain)
	if err != nil {
		h.t.Fatal(err)
	}
	h.chain, h.pool = chain, pool
	h.seq = New(DefaultConfig(), chain, pool, h.l1, nil, log)
	h.be = l2rpc.NewBackend(chain, pool, nil, h.seq.Notify, "test")
	origin, _ := h.l1.L1Block(context.Background(), chain.Head().L2.Origin.Number)
	h.seq.originTime = origin.Time
}

// step polls the fake L1 and runs the producer at the harness clock.
func (h *harness) step() {
	h.t.Helper()
	if err := h.seq.pollL1(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.seq.Step(h.now); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) send(i int, nonce uint64, to common.Address, value *big.Int) *types.Transaction {
	h.t.Helper()
	tx, err := types.SignNewTx(h.keys[i], execution.Signer(l2ChainID), &types.DynamicFeeTx{ChainID: l2ChainID, Nonce: nonce,
		GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: execution.TxGas, To: &to, Value: value})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.be.SendTransaction(context.Background(), tx); err != nil {
		h.t.Fatal(err)
	}
	return tx
}

func (h *harness) balance(a common.Address) *big.Int {
	st, err := h.chain.HeadState()
	if err != nil {
		h.t.Fatal(err)
	}
	return st.GetBalance(a).ToBig()
}

// TestIdleStaysIdle proves an idle L2 makes its first block as soon as the
// L1 has one (leaving the L1 genesis), then no block while the L1 adds
// empty blocks within the origin lag, and one block per new origin when
// the lag would be exceeded — never four blocks a second.
func TestIdleStaysIdle(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	h := newHarness(t, memdb.New(), l1)
	for range 5 {
		h.now = h.now.Add(250 * time.Millisecond)
		h.step()
	}
	if n := h.chain.Head().Number(); n != 0 {
		t.Fatalf("idle L2 grew to %d blocks before the L1 had a block", n)
	}
	l1.mine(genesisTime + 1)
	h.now = time.Unix(genesisTime+1, 0)
	h.step()
	if head := h.chain.Head(); head.Number() != 1 || head.L2.Origin.Number != 1 || len(head.Transactions) != 0 {
		t.Fatalf("after L1 block 1: head %d origin %d, want the first L2 block at origin 1", head.Number(), head.L2.Origin.Number)
	}
	l1.mine(genesisTime + 2)
	l1.mine(genesisTime + 3)
	h.now = time.Unix(genesisTime+3, 0)
	for range 4 {
		h.step()
	}
	if n := h.chain.Head().Number(); n != 1 {
		t.Fatalf("L2 made %d blocks for an origin lag of 2", n)
	}
	l1.mine(genesisTime + 4)
	h.now = time.Unix(genesisTime+4, 0)
	h.step()
	head := h.chain.Head()
	if head.Number() != 2 || head.L2.Origin.Number != 2 || len(head.Transactions) != 0 {
		t.Fatalf("after lag 3: head %d origin %d", head.Number(), head.L2.Origin.Number)
	}
}

// TestDepositAppliedAtOrigin proves a deposit is applied exactly once, in
// the first L2 block whose origin reaches its L1 block, and that
// rollup_depositStatus reports it pending, then applied there.
func TestDepositAppliedAtOrigin(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	h := newHarness(t, memdb.New(), l1)
	api := NewRollupAPI(h.chain, h.seq, nil)
	alice := common.HexToAddress("0xa11ce")
	n := l1.mine(genesisTime+1, block.Operation{Kind: block.OpDeposit, From: alice, To: alice, Amount: big.NewInt(12345)})
	if err := h.seq.pollL1(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, err := api.DepositStatus(context.Background(), 0x1, 0)
	if err != nil || st.Status != StatusPending || st.Amount.ToInt().Int64() != 12345 {
		t.Fatalf("before: %+v %v", st, err)
	}
	h.now = time.Unix(genesisTime+1, 0)
	h.step()
	head := h.chain.Head()
	if head.L2.Origin.Number != n || len(head.L2.Operations) != 1 {
		t.Fatalf("head %d origin %d ops %d", head.Number(), head.L2.Origin.Number, len(head.L2.Operations))
	}
	if got := h.balance(alice); got.Int64() != 12345 {
		t.Fatalf("alice has %s", got)
	}
	for range 3 {
		l1.mine(uint64(h.now.Unix()) + 1)
		h.now = h.now.Add(time.Second)
		h.send(0, h.pool.PendingNonce(crypto.PubkeyToAddress(h.keys[0].PublicKey)), common.HexToAddress("0xb0b"), big.NewInt(1))
		h.step()
	}
	if got := h.balance(alice); got.Int64() != 12345 {
		t.Fatalf("deposit applied more than once: alice has %s", got)
	}
	st, err = api.DepositStatus(context.Background(), 0x1, 0)
	if err != nil || st.Status != StatusApplied || uint64(*st.L2Block) != head.Number() || *st.L2BlockHash != head.Hash() {
		t.Fatalf("after: %+v %v", st, err)
	}
	if st, _ := api.DepositStatus(context.Background(), 0x1, 1); st.Status != StatusUnknown {
		t.Errorf("a deposit that does not exist: %s", st.Status)
	}
}

// TestTransfersAndRestart proves transfers are included at most every
// block interval, their receipts appear only once committed, and a
// sequencer reopened on the same store continues from its head with every
// committed transaction.
func TestTransfersAndRestart(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	db := memdb.New()
	h := newHarness(t, db, l1)
	to := common.HexToAddress("0xb0b")
	tx := h.send(1, 0, to, big.NewInt(7))
	if _, _, err := h.be.TxLocation(context.Background(), tx.Hash()); err == nil {
		t.Fatal("receipt before the block was committed")
	}
	h.now = h.now.Add(time.Second)
	h.step()
	if _, _, err := h.be.TxLocation(context.Background(), tx.Hash()); err != nil {
		t.Fatalf("committed tx not found: %v", err)
	}
	h.send(1, 1, to, big.NewInt(7))
	h.now = h.now.Add(100 * time.Millisecond) // before the 250 ms interval
	h.step()
	if got := h.chain.Head().Number(); got != 1 {
		t.Fatalf("a block came %v after the last one: head %d", 100*time.Millisecond, got)
	}
	h.now = h.now.Add(200 * time.Millisecond)
	h.step()
	head := h.chain.Head()
	if head.Number() != 2 || h.balance(to).Int64() != 14 {
		t.Fatalf("head %d, recipient %s", head.Number(), h.balance(to))
	}
	// Reopen on the same store: same head, same balances, production goes on.
	h.open()
	if got := h.chain.Head(); got.Hash() != head.Hash() {
		t.Fatalf("reopened at %d %s, want %d %s", got.Number(), got.Hash(), head.Number(), head.Hash())
	}
	h.send(1, 2, to, big.NewInt(7))
	h.now = h.now.Add(time.Second)
	h.step()
	if h.chain.Head().Number() != 3 || h.balance(to).Int64() != 21 {
		t.Fatalf("after restart: head %d, recipient %s", h.chain.Head().Number(), h.balance(to))
	}
}

// TestWrongChainRefused proves a transaction signed for the L1 is refused
// by the L2 with the state transition's words.
func TestWrongChainRefused(t *testing.T) {
	h := newHarness(t, memdb.New(), newFakeL1(genesisTime))
	to := common.HexToAddress("0xb0b")
	tx, err := types.SignNewTx(h.keys[0], execution.Signer(big.NewInt(1337)), &types.DynamicFeeTx{ChainID: big.NewInt(1337),
		GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10_000_000_000), Gas: execution.TxGas, To: &to, Value: big.NewInt(1)})
	if err != nil {
		t.Fatal(err)
	}
	err = h.be.SendTransaction(context.Background(), tx)
	if err == nil || err.Error() != "invalid chain id: want 1338, have 1337" {
		t.Fatalf("got %v", err)
	}
}

// TestStuckTransactionMakesNoBlocks proves a pooled transaction that
// cannot be included (a nonce gap) does not make the L2 commit an empty
// block every block time: with the origin within the lag, no block is made.
func TestStuckTransactionMakesNoBlocks(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	h := newHarness(t, memdb.New(), l1)
	h.send(0, 1, crypto.PubkeyToAddress(h.keys[1].PublicKey), big.NewInt(1)) // nonce 0 is missing
	for range 8 {
		h.now = h.now.Add(250 * time.Millisecond)
		h.step()
	}
	if n := h.chain.Head().Number(); n != 0 || h.pool.Len() != 1 {
		t.Fatalf("with only a gapped transaction pooled the L2 grew to %d blocks (pool holds %d)", n, h.pool.Len())
	}
}
