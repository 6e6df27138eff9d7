package txpool

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

var (
	chainID = big.NewInt(1337)
	signer  = types.LatestSignerForChainID(chainID)
	gwei    = big.NewInt(1_000_000_000)
)

// testState is a map-backed StateView.
type testState struct {
	nonces   map[common.Address]uint64
	balances map[common.Address]*uint256.Int
}

func newTestState() *testState {
	return &testState{nonces: map[common.Address]uint64{}, balances: map[common.Address]*uint256.Int{}}
}

func (s *testState) GetNonce(a common.Address) uint64 { return s.nonces[a] }
func (s *testState) GetBalance(a common.Address) *uint256.Int {
	if b, ok := s.balances[a]; ok {
		return b
	}
	return new(uint256.Int)
}

var (
	errTestNonceLow  = errors.New("nonce too low")
	errTestFunds     = errors.New("insufficient funds")
	errTestFeeTooLow = errors.New("max fee per gas below base fee")
)

// testValidate applies the stateful rules the node's real validation
// applies, so the pool's handling of them can be tested here.
func testValidate(tx *types.Transaction, from common.Address, st StateView, baseFee *big.Int) error {
	if tx.Nonce() < st.GetNonce(from) {
		return fmt.Errorf("%w: next nonce is %d", errTestNonceLow, st.GetNonce(from))
	}
	if tx.GasFeeCap().Cmp(baseFee) < 0 {
		return errTestFeeTooLow
	}
	if st.GetBalance(from).ToBig().Cmp(tx.Cost()) < 0 {
		return errTestFunds
	}
	return nil
}

type keyring struct {
	keys []*ecdsa.PrivateKey
	st   *testState
}

func newKeyring(t testing.TB, n int) *keyring {
	t.Helper()
	kr := &keyring{st: newTestState()}
	for i := range n {
		k, err := crypto.ToECDSA(common.LeftPadBytes(big.NewInt(int64(i+1)).Bytes(), 32))
		if err != nil {
			t.Fatal(err)
		}
		kr.keys = append(kr.keys, k)
		kr.st.balances[kr.addr(i)] = uint256.MustFromBig(new(big.Int).Mul(big.NewInt(1e18), big.NewInt(100)))
	}
	return kr
}

func (kr *keyring) addr(i int) common.Address { return crypto.PubkeyToAddress(kr.keys[i].PublicKey) }

