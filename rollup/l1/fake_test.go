package l1

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// fakeChain is an in-process stand-in for an L1 node's JSON-RPC, for what
// a single real node cannot do on demand: leave a transaction out of its
// blocks until its fee cap reaches minFeeCap, or lose an answer. Every
// eth_blockNumber call commits a block, so a waiter's polls drive it.
type fakeChain struct {
	mu        sync.Mutex
	chainID   *big.Int
	signer    types.Signer
	baseFee   *big.Int
	tip       *big.Int
	minFeeCap *big.Int
	headers   []*types.Header
	nonce     map[common.Address]uint64
	pool      map[common.Address]map[uint64]*types.Transaction
	receipts  map[common.Hash]*types.Receipt
	accepted  []accepted      // every transaction the pool took, in order
	onHead    func(uint64)    // called (without the lock) after each block
	drop      []dropMode      // what to do with the next eth_sendRawTransaction requests
	received  map[uint64]bool // nonces the fake saw in a request at all
}

type accepted struct {
	tx   *types.Transaction
	head uint64
}

type dropMode int

const (
	answer     dropMode = iota
	dropBefore          // the request never reaches the node
	dropAfter           // the node processes it; the answer is lost
)

func newFakeChain() *fakeChain {
	f := &fakeChain{
		chainID: big.NewInt(1337), baseFee: big.NewInt(params.GWei), tip: big.NewInt(params.GWei),
		minFeeCap: new(big.Int), nonce: map[common.Address]uint64{},
		pool:     map[common.Address]map[uint64]*types.Transaction{},
		receipts: map[common.Hash]*types.Receipt{}, received: map[uint64]bool{},
	}
	f.signer = types.LatestSignerForChainID(f.chainID)
	f.headers = []*types.Header{f.makeHeader(0)}
	return f
}

func (f *fakeChain) makeHeader(n uint64) *types.Header {
	h := &types.Header{Number: new(big.Int).SetUint64(n), Time: 1_700_000_000 + n, GasLimit: 30_000_000,
		Difficulty: new(big.Int), BaseFee: new(big.Int).Set(f.baseFee), UncleHash: types.EmptyUncleHash,
		TxHash: types.EmptyTxsHash, ReceiptHash: types.EmptyReceiptsHash}
	if n > 0 {
		h.ParentHash = f.headers[n-1].Hash()
	}
	return h
}

func (f *fakeChain) head() uint64 { return uint64(len(f.headers) - 1) }

// commit makes a block with every pooled transaction that is next in
// its sender's nonce order and pays at least minFeeCap.
func (f *fakeChain) commit() {
	f.mu.Lock()
	n := f.head() + 1
	h := f.makeHeader(n)
	f.headers = append(f.headers, h)
	for from, txs := range f.pool {
		for {
			tx := txs[f.nonce[from]]
			if tx == nil || tx.GasFeeCap().Cmp(f.minFeeCap) < 0 {
				break
			}
			delete(txs, tx.Nonce())
			f.nonce[from]++
			f.receipts[tx.Hash()] = &types.Receipt{Type: tx.Type(), Status: types.ReceiptStatusSuccessful,
				CumulativeGasUsed: tx.Gas(), GasUsed: tx.Gas(), Logs: []*types.Log{}, TxHash: tx.Hash(),
				BlockHash: h.Hash(), BlockNumber: new(big.Int).SetUint64(n), EffectiveGasPrice: new(big.Int)}
		}
	}
	onHead := f.onHead
	f.mu.Unlock()
	if onHead != nil {
		onHead(n)
	}
}

