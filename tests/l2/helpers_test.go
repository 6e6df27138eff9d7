package l2_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devkeys"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m)) }

// l1BlockTime is the L1 block time of the test cluster: the devnet
// default, which keeps the tests robust when other work loads the machine.
const l1BlockTime = time.Second

// skipShort skips a test that starts processes when -short is given.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts validator, sequencer and challenger processes; skipped with -short")
	}
}

// testCtx returns a context that ends after d or when the test ends.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// env is one cluster with a sequencer and a challenger, and what the tests
// know about it.
type env struct {
	c   *cluster.Cluster
	l1  *cluster.Node // validator 0, which the sequencer follows
	seq *cluster.Node
	// ch is the challenger: it follows the full node (node 1), never the
	// sequencer.
	ch *cluster.Node

	l1Signer, l2Signer types.Signer
	// rules prices the L1 data fee as the genesis says.
	rules *execution.L2Rules
	// maxOriginLag is the genesis's rollup.maxOriginLag.
	maxOriginLag uint64
	// origins recovers every L2 block's L1 origin from the L1 (the
	// sequencer's blocks; replaced after a step that changes its unsafe
	// chain).
	origins *originTracker
	// withdrawal is the withdrawal testWithdrawalInitiated made, for
	// testWithdrawalPaid.
	withdrawal *withdrawalCase
}

// newEnv starts a one-validator cluster with a full node, a sequencer
// (following the validator) and a challenger (following the full node).
func newEnv(t *testing.T) *env {
	t.Helper()
	// The challenger can prove (it holds a funded L1 key): over the whole
	// honest run it must never send a challenge.
	c := cluster.New(t, cluster.Options{Validators: 1, FullNodes: 1, BlockTime: l1BlockTime, Sequencer: true, Challenger: true,
		ChallengerKey: devAccount(t, devnet.ChallengerAccount).Key})
	r := c.Genesis.Rollup
	e := &env{
		c: c, l1: c.Node(0), seq: c.Sequencer(), ch: c.Challenger(),
		l1Signer:     types.LatestSignerForChainID(new(big.Int).SetUint64(c.Genesis.ChainID)),
		l2Signer:     types.LatestSignerForChainID(new(big.Int).SetUint64(r.L2ChainID)),
		rules:        &execution.L2Rules{FeeVault: rollupconfig.FeeVault, L1FeeScalar: r.L1FeeScalar, MaxTxsPerBlock: int(r.MaxTxsPerBlock)},
		maxOriginLag: r.MaxOriginLag,
	}
	e.origins = newOriginTracker(e)
	return e
}

// l2 returns an ethclient on the sequencer (fetched again after restarts).
func (e *env) l2() *ethclient.Client { return e.seq.Client() }

// l1c returns an ethclient on validator 0.
func (e *env) l1c() *ethclient.Client { return e.l1.Client() }

// devAccount returns development account i, failing the test on error.
func devAccount(t *testing.T, i int) devkeys.Account {
	t.Helper()
	a, err := devkeys.Get(i)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// freshAddress returns an address nobody holds a key for in these tests.
func freshAddress(t *testing.T) common.Address {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return crypto.PubkeyToAddress(k.PublicKey)
}

// fees are the tip and fee cap of a dynamic-fee transaction.
type fees struct {
	tip, feeCap *big.Int
}

// suggestFees returns the node's suggested tip and a fee cap of twice the
// head's base fee plus the tip.
func suggestFees(ctx context.Context, c *ethclient.Client) (fees, error) {
	tip, err := c.SuggestGasTipCap(ctx)
	if err != nil {
		return fees{}, fmt.Errorf("suggest tip: %w", err)
	}
	head, err := c.HeaderByNumber(ctx, nil)
	if err != nil {
		return fees{}, fmt.Errorf("head header: %w", err)
	}
	return fees{tip: tip, feeCap: new(big.Int).Add(new(big.Int).Mul(head.BaseFee, big.NewInt(2)), tip)}, nil
}

// signDynamic signs a dynamic-fee transaction.
func signDynamic(s types.Signer, key *ecdsa.PrivateKey, nonce uint64, f fees, gas uint64, to common.Address, value *big.Int, data []byte) (*types.Transaction, error) {
	tx, err := types.SignNewTx(key, s, &types.DynamicFeeTx{ChainID: s.ChainID(), Nonce: nonce, GasTipCap: f.tip,
		GasFeeCap: f.feeCap, Gas: gas, To: &to, Value: value, Data: data})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return tx, nil
}

// transfer builds a signed dynamic-fee transfer from key with the pending
// nonce and suggested fees of the node behind c.
func transfer(ctx context.Context, c *ethclient.Client, s types.Signer, key *ecdsa.PrivateKey, to common.Address, value *big.Int) (*types.Transaction, error) {
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		return nil, fmt.Errorf("nonce of %s: %w", from, err)
	}
	f, err := suggestFees(ctx, c)
	if err != nil {
		return nil, err
	}
	return signDynamic(s, key, nonce, f, 21_000, to, value, nil)
}

