package l1

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/nodetest"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/params"
)

// stakingAddress is the L1 staking contract (DESIGN.md section 12); its
// withdraw() reverts for an account with nothing unbonding.
var stakingAddress = common.HexToAddress("0x0000000000000000000000000000000000001001")

func selector(sig string) []byte { return crypto.Keccak256([]byte(sig))[:4] }

// testNode is a real single-validator L1 node with funded keys and a
// client dialled to it.
type testNode struct {
	url  string
	keys []*ecdsa.PrivateKey
	c    *Client
	eth  *ethclient.Client
}

func startNode(t *testing.T, nkeys int) *testNode {
	t.Helper()
	alloc := map[common.Address]int64{}
	var keys []*ecdsa.PrivateKey
	for range nkeys {
		k, err := crypto.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
		alloc[crypto.PubkeyToAddress(k.PublicKey)] = 1000
	}
	n := nodetest.Start(t, alloc, nil)
	c, err := Dial(testCtx(t), n.URL, WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	eth, err := ethclient.Dial(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eth.Close)
	return &testNode{url: n.URL, keys: keys, c: c, eth: eth}
}

func newSender(t *testing.T, c *Client, key *ecdsa.PrivateKey, logs *bytes.Buffer) *Sender {
	t.Helper()
	cfg := SenderConfig{Key: key, ChainID: big.NewInt(1337)}
	if logs != nil {
		cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s, err := NewSender(testCtx(t), c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHeadAndBlockRefsMatchEthclient(t *testing.T) {
	n := startNode(t, 0)
	ctx := testCtx(t)
	if err := n.c.CheckChainID(ctx, 1337); err != nil {
		t.Fatal(err)
	}
	if err := n.c.CheckChainID(ctx, 1); !errors.Is(err, ErrWrongChain) {
		t.Fatalf("chain id 1 accepted: %v", err)
	}
	head, err := n.c.WaitForBlock(ctx, 3)
	if err != nil || head < 3 {
		t.Fatalf("wait for block 3: head %d, %v", head, err)
	}
	if now, err := n.c.HeadNumber(ctx); err != nil || now < head {
		t.Fatalf("head %d after waiting saw %d: %v", now, head, err)
	}
	for i := block.L1Number(0); i <= head; i++ {
		ref, err := n.c.BlockRef(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		want, err := n.eth.HeaderByNumber(ctx, big.NewInt(int64(i)))
		if err != nil {
			t.Fatal(err)
		}
		if ref.Number != i || ref.Hash != want.Hash() || ref.ParentHash != want.ParentHash ||
			ref.Time != want.Time || ref.BaseFee == nil || ref.BaseFee.Cmp(want.BaseFee) != 0 {
			t.Fatalf("block %d: ref %+v, ethclient header hash %s parent %s time %d base fee %s",
				i, ref, want.Hash(), want.ParentHash, want.Time, want.BaseFee)
		}
		byHash, err := n.c.BlockRefByHash(ctx, ref.Hash)
		if err != nil || byHash.Number != i || byHash.Hash != ref.Hash {
			t.Fatalf("block %d by hash: %+v, %v", i, byHash, err)
		}
		hdr, err := n.c.Header(ctx, i)
		if err != nil || hdr.Hash() != ref.Hash {
			t.Fatalf("header %d: %v", i, err)
		}
	}
	_, err = n.c.BlockRef(ctx, head+1_000_000)
	if !errors.Is(err, ErrNotFound) || !strings.HasPrefix(err.Error(), "l1: get block") {
		t.Fatalf("block far above the head: %v", err)
	}
	// The iterator walks forward past the head as blocks are committed.
	var got []Ref
	for ref, err := range n.c.Blocks(ctx, head-1) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ref)
		if len(got) == 4 {
			break
		}
	}
	for i, ref := range got {
		if ref.Number != head-1+block.L1Number(i) || (i > 0 && ref.ParentHash != got[i-1].Hash) {
			t.Fatalf("Blocks yielded %v", got)
		}
	}
	// Cancelling ends the iteration with the context's error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, err := range n.c.Blocks(cctx, head+1_000_000) {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Blocks yielded %v", err)
		}
	}
	logs, err := n.c.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0), ToBlock: big.NewInt(int64(head))})
	if err != nil {
		t.Fatalf("filter logs: %v (%d logs)", err, len(logs))
	}
}

