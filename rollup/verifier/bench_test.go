package verifier_test

import (
	"context"
	"io"
	"log/slog"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/rollup/batch"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/derive"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/verifier"
	"github.com/bilayer/bilayer/store/memdb"
)

// BenchmarkDerivation measures how fast a verifier catches up: L2 blocks
// per second derived from L1 data and executed (each block 100 transfers
// from 10 senders), reported as blocks/s and tx/s.
func BenchmarkDerivation(b *testing.B) {
	const blocks, perBlock = 40, 100
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l1 := newMemL1(1_000_000)
	accounts, err := devkeys.Accounts(10)
	if err != nil {
		b.Fatal(err)
	}
	g, err := devnet.NewGenesis([]common.Address{common.HexToAddress("0x7a1")}, common.HexToAddress("0x5e9"), 1_000_000)
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := rollupconfig.FromGenesis(g, l1.blocks[0].Ref.Hash)
	if err != nil {
		b.Fatal(err)
	}
	gen := l2chain.Genesis{Alloc: cfg.L2GenesisAlloc(), Block: cfg.L2GenesisBlock}
	src, err := l2chain.Open(memdb.New(), cfg.ExecutionConfig(), nil, gen, log)
	if err != nil {
		b.Fatal(err)
	}
	// Build the L2 blocks once, then post them one batch per L1 block.
	signer := execution.Signer(cfg.ExecutionConfig().ChainID)
	nonces := make([]uint64, len(accounts))
	var batches []*batch.Batch
	for n := 1; n <= blocks; n++ {
		l1.mine(1_000_000 + uint64(n))
		var txs []*types.Transaction
		for i := range perBlock {
			a := i % len(accounts)
			to := common.BigToAddress(big.NewInt(int64(n*perBlock + i + 1)))
			tx, err := types.SignNewTx(accounts[a].Key, signer, &types.DynamicFeeTx{ChainID: signer.ChainID(), Nonce: nonces[a],
				GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(100_000_000_000), Gas: execution.TxGas, To: &to, Value: big.NewInt(1)})
			if err != nil {
				b.Fatal(err)
			}
			nonces[a]++
			txs = append(txs, tx)
		}
		parent := src.Head()
		origin := l1.blocks[n]
		ex, err := src.Apply(l2chain.Attributes{Time: origin.Time, Origin: origin.Ref, OriginTime: origin.Time}, txs)
		if err != nil {
			b.Fatal(err)
		}
		if err := src.Commit(ex); err != nil {
			b.Fatal(err)
		}
		blk := ex.Block
		batches = append(batches, &batch.Batch{ParentHash: parent.Hash(), Blocks: []batch.Block{{Number: block.L2Number(blk.Number()),
			Time: blk.Header.Time, Origin: blk.L2.Origin.Number, Transactions: blk.Transactions, StateRoot: blk.Header.Root, BlockHash: blk.Hash()}}})
	}
	// The L1 blocks that carry them: batch k in L1 block blocks+1+k.
	var carriers []*derive.L1Block
	for k, bt := range batches {
		n := block.L1Number(blocks + 1 + k)
		carriers = append(carriers, &derive.L1Block{Ref: block.L1Ref{Number: n, Hash: common.BigToHash(big.NewInt(int64(n) + 0x1000)),
			BaseFee: big.NewInt(1_000_000_000)}, Time: 1_000_000 + uint64(n), Batches: []derive.AcceptedBatch{{Index: uint64(k), Batch: bt}}})
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		mem := newMemL1(1_000_000)
		mem.blocks = append(mem.blocks, l1.blocks[1:]...)
		vdb := memdb.New()
		vChain, err := l2chain.Open(vdb, cfg.ExecutionConfig(), nil, gen, log)
		if err != nil {
			b.Fatal(err)
		}
		v, err := verifier.New(context.Background(), verifier.Config{SequencingWindow: 1 << 20}, vChain, vdb, mem, nil, log)
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range mem.blocks[1:] {
			if err := v.Step(l); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for _, c := range carriers {
			if err := v.Step(c); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if st := v.Status(); st.Agreed != blocks || st.FirstDisagreement != nil {
			b.Fatalf("verifier agreed on %d of %d outputs: %+v", st.Agreed, blocks, st.FirstDisagreement)
		}
		b.StartTimer()
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(blocks/sec, "blocks/s")
	b.ReportMetric(blocks*perBlock/sec, "tx/s")
}
