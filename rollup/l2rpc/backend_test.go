package l2rpc

import (
	"context"
	"crypto/ecdsa"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/ethrpc"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/store/memdb"
)

// l2 is an in-memory L2 chain served over JSON-RPC, whose blocks the test
// makes itself (all at the genesis's origin).
type l2 struct {
	chain *l2chain.Chain
	key   *ecdsa.PrivateKey
	nonce uint64
	url   string
}

func startL2(t *testing.T) *l2 {
	t.Helper()
	key, err := crypto.ToECDSA(common.LeftPadBytes([]byte{0x77}, 32))
	if err != nil {
		t.Fatal(err)
	}
	validator, err := crypto.ToECDSA(common.LeftPadBytes([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	g := &genesis.Genesis{ChainID: 1337, Devnet: true, GasLimit: 30_000_000, Timestamp: 1_700_000_000,
		Alloc:      map[common.Address]genesis.Account{rollupconfig.BridgeAddress: {Balance: genesis.Ether(10)}},
		Validators: []genesis.Validator{{Address: crypto.PubkeyToAddress(validator.PublicKey), Stake: genesis.Ether(100)}},
		Rollup: &genesis.Rollup{L2ChainID: 1338, ChallengeWindow: 30, SequencingWindow: 20, SequencerBond: genesis.Ether(10),
			Sequencer: common.HexToAddress("0x5e9"), L2Alloc: map[common.Address]genesis.Account{crypto.PubkeyToAddress(key.PublicKey): {Balance: genesis.Ether(10)}}}}
	g.BlockTime.Duration = time.Second
	g.FillDefaults()
	cfg, err := rollupconfig.FromGenesis(g, common.Hash{1})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	chain, err := l2chain.Open(memdb.New(), cfg.ExecutionConfig(), nil, l2chain.Genesis{Alloc: cfg.L2GenesisAlloc(), Block: cfg.L2GenesisBlock}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ethrpc.NewServer(NewBackend(chain, nil, nil, nil, "test"), log)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Stop(ctx)
		chain.Close()
	})
	return &l2{chain: chain, key: key, url: srv.Addr()}
}

// addBlock commits the next block with n withdrawals (each logs
// WithdrawalInitiated) and returns it.
func (c *l2) addBlock(t *testing.T, n int) *block.Block {
	t.Helper()
	signer := types.LatestSignerForChainID(big.NewInt(1338))
	var txs []*types.Transaction
	for range n {
		to := withdrawalqueue.Address
		tx, err := types.SignNewTx(c.key, signer, &types.DynamicFeeTx{ChainID: big.NewInt(1338), Nonce: c.nonce,
			GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 200_000, To: &to, Value: big.NewInt(1e15),
			Data: withdrawalqueue.PackInitiate(common.HexToAddress("0x1234567890"))})
		if err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
		c.nonce++
	}
	parent := c.chain.Head()
	ex, err := c.chain.Apply(l2chain.Attributes{Time: parent.Header.Time, Origin: parent.L2.Origin, OriginTime: parent.Header.Time}, txs)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Block.Transactions) != n {
		t.Fatalf("block %d holds %d of %d withdrawals", ex.Block.Number(), len(ex.Block.Transactions), n)
	}
	if err := c.chain.Commit(ex); err != nil {
		t.Fatal(err)
	}
	return ex.Block
}

// TestSubscriptionsOnTheL2 is acceptance 1 on the L2 RPC: over WebSocket,
// SubscribeNewHead sees every L2 block once, in order, with the hash the
// node serves; SubscribeFilterLogs every WithdrawalInitiated once, in
// order.
func TestSubscriptionsOnTheL2(t *testing.T) {
	c := startL2(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, err := ethclient.DialContext(ctx, "ws://"+c.url)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	q := ethereum.FilterQuery{Addresses: []common.Address{withdrawalqueue.Address}}
	logs := make(chan types.Log, 64)
	lsub, err := ws.SubscribeFilterLogs(ctx, q, logs)
	if err != nil {
		t.Fatal(err)
	}
	defer lsub.Unsubscribe()
	heads := make(chan *types.Header, 64)
	hsub, err := ws.SubscribeNewHead(ctx, heads)
	if err != nil {
		t.Fatal(err)
	}
	defer hsub.Unsubscribe()
	var blocks []*block.Block
	for i, n := range []int{1, 0, 2, 1} {
		blocks = append(blocks, c.addBlock(t, n))
		if blocks[i].Number() != uint64(i+1) {
			t.Fatalf("block %d numbered %d", i+1, blocks[i].Number())
		}
	}
	for _, b := range blocks {
		select {
		case h := <-heads:
			if h.Number.Uint64() != b.Number() || h.Hash() != b.Hash() {
				t.Fatalf("head %d: got %d with hash %s, want %s", b.Number(), h.Number, h.Hash(), b.Hash())
			}
		case err := <-hsub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("head %d: %v", b.Number(), ctx.Err())
		}
	}
	q.FromBlock, q.ToBlock = big.NewInt(1), big.NewInt(4)
	want, err := ws.FilterLogs(ctx, q)
	if err != nil || len(want) != 4 {
		t.Fatalf("eth_getLogs: %d logs, want 4 withdrawals; %v", len(want), err)
	}
	for i, w := range want {
		select {
		case got := <-logs:
			if got.BlockHash != w.BlockHash || got.Index != w.Index || got.TxHash != w.TxHash {
				t.Fatalf("log %d: got block %d index %d, want block %d index %d", i, got.BlockNumber, got.Index, w.BlockNumber, w.Index)
			}
		case err := <-lsub.Err():
			t.Fatal(err)
		case <-ctx.Done():
			t.Fatalf("log %d: %v", i, ctx.Err())
		}
	}
}
