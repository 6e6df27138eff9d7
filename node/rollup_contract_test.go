package node

import (
	"context"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/core/syscontract"
	"github.com/bilayer/bilayer/ethrpc"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	rollupcontract "github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// TestRollupContractRunsOnARollupGenesis: with a rollup section the L1
// registers the rollup contract, which initializes itself in L1 block 1:
// its last accepted block is the L2 genesis that the sequencer computes
// from the L1 genesis hash, and its history holds the L1 blocks the chain
// made.
func TestRollupContractRunsOnARollupGenesis(t *testing.T) {
	c := newMemClusterWith(t, 1, rollupGenesis(genesis.Ether(30)))
	n := c.start(0, memdb.New())
	if !n.Chain().Registry().IsSystemContract(rollupcontract.Address) {
		t.Fatal("the rollup contract is not registered")
	}
	if got := n.Chain().Registry().MaxCallDataSize(rollupcontract.Address); got != rollupcontract.MaxCallDataSize {
		t.Fatalf("calldata limit %d", got)
	}
	st, err := n.Chain().StateAt(0)
	if err != nil {
		t.Fatal(err)
	}
	if st.GetNonce(rollupcontract.Address) != 1 || string(st.GetCode(rollupcontract.Address)) != string(syscontract.MarkerCode()) {
		t.Fatal("the rollup contract's genesis account lacks its marker")
	}
	if _, err := rollupcontract.ReadLastAccepted(st); err == nil {
		t.Fatal("the genesis state holds rollup contract state")
	}
	waitFor(t, 30*time.Second, "height 3", func() bool { return n.Chain().Head().Number() >= 3 })
	if st, err = n.Chain().StateAt(3); err != nil {
		t.Fatal(err)
	}
	cfg, err := rollupconfig.FromGenesis(c.gen, n.Chain().GenesisHash())
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rollupcontract.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	head, err := rollupcontract.ReadLastAccepted(st)
	if err != nil {
		t.Fatal(err)
	}
	if want := cfg.L2GenesisBlock(rc.L2GenesisStateRoot()).Hash(); head.Number != 0 || head.Hash != want || head.Time != c.gen.Timestamp {
		t.Fatalf("last accepted %+v, want the L2 genesis %s", head, want)
	}
	for h := uint64(0); h < 3; h++ {
		b, err := n.Chain().BlockByNumber(h)
		if err != nil {
			t.Fatal(err)
		}
		l1, err := rollupcontract.ReadL1Block(st, block.L1Number(h))
		if err != nil || l1.Hash != b.Hash() || l1.Time != b.Header.Time || l1.BaseFee.Cmp(b.Header.BaseFee) != 0 {
			t.Fatalf("history of L1 block %d: %+v, %v; the chain has %s", h, l1, err, b.Hash())
		}
	}
}

// TestMaximalBatchTransactionTravels: the largest transaction the rollup
// contract admits — a challenge carrying a 4 MiB proof, a little more
// calldata than a submitBatch carrying a 4 MiB batch — passes the JSON-RPC
// request limit, the pool, the transaction gossip (a full node relays it
// to the only validator), the block size limit and the consensus gossip
// back to the full node; one byte more is refused at once.
func TestMaximalBatchTransactionTravels(t *testing.T) {
	// 4 MiB of calldata costs 67M gas (16 a byte): the block gas limit
	// must hold it, as the devnet's 200M does.
	withRollup := rollupGenesis(genesis.Ether(30))
	c := newMemClusterWith(t, 1, func(g *genesis.Genesis) { withRollup(g); g.GasLimit = 100_000_000 })
	v := c.start(0, memdb.New())
	full := c.start(-1, memdb.New())
	srv, err := ethrpc.NewServer(full.RPCBackend(), slog.New(slog.DiscardHandler))
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
	})
	client, err := ethclient.Dial("http://" + srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	waitFor(t, 30*time.Second, "the full node at height 1", func() bool { return full.Chain().Head().Number() >= 1 })

	from := crypto.PubkeyToAddress(c.user.PublicKey)
	send := func(data []byte) (*types.Transaction, error) {
		nonce, err := client.PendingNonceAt(context.Background(), from)
		if err != nil {
			t.Fatal(err)
		}
		to := rollupcontract.Address
		tx, err := types.SignNewTx(c.user, full.Chain().Signer(), &types.DynamicFeeTx{ChainID: big.NewInt(1337), Nonce: nonce,
			GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(100e9), Gas: 70_000_000, To: &to,
			Data: data})
		if err != nil {
			t.Fatal(err)
		}
		return tx, client.SendTransaction(context.Background(), tx)
	}
	over, err := send(rollupcontract.PackChallenge(1, make([]byte, protocol.MaxFraudProofSize+1)))
	if err == nil || !strings.Contains(err.Error(), "transaction too large") {
		t.Fatalf("a transaction one byte over the limit: %v", err)
	}
	if full.Pool().Get(over.Hash()) != nil {
		t.Fatal("the oversized transaction is pooled")
	}
	tx, err := send(rollupcontract.PackChallenge(1, make([]byte, protocol.MaxFraudProofSize)))
	if err != nil {
		t.Fatalf("a maximal challenge transaction: %v", err)
	}
	if tx.Size() <= rollupcontract.MaxCallDataSize {
		t.Fatalf("test setup: transaction of %d bytes", tx.Size())
	}
	var at uint64
	waitFor(t, 60*time.Second, "the validator to include the transaction", func() bool {
		loc, err := v.Chain().TxLocation(tx.Hash())
		if err != nil {
			return false
		}
		at = loc.Height
		return true
	})
	waitFor(t, 60*time.Second, "the full node to receive its block", func() bool {
		loc, err := full.Chain().TxLocation(tx.Hash())
		return err == nil && loc.Height == at
	})
	receipt, err := client.TransactionReceipt(context.Background(), tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	// Its proof is zeros: the call reverts, the transaction is included
	// and paid for.
	if receipt.Status != types.ReceiptStatusFailed || receipt.GasUsed < 16_000_000 {
		t.Fatalf("receipt status %d, gas used %d", receipt.Status, receipt.GasUsed)
	}
}