// add admits tx as a node's pool would, with its error messages.
func (f *fakeChain) add(tx *types.Transaction) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	from, err := types.Sender(f.signer, tx)
	if err != nil {
		return fmt.Errorf("invalid sender: %w", err)
	}
	f.received[tx.Nonce()] = true
	txs := f.pool[from]
	if txs == nil {
		txs = map[uint64]*types.Transaction{}
		f.pool[from] = txs
	}
	old := txs[tx.Nonce()]
	switch {
	case old != nil && old.Hash() == tx.Hash():
		return fmt.Errorf("already known: %s", tx.Hash())
	case f.receipts[tx.Hash()] != nil:
		return fmt.Errorf("already known: %s", tx.Hash())
	case tx.Nonce() < f.nonce[from]:
		return fmt.Errorf("nonce too low: next nonce is %d, tx has %d", f.nonce[from], tx.Nonce())
	case tx.GasFeeCap().Cmp(f.baseFee) < 0:
		return fmt.Errorf("max fee per gas below base fee")
	case old != nil && (tx.GasTipCap().Cmp(pct(old.GasTipCap(), 110)) < 0 || tx.GasFeeCap().Cmp(pct(old.GasFeeCap(), 110)) < 0):
		return fmt.Errorf("replacement transaction underpriced: tip %s fee cap %s", tx.GasTipCap(), tx.GasFeeCap())
	}
	txs[tx.Nonce()] = tx
	f.accepted = append(f.accepted, accepted{tx: tx, head: f.head()})
	return nil
}

func pct(x *big.Int, p int64) *big.Int {
	return new(big.Int).Div(new(big.Int).Mul(x, big.NewInt(p)), big.NewInt(100))
}

func (f *fakeChain) pendingNonce(a common.Address) uint64 {
	n := f.nonce[a]
	for f.pool[a][n] != nil {
		n++
	}
	return n
}

func (f *fakeChain) acceptedTxs() []accepted {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]accepted(nil), f.accepted...)
}

// fakeEth is the "eth" namespace over a fakeChain.
type fakeEth struct{ f *fakeChain }

func (e *fakeEth) ChainId() *hexutil.Big { return (*hexutil.Big)(e.f.chainID) }

func (e *fakeEth) BlockNumber() hexutil.Uint64 {
	e.f.commit()
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	return hexutil.Uint64(e.f.head())
}

// GetBlockByNumber returns the header (its JSON has the block's hash), or
// null. (Returned as any: a nil *types.Header cannot marshal.)
func (e *fakeEth) GetBlockByNumber(n rpc.BlockNumber, _ bool) (any, error) {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	if n < 0 {
		return e.f.headers[e.f.head()], nil
	}
	if uint64(n) > e.f.head() {
		return nil, nil
	}
	return e.f.headers[n], nil
}

func (e *fakeEth) MaxPriorityFeePerGas() *hexutil.Big {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	return (*hexutil.Big)(new(big.Int).Set(e.f.tip))
}

func (e *fakeEth) GetTransactionCount(a common.Address, at rpc.BlockNumberOrHash) hexutil.Uint64 {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	if n, ok := at.Number(); ok && n == rpc.PendingBlockNumber {
		return hexutil.Uint64(e.f.pendingNonce(a))
	}
	return hexutil.Uint64(e.f.nonce[a])
}

func (e *fakeEth) EstimateGas(map[string]any, *rpc.BlockNumberOrHash) hexutil.Uint64 {
	return hexutil.Uint64(params.TxGas)
}

func (e *fakeEth) SendRawTransaction(raw hexutil.Bytes) (common.Hash, error) {
	tx := new(types.Transaction)
	if err := tx.UnmarshalBinary(raw); err != nil {
		return common.Hash{}, err
	}
	return tx.Hash(), e.f.add(tx)
}

func (e *fakeEth) GetTransactionReceipt(h common.Hash) any {
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	if r := e.f.receipts[h]; r != nil {
		return r
	}
	return nil
}