// tx signs a transfer from account i with the given nonce, tip and fee cap
// (in gwei).
func (kr *keyring) tx(t testing.TB, i int, nonce uint64, tipGwei, capGwei int64) *types.Transaction {
	t.Helper()
	to := common.HexToAddress("0xdead")
	tx, err := types.SignNewTx(kr.keys[i], signer, &types.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, Gas: 21000, To: &to, Value: big.NewInt(1),
		GasTipCap: new(big.Int).Mul(big.NewInt(tipGwei), gwei), GasFeeCap: new(big.Int).Mul(big.NewInt(capGwei), gwei),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tx
}

func newPool(kr *keyring, cfg Config) *Pool {
	return New(cfg, signer, testValidate, kr.st, gwei)
}

func mustAdd(t *testing.T, p *Pool, txs ...*types.Transaction) {
	t.Helper()
	for i, err := range p.Add(txs...) {
		if err != nil {
			t.Fatalf("add tx %d: %v", i, err)
		}
	}
}

// drain returns the iterator's order, including every transaction.
func drain(it *Iterator) []*types.Transaction {
	var out []*types.Transaction
	for tx := it.Peek(); tx != nil; tx = it.Peek() {
		out = append(out, tx)
		it.Shift()
	}
	return out
}

func TestAddRejections(t *testing.T) {
	kr := newKeyring(t, 2)
	kr.st.nonces[kr.addr(0)] = 5
	p := newPool(kr, DefaultConfig())
	mustAdd(t, p, kr.tx(t, 0, 5, 1, 10))
	poor := kr.tx(t, 1, 0, 1, 10)
	kr.st.balances[kr.addr(1)] = uint256.NewInt(1)

	wrongChain, err := types.SignNewTx(kr.keys[0], types.LatestSignerForChainID(big.NewInt(1)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1), Nonce: 6, Gas: 21000, GasTipCap: gwei, GasFeeCap: gwei, To: &common.Address{},
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tx   *types.Transaction
		want error
	}{
		{"duplicate", kr.tx(t, 0, 5, 1, 10), ErrAlreadyKnown},
		{"nonce too low", kr.tx(t, 0, 4, 1, 10), errTestNonceLow},
		{"nonce gap", kr.tx(t, 0, 6+DefaultConfig().MaxNonceGap+1, 1, 10), ErrNonceGap},
		{"fee cap below base fee", kr.tx(t, 0, 6, 0, 0), errTestFeeTooLow},
		{"insufficient funds", poor, errTestFunds},
		{"replacement underpriced", kr.tx(t, 0, 5, 1, 11), ErrReplaceUnderpriced},
		{"wrong chain id", wrongChain, types.ErrInvalidChainId},
		{"nil", nil, ErrNotTransaction},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := p.Add(tc.tx)[0]; !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	if p.Len() != 1 {
		t.Fatalf("pool holds %d transactions after rejections, want 1", p.Len())
	}
}

func TestReplacementNeedsTenPercentOnBothCaps(t *testing.T) {
	kr := newKeyring(t, 1)
	p := newPool(kr, DefaultConfig())
	orig := kr.tx(t, 0, 0, 10, 100)
	mustAdd(t, p, orig)
	if err := p.Add(kr.tx(t, 0, 0, 10, 200))[0]; !errors.Is(err, ErrReplaceUnderpriced) {
		t.Fatalf("tip not bumped: got %v", err)
	}
	if err := p.Add(kr.tx(t, 0, 0, 20, 109))[0]; !errors.Is(err, ErrReplaceUnderpriced) {
		t.Fatalf("fee cap bumped 9%%: got %v", err)
	}
	repl := kr.tx(t, 0, 0, 11, 110)
	mustAdd(t, p, repl)
	if p.Has(orig.Hash()) || !p.Has(repl.Hash()) || p.Len() != 1 {
		t.Fatal("replacement did not replace")
	}
	if p.Bytes() != repl.Size() {
		t.Fatalf("byte count %d after replacement, want %d", p.Bytes(), repl.Size())
	}
}

func TestExecutableOrdersByTipKeepingNonceOrder(t *testing.T) {
	kr := newKeyring(t, 3)
	p := newPool(kr, DefaultConfig())
	// Sender 0: cheap first tx, rich second; sender 1: medium; sender 2: a gap.
	mustAdd(t, p,
		kr.tx(t, 0, 1, 50, 100), kr.tx(t, 0, 0, 1, 100),
		kr.tx(t, 1, 0, 5, 100),
		kr.tx(t, 2, 1, 90, 100))
	got := drain(p.Executable(gwei))
	want := []struct {
		sender int
		nonce  uint64
	}{{1, 0}, {0, 0}, {0, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %d executable, want %d", len(got), len(want))
	}
	for i, w := range want {
		from, _ := types.Sender(signer, got[i])
		if from != kr.addr(w.sender) || got[i].Nonce() != w.nonce {
			t.Fatalf("position %d: got sender %s nonce %d, want sender %d nonce %d", i, from, got[i].Nonce(), w.sender, w.nonce)
		}
	}
	if n := p.PendingNonce(kr.addr(0)); n != 2 {
		t.Fatalf("pending nonce %d, want 2", n)
	}
	if n := p.PendingNonce(kr.addr(2)); n != 0 {
		t.Fatalf("pending nonce with a gap %d, want 0", n)
	}
}

// TestExecutableAfterContinuesPastTheParentBlock: for a block built on one
// not yet committed, a sender the parent block carried continues after
// its nonces there, so transactions gapped on the head state that the
// parent fills are offered (sender 0 holds 0, 1 and, behind a gap, 3 and
// 4; the parent carries 0-2 from another pool) and the parent's own are
// not (sender 1: the parent carries 0); a sender the parent did not carry
// starts at its state nonce (sender 2).
func TestExecutableAfterContinuesPastTheParentBlock(t *testing.T) {
	kr := newKeyring(t, 3)
	p := newPool(kr, DefaultConfig())
	mustAdd(t, p, kr.tx(t, 0, 0, 9, 100), kr.tx(t, 0, 1, 9, 100), kr.tx(t, 0, 3, 9, 100), kr.tx(t, 0, 4, 9, 100),
		kr.tx(t, 1, 0, 5, 100), kr.tx(t, 1, 1, 5, 100),
		kr.tx(t, 2, 0, 1, 100))
	if got := len(drain(p.Executable(gwei))); got != 5 {
		t.Fatalf("on the head state: %d executable, want 5 (sender 0's 0-1, sender 1's 0-1, sender 2's 0)", got)
	}
	got := drain(p.ExecutableAfter(gwei, map[common.Address]uint64{kr.addr(0): 3, kr.addr(1): 1}))
	want := []struct {
		sender int
		nonce  uint64
	}{{0, 3}, {0, 4}, {1, 1}, {2, 0}}
	if len(got) != len(want) {
		t.Fatalf("after the parent: %d executable, want %d", len(got), len(want))
	}
	for i, w := range want {
		if from, _ := types.Sender(signer, got[i]); from != kr.addr(w.sender) || got[i].Nonce() != w.nonce {
			t.Fatalf("position %d: sender %s nonce %d, want sender %d nonce %d", i, from, got[i].Nonce(), w.sender, w.nonce)
		}
	}
	if got := len(drain(p.Executable(gwei))); got != 5 {
		t.Fatalf("ExecutableAfter changed the pool: %d executable on the head state, want 5", got)
	}
}

func TestIteratorPopDropsSender(t *testing.T) {
	kr := newKeyring(t, 2)
	p := newPool(kr, DefaultConfig())
	mustAdd(t, p, kr.tx(t, 0, 0, 9, 100), kr.tx(t, 0, 1, 9, 100), kr.tx(t, 1, 0, 1, 100))
	it := p.Executable(gwei)
	it.Pop() // sender 0's first tx failed: its second must not be offered
	if tx := it.Peek(); tx == nil || tx.Nonce() != 0 {
		t.Fatal("expected sender 1's tx after popping sender 0")
	}
	if from, _ := types.Sender(signer, it.Peek()); from != kr.addr(1) {
		t.Fatal("sender 0 was offered again after Pop")
	}
	it.Shift()
	if it.Peek() != nil {
		t.Fatal("iterator not exhausted")
	}
}

func TestExecutableSkipsFeeCapBelowBaseFee(t *testing.T) {
	kr := newKeyring(t, 1)
	p := newPool(kr, DefaultConfig())
	mustAdd(t, p, kr.tx(t, 0, 0, 1, 5), kr.tx(t, 0, 1, 1, 50))
	if got := drain(p.Executable(big.NewInt(10e9))); len(got) != 0 {
		t.Fatalf("%d executable at a base fee above the first fee cap, want 0", len(got))
	}
	if got := drain(p.Executable(gwei)); len(got) != 2 {
		t.Fatalf("%d executable at 1 gwei, want 2", len(got))
	}
}

func TestResetDropsIncludedAndInvalid(t *testing.T) {
	kr := newKeyring(t, 2)
	p := newPool(kr, DefaultConfig())
	mustAdd(t, p, kr.tx(t, 0, 0, 1, 10), kr.tx(t, 0, 1, 1, 10), kr.tx(t, 0, 2, 1, 10),
		kr.tx(t, 1, 0, 1, 10), kr.tx(t, 1, 1, 1, 10))
	kr.st.nonces[kr.addr(0)] = 1                   // tx 0 of sender 0 was included
	kr.st.balances[kr.addr(1)] = uint256.NewInt(1) // sender 1 is broke now
	if dropped := p.Reset(kr.st, gwei); dropped != 3 {
		t.Fatalf("dropped %d, want 3", dropped)
	}
	got := drain(p.Executable(gwei))
	if len(got) != 2 || got[0].Nonce() != 1 || got[1].Nonce() != 2 {
		t.Fatalf("after reset: %d executable", len(got))
	}
	if p.Len() != 2 {
		t.Fatalf("pool holds %d, want 2", p.Len())
	}
}

func TestFullPoolEvictsCheapestChainEnd(t *testing.T) {
	kr := newKeyring(t, 4)
	cfg := DefaultConfig()
	cfg.MaxTxs = 3
	p := newPool(kr, cfg)
	cheapHead := kr.tx(t, 0, 0, 1, 100)
	cheapTail := kr.tx(t, 0, 1, 2, 100)
	mid := kr.tx(t, 1, 0, 5, 100)
	mustAdd(t, p, cheapHead, cheapTail, mid)
	// Cheaper than every chain end: refused, pool unchanged.
	if err := p.Add(kr.tx(t, 2, 0, 1, 100))[0]; !errors.Is(err, ErrPoolFull) {
		t.Fatalf("got %v, want ErrPoolFull", err)
	}
	rich := kr.tx(t, 3, 0, 10, 100)
	mustAdd(t, p, rich)
	// The cheapest chain end was sender 0's nonce 1 (tip 2), not its nonce
	// 0 (tip 1), which would have left a gap.
	if p.Has(cheapTail.Hash()) || !p.Has(cheapHead.Hash()) || !p.Has(mid.Hash()) || !p.Has(rich.Hash()) {
		t.Fatal("wrong victim")
	}
	if p.Len() != 3 {
		t.Fatalf("pool holds %d, want 3", p.Len())
	}
}

func TestByteBound(t *testing.T) {
	kr := newKeyring(t, 3)
	first := kr.tx(t, 0, 0, 1, 100)
	cfg := DefaultConfig()
	cfg.MaxBytes = 2 * first.Size()
	p := newPool(kr, cfg)
	mustAdd(t, p, first, kr.tx(t, 1, 0, 2, 100))
	mustAdd(t, p, kr.tx(t, 2, 0, 3, 100))
	if p.Bytes() > cfg.MaxBytes || p.Has(first.Hash()) {
		t.Fatalf("byte bound not kept: %d bytes, limit %d", p.Bytes(), cfg.MaxBytes)
	}
}

func TestFutureSenderLimit(t *testing.T) {
	kr := newKeyring(t, 1)
	cfg := DefaultConfig()
	cfg.MaxFuturePerSender = 2
	p := newPool(kr, cfg)
	// Nonces 0 and 1 are executable; 3 and 4 are behind a gap at 2.
	mustAdd(t, p, kr.tx(t, 0, 0, 1, 100), kr.tx(t, 0, 1, 1, 100), kr.tx(t, 0, 3, 1, 100), kr.tx(t, 0, 4, 1, 100))
	err := p.Add(kr.tx(t, 0, 5, 1, 100))[0]
	if !errors.Is(err, ErrSenderLimit) || !strings.Contains(err.Error(), "too many pending transactions from this sender") {
		t.Fatalf("got %v, want ErrSenderLimit", err)
	}
	// Replacing a future transaction within the limit still works.
	mustAdd(t, p, kr.tx(t, 0, 4, 2, 200))
	// Filling the gap makes 3 and 4 executable, so more future ones fit.
	mustAdd(t, p, kr.tx(t, 0, 2, 1, 100))
	mustAdd(t, p, kr.tx(t, 0, 6, 1, 100), kr.tx(t, 0, 7, 1, 100))
	if got := p.PendingNonce(kr.addr(0)); got != 5 {
		t.Fatalf("pending nonce %d, want 5", got)
	}
	// Executable ones are never refused by the per-sender cap.
	mustAdd(t, p, kr.tx(t, 0, 5, 1, 100), kr.tx(t, 0, 8, 1, 100), kr.tx(t, 0, 9, 1, 100))
	if p.Len() != 10 || len(drain(p.Executable(gwei))) != 10 {
		t.Fatalf("pool holds %d, want 10 executable", p.Len())
	}
}

// TestConsecutiveNoncesUnbounded checks that one sender's 1,000
// consecutive transactions, sent at once, are all pooled and executable:
// only the pool's global bounds apply to them.
func TestConsecutiveNoncesUnbounded(t *testing.T) {
	kr := newKeyring(t, 1)
	p := newPool(kr, DefaultConfig())
	txs := make([]*types.Transaction, 1000)
	for i := range txs {
		txs[i] = kr.tx(t, 0, uint64(i), 1, 100)
	}
	mustAdd(t, p, txs...)
	if got := len(drain(p.Executable(gwei))); got != 1000 {
		t.Fatalf("%d executable, want 1000", got)
	}
	if got := p.PendingNonce(kr.addr(0)); got != 1000 {
		t.Fatalf("pending nonce %d, want 1000", got)
	}
	// The global bound still applies, with its own error.
	cfg := DefaultConfig()
	cfg.MaxTxs = 10
	small := newPool(kr, cfg)
	errs := small.Add(txs[:11]...)
	for i, err := range errs[:10] {
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
	}
	if !errors.Is(errs[10], ErrPoolFull) || !strings.Contains(errs[10].Error(), "txpool is full") {
		t.Fatalf("11th: got %v, want ErrPoolFull", errs[10])
	}
}

// TestFarFutureNonceRefused checks the gap limit is counted from the
// pending nonce, with an error that names it.
func TestFarFutureNonceRefused(t *testing.T) {
	kr := newKeyring(t, 1)
	cfg := DefaultConfig()
	p := newPool(kr, cfg)
	mustAdd(t, p, kr.tx(t, 0, 0, 1, 100), kr.tx(t, 0, 1, 1, 100))
	mustAdd(t, p, kr.tx(t, 0, 2+cfg.MaxNonceGap, 1, 100))
	err := p.Add(kr.tx(t, 0, 3+cfg.MaxNonceGap, 1, 100))[0]
	if !errors.Is(err, ErrNonceGap) || !strings.Contains(err.Error(), "next nonce is 2") {
		t.Fatalf("got %v, want ErrNonceGap", err)
	}
}

// TestBalanceCoversPendingSum checks that a sender's balance must cover
// the sum of its pooled transactions' costs, not each one alone.
func TestBalanceCoversPendingSum(t *testing.T) {
	kr := newKeyring(t, 1)
	p := newPool(kr, DefaultConfig())
	first := kr.tx(t, 0, 0, 1, 100)
	cost := uint256.MustFromBig(first.Cost())
	// Funded for two transfers and the fee of a 10 gwei higher cap: the
	// third is refused.
	slack := uint256.NewInt(21000 * 10 * 1e9)
	kr.st.balances[kr.addr(0)] = new(uint256.Int).Add(new(uint256.Int).Mul(cost, uint256.NewInt(2)), slack)
	mustAdd(t, p, first, kr.tx(t, 0, 1, 1, 100))
	err := p.Add(kr.tx(t, 0, 2, 1, 100))[0]
	if !errors.Is(err, errTestFunds) || !strings.Contains(err.Error(), "2 other pooled transactions") {
		t.Fatalf("got %v, want insufficient funds counting the pooled ones", err)
	}
	// A future one counts too.
	if err := p.Add(kr.tx(t, 0, 5, 1, 100))[0]; !errors.Is(err, errTestFunds) {
		t.Fatalf("future tx: got %v, want insufficient funds", err)
	}
	// A replacement is checked without the cost of the one it replaces:
	// a higher fee cap costs more than the balance leaves.
	if err := p.Add(kr.tx(t, 0, 1, 2, 110))[0]; err != nil {
		t.Fatalf("affordable replacement: %v", err)
	}
	if err := p.Add(kr.tx(t, 0, 1, 3, 200))[0]; !errors.Is(err, errTestFunds) {
		t.Fatalf("unaffordable replacement: got %v, want insufficient funds", err)
	}
	// After the first commits and the account is topped up, a third fits;
	// when the balance then drops, Reset keeps nonce order and drops from
	// the first transaction the remaining balance no longer covers.
	kr.st.nonces[kr.addr(0)] = 1
	kr.st.balances[kr.addr(0)] = new(uint256.Int).Mul(cost, uint256.NewInt(3))
	if dropped := p.Reset(kr.st, gwei); dropped != 1 || p.Len() != 1 {
		t.Fatalf("reset dropped %d, pool %d; want 1, 1", dropped, p.Len())
	}
	mustAdd(t, p, kr.tx(t, 0, 2, 1, 100))
	kr.st.balances[kr.addr(0)] = new(uint256.Int).Mul(cost, uint256.NewInt(2))
	if dropped := p.Reset(kr.st, gwei); dropped != 1 || p.Len() != 1 || p.PendingNonce(kr.addr(0)) != 2 {
		t.Fatalf("reset dropped %d, pool %d; want 1, 1", dropped, p.Len())
	}
}

// TestSenderRecoveredOnce checks that the pool relies on the transaction's
// cached sender: a second Add of the same object does not recover again
// (the signer cache holds it) and is refused as known.
func TestSenderRecoveredOnce(t *testing.T) {
	kr := newKeyring(t, 1)
	p := newPool(kr, DefaultConfig())
	tx := kr.tx(t, 0, 0, 1, 100)
	mustAdd(t, p, tx)
	if err := p.Add(tx)[0]; !errors.Is(err, ErrAlreadyKnown) {
		t.Fatalf("got %v", err)
	}
	recovered := testing.AllocsPerRun(100, func() { _, _ = types.Sender(signer, tx) })
	if recovered > 1 {
		t.Fatalf("sender recovery allocates %.0f times per call after caching: not cached", recovered)
	}
}

func TestResetAccountsOnlyRevalidatesTouched(t *testing.T) {
	kr := newKeyring(t, 2)
	p := newPool(kr, DefaultConfig())
	mustAdd(t, p, kr.tx(t, 0, 0, 1, 10), kr.tx(t, 1, 0, 1, 10))
	kr.st.nonces[kr.addr(0)] = 1
	kr.st.nonces[kr.addr(1)] = 1 // not in touched: its tx stays until a full reset
	if dropped := p.ResetAccounts(kr.st, gwei, map[common.Address]bool{kr.addr(0): true}); dropped != 1 {
		t.Fatalf("dropped %d, want 1", dropped)
	}
	if p.Len() != 1 {
		t.Fatalf("pool holds %d, want 1", p.Len())
	}
	if dropped := p.Reset(kr.st, gwei); dropped != 1 || p.Len() != 0 {
		t.Fatalf("full reset dropped %d, pool %d", dropped, p.Len())
	}
}

func TestFullPoolEvictsTransactionsStuckBehindAGapFirst(t *testing.T) {
	kr := newKeyring(t, 3)
	cfg := DefaultConfig()
	cfg.MaxTxs = 2
	p := newPool(kr, cfg)
	stuck := kr.tx(t, 0, 5, 50, 100) // nonce 5 with 0..4 missing: pays well but cannot run
	cheap := kr.tx(t, 1, 0, 1, 100)
	mustAdd(t, p, stuck, cheap)
	mustAdd(t, p, kr.tx(t, 2, 0, 2, 100))
	if p.Has(stuck.Hash()) || !p.Has(cheap.Hash()) {
		t.Fatal("evicted an executable transaction before one stuck behind a gap")
	}
}

// TestFullPoolRefusesGappedTransactions: once the pool is full, a
// transaction behind a nonce gap of its own is refused whatever it pays,
// and evicts nothing (not even another stuck one); an executable one still
// takes a stuck one's place.
func TestFullPoolRefusesGappedTransactions(t *testing.T) {
	kr := newKeyring(t, 3)
	cfg := DefaultConfig()
	cfg.MaxTxs = 2
	p := newPool(kr, cfg)
	stuck := kr.tx(t, 0, 5, 1, 100)
	ok := kr.tx(t, 1, 0, 1, 100)
	mustAdd(t, p, stuck, ok)
	gapped := kr.tx(t, 2, 3, 90, 100) // nonce 3 with 0..2 missing, paying 90 times more
	if err := p.Add(gapped)[0]; !errors.Is(err, ErrPoolFull) {
		t.Fatalf("gapped transaction into a full pool: %v, want ErrPoolFull", err)
	}
	if !p.Has(stuck.Hash()) || !p.Has(ok.Hash()) || p.Has(gapped.Hash()) {
		t.Fatal("a refused gapped transaction changed the pool")
	}
	mustAdd(t, p, kr.tx(t, 2, 0, 1, 100))
	if p.Has(stuck.Hash()) || !p.Has(ok.Hash()) {
		t.Fatal("an executable transaction did not take the stuck one's place")
	}
}

// TestGappedTransactionsTakeOnlyTheSlack: a transaction behind a nonce gap
// enters only while the pool is under three quarters full; an executable
// one still enters up to the bound.
func TestGappedTransactionsTakeOnlyTheSlack(t *testing.T) {
	kr := newKeyring(t, 6)
	cfg := DefaultConfig()
	cfg.MaxTxs = 4
	p := newPool(kr, cfg)
	mustAdd(t, p, kr.tx(t, 0, 0, 1, 100), kr.tx(t, 1, 0, 1, 100), kr.tx(t, 2, 4, 1, 100)) // the gapped one enters at 2 of 4
	gapped := kr.tx(t, 3, 2, 1, 100)
	if err := p.Add(gapped)[0]; !errors.Is(err, ErrPoolFull) || !strings.Contains(err.Error(), "gap") {
		t.Fatalf("gapped transaction into a pool 3/4 full: %v, want ErrPoolFull naming the gap", err)
	}
	mustAdd(t, p, kr.tx(t, 4, 0, 1, 100)) // executable: up to the bound
	if p.Len() != 4 {
		t.Fatalf("pool holds %d, want 4", p.Len())
	}
}

// TestContentSplitsPendingAndQueued: Content lists each sender's run of
// consecutive nonces from its account nonce as pending, whatever the fee
// cap, and the rest (behind a gap) as queued, both in nonce order and as
// Counts counts them; a sender with only one kind is absent from the other.
func TestContentSplitsPendingAndQueued(t *testing.T) {
	kr := newKeyring(t, 3)
	kr.st.nonces[kr.addr(1)] = 4
	p := newPool(kr, DefaultConfig())
	mustAdd(t, p, kr.tx(t, 0, 1, 1, 10), kr.tx(t, 0, 0, 1, 1), kr.tx(t, 0, 6, 1, 10), kr.tx(t, 0, 3, 1, 10),
		kr.tx(t, 1, 5, 1, 10), kr.tx(t, 1, 4, 1, 10), kr.tx(t, 2, 2, 1, 10))
	pending, queued := p.Content()
	nonces := func(txs []*types.Transaction) []uint64 {
		var out []uint64
		for _, tx := range txs {
			out = append(out, tx.Nonce())
		}
		return out
	}
	want := []struct {
		sender         int
		pending, queue []uint64
	}{{0, []uint64{0, 1}, []uint64{3, 6}}, {1, []uint64{4, 5}, nil}, {2, nil, []uint64{2}}}
	for _, w := range want {
		a := kr.addr(w.sender)
		if got := nonces(pending[a]); !slices.Equal(got, w.pending) {
			t.Errorf("sender %d pending %v, want %v", w.sender, got, w.pending)
		}
		if got := nonces(queued[a]); !slices.Equal(got, w.queue) {
			t.Errorf("sender %d queued %v, want %v", w.sender, got, w.queue)
		}
	}
	if _, ok := pending[kr.addr(2)]; ok || len(pending) != 2 {
		t.Errorf("pending lists %d senders, want 2 (not the one whose only transaction is gapped)", len(pending))
	}
	if _, ok := queued[kr.addr(1)]; ok || len(queued) != 2 {
		t.Errorf("queued lists %d senders, want 2 (not the one without a gap)", len(queued))
	}
	if np, nq := p.Counts(); np != 4 || nq != 3 {
		t.Errorf("Counts %d pending, %d queued; Content listed 4 and 3", np, nq)
	}
}

// TestCountHeldCountsOnlyPooledTransactions: CountHeld counts the given
// transactions the pool holds, by hash, and no others (a block's
// transactions another node's pool sent to the chain).
func TestCountHeldCountsOnlyPooledTransactions(t *testing.T) {
	kr := newKeyring(t, 3)
	p := newPool(kr, DefaultConfig())
	a, b := kr.tx(t, 0, 0, 9, 100), kr.tx(t, 1, 0, 9, 100)
	mustAdd(t, p, a, b)
	notPooled := kr.tx(t, 2, 0, 9, 100)
	if got := p.CountHeld(types.Transactions{a, notPooled, b}); got != 2 {
		t.Fatalf("CountHeld of two pooled and one other: %d, want 2", got)
	}
	if got := p.CountHeld(nil); got != 0 {
		t.Fatalf("CountHeld of none: %d", got)
	}
}