// waitReceipt polls for the receipt of hash until ctx ends.
func waitReceipt(ctx context.Context, c *ethclient.Client, hash common.Hash) (*types.Receipt, error) {
	var r *types.Receipt
	err := cluster.Eventually(deadlineOf(ctx), func() error {
		var err error
		r, err = c.TransactionReceipt(ctx, hash)
		if err != nil {
			return fmt.Errorf("receipt of %s: %w", hash, err)
		}
		return nil
	})
	return r, err
}

// deadlineOf is the time left before ctx's deadline (30 s without one).
func deadlineOf(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return time.Until(d)
	}
	return 30 * time.Second
}

// isNotFound reports whether err is ethclient's "not found".
func isNotFound(err error) bool { return errors.Is(err, ethereum.NotFound) }

// l2Receipt is an L2 receipt as the sequencer renders it, with the L1
// data-fee fields ethclient does not decode.
type l2Receipt struct {
	TxHash            common.Hash    `json:"transactionHash"`
	BlockHash         common.Hash    `json:"blockHash"`
	BlockNumber       hexutil.Uint64 `json:"blockNumber"`
	Status            hexutil.Uint64 `json:"status"`
	GasUsed           hexutil.Uint64 `json:"gasUsed"`
	EffectiveGasPrice *hexutil.Big   `json:"effectiveGasPrice"`
	L1Fee             *hexutil.Big   `json:"l1Fee"`
	L1GasPrice        *hexutil.Big   `json:"l1GasPrice"`
	L1FeeScalar       hexutil.Uint64 `json:"l1FeeScalar"`
	L1OriginBlock     hexutil.Uint64 `json:"l1OriginBlock"`
}

// fee is what the receipt's transaction paid the fee vault: gasUsed ×
// effectiveGasPrice + l1Fee.
func (r *l2Receipt) fee() (*big.Int, error) {
	if r.EffectiveGasPrice == nil || r.L1Fee == nil {
		return nil, fmt.Errorf("receipt of %s lacks effectiveGasPrice or l1Fee", r.TxHash)
	}
	f := new(big.Int).Mul(new(big.Int).SetUint64(uint64(r.GasUsed)), r.EffectiveGasPrice.ToInt())
	return f.Add(f, r.L1Fee.ToInt()), nil
}

// rawReceipt reads eth_getTransactionReceipt from the sequencer.
func (e *env) rawReceipt(ctx context.Context, hash common.Hash) (*l2Receipt, error) {
	var r *l2Receipt
	if err := e.seq.Call(ctx, &r, "eth_getTransactionReceipt", hash); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("no receipt for %s", hash)
	}
	return r, nil
}

// blockReceipts reads the receipts of L2 block n, one
// eth_getTransactionReceipt per transaction (the sequencer does not serve
// eth_getBlockReceipts yet).
func (e *env) blockReceipts(ctx context.Context, n uint64) ([]*l2Receipt, error) {
	b, err := e.l2().BlockByNumber(ctx, big64(n))
	if err != nil {
		return nil, fmt.Errorf("L2 block %d: %w", n, err)
	}
	rs := make([]*l2Receipt, 0, len(b.Transactions()))
	for _, tx := range b.Transactions() {
		r, err := e.rawReceipt(ctx, tx.Hash())
		if err != nil {
			return nil, err
		}
		if uint64(r.BlockNumber) != n || r.BlockHash != b.Hash() {
			return nil, fmt.Errorf("receipt of %s names block %d %s, the transaction is in %d %s", tx.Hash(), r.BlockNumber, r.BlockHash, n, b.Hash())
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// rpcBlock is the part of eth_getBlockByNumber compared with what ethclient
// computes.
type rpcBlock struct {
	Hash       common.Hash `json:"hash"`
	ParentHash common.Hash `json:"parentHash"`
}

// l2BlockChecked returns L2 block n as ethclient decodes it, after checking
// that the hash go-ethereum computes from its header is the one the
// sequencer reports.
func (e *env) l2BlockChecked(ctx context.Context, n uint64) (*types.Block, error) {
	b, err := e.l2().BlockByNumber(ctx, new(big.Int).SetUint64(n))
	if err != nil {
		return nil, fmt.Errorf("L2 block %d: %w", n, err)
	}
	var raw rpcBlock
	if err := e.seq.Call(ctx, &raw, "eth_getBlockByNumber", hexutil.EncodeUint64(n), false); err != nil {
		return nil, err
	}
	if b.Hash() != raw.Hash {
		return nil, fmt.Errorf("L2 block %d: go-ethereum computes hash %s, the sequencer reports %s", n, b.Hash(), raw.Hash)
	}
	return b, nil
}

// l2Balance returns addr's L2 balance after block n (nil: latest).
func (e *env) l2Balance(ctx context.Context, addr common.Address, n *big.Int) (*big.Int, error) {
	b, err := e.l2().BalanceAt(ctx, addr, n)
	if err != nil {
		return nil, fmt.Errorf("L2 balance of %s at %v: %w", addr, n, err)
	}
	return b, nil
}

// big64 converts a block number for ethclient.
func big64(n uint64) *big.Int { return new(big.Int).SetUint64(n) }

// ether returns n ether in wei.
func ether(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