// serve runs the fake over HTTP on a loopback port; the handler can lose
// eth_sendRawTransaction requests or answers as f.drop says.
func (f *fakeChain) serve(t *testing.T) string {
	srv := rpc.NewServer()
	if err := srv.RegisterName("eth", &fakeEth{f: f}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		mode := answer
		if bytes.Contains(body, []byte("eth_sendRawTransaction")) {
			f.mu.Lock()
			if len(f.drop) > 0 {
				mode, f.drop = f.drop[0], f.drop[1:]
			}
			f.mu.Unlock()
		}
		switch mode {
		case answer:
			srv.ServeHTTP(w, r)
			return
		case dropAfter:
			srv.ServeHTTP(httptest.NewRecorder(), r)
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(hs.Close)
	return hs.URL
}

// fakeSetup is a fake chain, a client of it and a sender whose logs are
// kept.
type fakeSetup struct {
	f    *fakeChain
	c    *Client
	key  *ecdsa.PrivateKey
	logs *bytes.Buffer
}

func newFakeSetup(t *testing.T) *fakeSetup {
	f := newFakeChain()
	url := f.serve(t)
	c, err := Dial(testCtx(t), url, WithPollInterval(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &fakeSetup{f: f, c: c, key: key, logs: new(bytes.Buffer)}
}

func (fs *fakeSetup) sender(t *testing.T, cfg SenderConfig) *Sender {
	cfg.Key = fs.key
	cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: fs.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := NewSender(testCtx(t), fs.c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func gwei(x float64) *big.Int {
	v, _ := new(big.Float).Mul(big.NewFloat(x), big.NewFloat(params.GWei)).Int(nil)
	return v
}

// atLeastBumped reports whether b ≥ a × (1 + FeeBumpPermille/1000).
func atLeastBumped(a, b *big.Int) bool {
	lhs := new(big.Int).Mul(b, big.NewInt(1000))
	return lhs.Cmp(new(big.Int).Mul(a, big.NewInt(1000+FeeBumpPermille))) >= 0
}

func TestStuckTransactionIsBumped(t *testing.T) {
	fs := newFakeSetup(t)
	// Base fee 1 gwei, tip 1 gwei: the first fee cap is 3 gwei; the
	// "block builder" wants 4, three bumps away.
	fs.f.minFeeCap = gwei(4)
	s := fs.sender(t, SenderConfig{})
	to := common.HexToAddress("0xbeef")
	ctx := testCtx(t)
	p, err := s.Send(ctx, to, big.NewInt(7), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sent := fs.f.acceptedTxs()
	if len(sent) != 4 {
		t.Fatalf("%d versions sent, want 4 (3 bumps)", len(sent))
	}
	if r.TxHash != sent[3].tx.Hash() || r.TxHash != p.Hash() || len(p.Hashes()) != 4 {
		t.Fatalf("receipt of %s, last version %s, pending has %d versions", r.TxHash, sent[3].tx.Hash(), len(p.Hashes()))
	}
	for i := 1; i < len(sent); i++ {
		prev, cur := sent[i-1], sent[i]
		if cur.tx.Nonce() != prev.tx.Nonce() || cur.tx.To() == nil || *cur.tx.To() != to ||
			cur.tx.Value().Int64() != 7 || cur.tx.Gas() != prev.tx.Gas() {
			t.Fatalf("version %d is not the same transaction: %+v", i, cur.tx)
		}
		if !atLeastBumped(prev.tx.GasTipCap(), cur.tx.GasTipCap()) || !atLeastBumped(prev.tx.GasFeeCap(), cur.tx.GasFeeCap()) {
			t.Fatalf("version %d: tip %s -> %s, fee cap %s -> %s: not bumped by 12.5%%",
				i, prev.tx.GasTipCap(), cur.tx.GasTipCap(), prev.tx.GasFeeCap(), cur.tx.GasFeeCap())
		}
		if cur.head < prev.head+DefaultResendAfter {
			t.Fatalf("version %d sent at head %d, %d blocks after the previous", i, cur.head, cur.head-prev.head)
		}
	}
	if got := strings.Count(fs.logs.String(), "re-sent with bumped fees"); got != 3 {
		t.Fatalf("%d bumps logged, want 3:\n%s", got, fs.logs.String())
	}
	if s.NextNonce() != 1 {
		t.Fatalf("next nonce %d after one transaction", s.NextNonce())
	}
}

func TestBumpsStopAtMaxFeeCap(t *testing.T) {
	fs := newFakeSetup(t)
	fs.f.minFeeCap = gwei(4) // never reached: the maximum is 3.5
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	fs.f.onHead = func(n uint64) {
		if n >= 40 {
			cancel()
		}
	}
	s := fs.sender(t, SenderConfig{MaxFeeCap: gwei(3.5), ResendAfter: 2})
	_, err := s.SendAndWait(ctx, common.HexToAddress("0xbeef"), big.NewInt(1), nil, params.TxGas)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "l1: wait for transaction nonce 0") {
		t.Fatalf("wait: %v", err)
	}
	sent := fs.f.acceptedTxs()
	// 3 gwei, then 3.375; 3.797 would exceed the maximum.
	if len(sent) != 2 {
		t.Fatalf("%d versions sent, want 2", len(sent))
	}
	for _, a := range sent {
		if a.tx.GasFeeCap().Cmp(gwei(3.5)) > 0 {
			t.Fatalf("fee cap %s above the maximum", a.tx.GasFeeCap())
		}
	}
	if got := strings.Count(fs.logs.String(), "allows no further bump"); got != 1 {
		t.Fatalf("fee cap limit logged %d times:\n%s", got, fs.logs.String())
	}
	// A maximum below the base fee is refused before anything is signed.
	low := fs.sender(t, SenderConfig{MaxFeeCap: gwei(0.5)})
	if _, err := low.Send(testCtx(t), common.HexToAddress("0xbeef"), nil, nil, params.TxGas); !errors.Is(err, ErrFeeCap) {
		t.Fatalf("fee cap below base fee: %v", err)
	}
}

func TestUnansweredSendNeverReusesNonce(t *testing.T) {
	for _, mode := range []dropMode{dropAfter, dropBefore} {
		name := map[dropMode]string{dropAfter: "answer lost", dropBefore: "request lost"}[mode]
		t.Run(name, func(t *testing.T) {
			fs := newFakeSetup(t)
			fs.f.drop = []dropMode{mode}
			s := fs.sender(t, SenderConfig{})
			ctx := testCtx(t)
			to := common.HexToAddress("0xbeef")
			_, err := s.Send(ctx, to, big.NewInt(1), nil, 0)
			if !errors.Is(err, ErrOutcomeUnknown) {
				t.Fatalf("send with no answer: %v", err)
			}
			p, err := s.Send(ctx, to, big.NewInt(2), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			if p.Nonce() != 1 {
				t.Fatalf("second transaction has nonce %d, want 1", p.Nonce())
			}
			if _, err := p.Wait(ctx); err != nil {
				t.Fatal(err)
			}
			// Nonce 0 went to the first transaction and to nothing else.
			byNonce := map[uint64]*big.Int{}
			for _, a := range fs.f.acceptedTxs() {
				if v, ok := byNonce[a.tx.Nonce()]; ok && v.Cmp(a.tx.Value()) != 0 {
					t.Fatalf("nonce %d used for values %s and %s", a.tx.Nonce(), v, a.tx.Value())
				}
				byNonce[a.tx.Nonce()] = a.tx.Value()
			}
			if byNonce[0] == nil || byNonce[0].Int64() != 1 || byNonce[1] == nil || byNonce[1].Int64() != 2 {
				t.Fatalf("pool took %v", byNonce)
			}
			rebroadcast := strings.Contains(fs.logs.String(), "re-broadcast")
			if rebroadcast != (mode == dropBefore) {
				t.Fatalf("re-broadcast logged: %v, want %v:\n%s", rebroadcast, mode == dropBefore, fs.logs.String())
			}
		})
	}
}

func TestReplacementUnderpricedMovesPastExternalTransaction(t *testing.T) {
	fs := newFakeSetup(t)
	fs.f.minFeeCap = gwei(1000) // nothing is included: the external tx stays pooled
	s := fs.sender(t, SenderConfig{})
	external := types.MustSignNewTx(fs.key, fs.f.signer, &types.DynamicFeeTx{ChainID: fs.f.chainID, Nonce: 0,
		GasTipCap: gwei(50), GasFeeCap: gwei(100), Gas: params.TxGas, To: &common.Address{1}, Value: big.NewInt(9)})
	if err := fs.f.add(external); err != nil {
		t.Fatal(err)
	}
	p, err := s.Send(testCtx(t), common.HexToAddress("0xbeef"), big.NewInt(1), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Nonce() != 1 || s.NextNonce() != 2 {
		t.Fatalf("sent with nonce %d, next %d; want 1, 2", p.Nonce(), s.NextNonce())
	}
	if sent := fs.f.acceptedTxs(); len(sent) != 2 || sent[0].tx.Hash() != external.Hash() {
		t.Fatalf("the external transaction was replaced: %d accepted", len(sent))
	}
}

func TestNonceTakenByExternalTransaction(t *testing.T) {
	fs := newFakeSetup(t)
	fs.f.minFeeCap = gwei(10) // ours (3 gwei) stays out; the external one gets in
	s := fs.sender(t, SenderConfig{MaxFeeCap: gwei(3)})
	ctx := testCtx(t)
	p, err := s.Send(ctx, common.HexToAddress("0xbeef"), big.NewInt(1), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	external := types.MustSignNewTx(fs.key, fs.f.signer, &types.DynamicFeeTx{ChainID: fs.f.chainID, Nonce: 0,
		GasTipCap: gwei(50), GasFeeCap: gwei(100), Gas: params.TxGas, To: &common.Address{1}, Value: big.NewInt(9)})
	if err := fs.f.add(external); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(ctx); !errors.Is(err, ErrNonceTaken) {
		t.Fatalf("wait after an external transaction took the nonce: %v", err)
	}
}

func TestBumpFees(t *testing.T) {
	for _, c := range []struct{ in, want int64 }{{0, 1}, {1, 2}, {7, 8}, {8, 9}, {9, 11}, {1000, 1125}, {1001, 1127}} {
		if got := bumped(big.NewInt(c.in)); got.Int64() != c.want {
			t.Errorf("bumped(%d) = %s, want %d", c.in, got, c.want)
		}
	}
	maxCap := gwei(100)
	// The fee cap follows the base fee up if that is more than the bump.
	tip, feeCap, ok := bumpFees(gwei(1), gwei(3), gwei(10), gwei(1), maxCap)
	if !ok || tip.Cmp(gwei(1.125)) != 0 || feeCap.Cmp(gwei(21.125)) != 0 {
		t.Fatalf("bump with a risen base fee: tip %s fee cap %s ok %v", tip, feeCap, ok)
	}
	// A higher suggested tip is taken.
	tip, _, ok = bumpFees(gwei(1), gwei(3), gwei(1), gwei(2), maxCap)
	if !ok || tip.Cmp(gwei(2)) != 0 {
		t.Fatalf("bump with a higher suggested tip: tip %s ok %v", tip, ok)
	}
	// The maximum bounds the fee cap and the tip; no room means no bump.
	tip, feeCap, ok = bumpFees(gwei(90), gwei(95), gwei(1), gwei(1), maxCap)
	if ok || feeCap.Cmp(maxCap) != 0 || tip.Cmp(maxCap) != 0 {
		t.Fatalf("bump at the maximum: tip %s fee cap %s ok %v", tip, feeCap, ok)
	}
	tip, feeCap, err := initialFees(gwei(1), gwei(2), gwei(3))
	if err != nil || tip.Cmp(gwei(2)) != 0 || feeCap.Cmp(gwei(3)) != 0 {
		t.Fatalf("initial fees under a maximum: tip %s fee cap %s, %v", tip, feeCap, err)
	}
}