func TestSendAndWaitTransfer(t *testing.T) {
	n := startNode(t, 1)
	ctx := testCtx(t)
	s := newSender(t, n.c, n.keys[0], nil)
	to := common.HexToAddress("0x00000000000000000000000000000000000c0ffe")
	value := big.NewInt(params.Ether)
	r, err := s.SendAndWait(ctx, to, value, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != types.ReceiptStatusSuccessful || r.GasUsed != params.TxGas {
		t.Fatalf("receipt status %d gas %d", r.Status, r.GasUsed)
	}
	at := block.L1Number(r.BlockNumber.Uint64())
	bal, err := n.c.BalanceAt(ctx, to, &at)
	if err != nil || bal.Cmp(value) != 0 {
		t.Fatalf("balance of recipient %v, %v", bal, err)
	}
	nonce, err := n.c.NonceAt(ctx, s.Address(), nil)
	if err != nil || nonce != 1 || s.NextNonce() != 1 {
		t.Fatalf("nonce on chain %d (%v), local %d; want 1", nonce, err, s.NextNonce())
	}
	// A second sender of the same key starts from the node's nonce.
	if s2 := newSender(t, n.c, n.keys[0], nil); s2.NextNonce() != 1 {
		t.Fatalf("new sender starts at nonce %d", s2.NextNonce())
	}
	if _, err := NewSender(ctx, n.c, SenderConfig{Key: n.keys[0], ChainID: big.NewInt(1)}); !errors.Is(err, ErrWrongChain) {
		t.Fatalf("sender for chain 1: %v", err)
	}
}

func TestConcurrentSendsGetConsecutiveNonces(t *testing.T) {
	n := startNode(t, 1)
	ctx := testCtx(t)
	s := newSender(t, n.c, n.keys[0], nil)
	const senders = 4
	pending := make([]*Pending, senders)
	errs := make([]error, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			to := common.BigToAddress(big.NewInt(int64(0x1000_0000 + i)))
			pending[i], errs[i] = s.Send(ctx, to, big.NewInt(int64(i+1)), nil, params.TxGas)
		})
	}
	wg.Wait()
	seen := map[uint64]bool{}
	for i := range senders {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		seen[pending[i].Nonce()] = true
	}
	for nonce := range uint64(senders) {
		if !seen[nonce] {
			t.Fatalf("nonces %v, want 0..%d", seen, senders-1)
		}
	}
	for _, p := range pending {
		if r, err := p.Wait(ctx); err != nil || r.Status != types.ReceiptStatusSuccessful {
			t.Fatalf("nonce %d: %v", p.Nonce(), err)
		}
	}
}

func TestNonceResyncAfterExternalTransaction(t *testing.T) {
	n := startNode(t, 1)
	ctx := testCtx(t)
	var logs bytes.Buffer
	s := newSender(t, n.c, n.keys[0], &logs)
	to := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	if _, err := s.SendAndWait(ctx, to, big.NewInt(1), nil, 0); err != nil {
		t.Fatal(err)
	}
	// Another program sends nonce 1 from the same key, behind the
	// Sender's back, and it is included.
	tip, err := n.c.SuggestTip(ctx)
	if err != nil {
		t.Fatal(err)
	}
	external := types.MustSignNewTx(n.keys[0], types.LatestSignerForChainID(big.NewInt(1337)), &types.DynamicFeeTx{
		ChainID: big.NewInt(1337), Nonce: 1, GasTipCap: tip, GasFeeCap: big.NewInt(100 * params.GWei),
		Gas: params.TxGas, To: &to, Value: big.NewInt(2)})
	if err := n.eth.SendTransaction(ctx, external); err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := n.c.TransactionReceipt(ctx, external.Hash()); err == nil {
			break
		} else if !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		if err := n.c.sleep(ctx); err != nil {
			t.Fatalf("external transaction not included: %v", err)
		}
	}
	// The Sender still believes nonce 1 is next; the node says it is used.
	if s.NextNonce() != 1 {
		t.Fatalf("local nonce %d before the resync", s.NextNonce())
	}
	p, err := s.Send(ctx, to, big.NewInt(3), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Nonce() != 2 || s.NextNonce() != 3 {
		t.Fatalf("sent with nonce %d, next %d; want 2, 3", p.Nonce(), s.NextNonce())
	}
	if _, err := p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "nonce resynced") {
		t.Fatalf("resync not logged:\n%s", logs.String())
	}
}

func TestRevertReasonInErrors(t *testing.T) {
	n := startNode(t, 1)
	ctx := testCtx(t)
	withdraw := selector("withdraw()")
	const reason = "nothing is unbonding"

	_, err := n.c.CallContract(ctx, stakingAddress, withdraw, nil)
	var rev *RevertError
	if !errors.As(err, &rev) || !strings.Contains(rev.Reason, reason) || !errors.Is(err, ErrReverted) ||
		!strings.HasPrefix(err.Error(), "l1: call "+stakingAddress.Hex()) {
		t.Fatalf("call: %v", err)
	}
	head, err := n.c.HeadNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.c.CallContract(ctx, stakingAddress, withdraw, &head); !errors.As(err, &rev) ||
		!strings.Contains(err.Error(), "block ") {
		t.Fatalf("call at block %d: %v", head, err)
	}
	// A view that succeeds.
	if out, err := n.c.CallContract(ctx, stakingAddress, selector("epoch()"), nil); err != nil || len(out) != 32 {
		t.Fatalf("epoch(): %x, %v", out, err)
	}

	s := newSender(t, n.c, n.keys[0], nil)
	// Estimating the gas runs the call: the revert comes back at once.
	if _, err := s.SendAndWait(ctx, stakingAddress, nil, withdraw, 0); !errors.As(err, &rev) || !strings.Contains(err.Error(), reason) {
		t.Fatalf("send with estimate: %v", err)
	}
	if s.NextNonce() != 0 {
		t.Fatalf("a refused estimate used nonce: next %d", s.NextNonce())
	}
	// With a gas limit the transaction is included and fails; the reason
	// is recovered by replaying it.
	r, err := s.SendAndWait(ctx, stakingAddress, nil, withdraw, 100_000)
	var failed *TxFailedError
	if !errors.As(err, &failed) || !errors.Is(err, ErrTxFailed) || !errors.Is(err, ErrReverted) ||
		!strings.Contains(err.Error(), reason) {
		t.Fatalf("failed transaction: %v", err)
	}
	if r == nil || r.Status != types.ReceiptStatusFailed || failed.Receipt != r || failed.Nonce != 0 {
		t.Fatalf("failed receipt %+v, error %+v", r, failed)
	}
	t.Logf("error: %v", err)
}
