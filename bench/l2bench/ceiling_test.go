package l2bench

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"io"
	"log/slog"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/devnet"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/l2rpc"
	"github.com/bilayer/bilayer/rollup/sequencer"
	pebblestore "github.com/bilayer/bilayer/store/pebble"
	"github.com/bilayer/bilayer/txpool"
)

// staticL1 is an L1 that stays at its genesis: the sequencer keeps origin
// 0 and applies no operations, so only transfers are measured.
type staticL1 struct{ genesis *sequencer.L1Block }

func (l staticL1) HeadNumber(context.Context) (block.L1Number, error) { return 0, nil }
func (l staticL1) L1Block(context.Context, block.L1Number) (*sequencer.L1Block, error) {
	return l.genesis, nil
}

const (
	ceilingSenders = 2_000
	ceilingFillers = 100_000
	ceilingBlock   = 1_000
)

// BenchmarkSequencerBlock1000Transfers is the sequencer's cost per
// transfer with the machine to itself, in one goroutine: admission (decode
// the raw transaction, the RPC backend's checks with sender recovery, pool
// admission) and production (one L2 block of 1,000 transfers from 1,000 of
// 2,000 senders to new accounts, over a state of 100k accounts: pool
// snapshot, execution, state root, trie commit and the synced pebble
// batch, pool upkeep). The same code as `sequencer run`, on the devnet's
// rollup parameters, without JSON-RPC. l2bench turns the two costs into
// the machine's L2 ceiling.
func BenchmarkSequencerBlock1000Transfers(b *testing.B) {
	keys := make([]*ecdsa.PrivateKey, ceilingSenders)
	for i := range keys {
		var idx [8]byte
		binary.BigEndian.PutUint64(idx[:], uint64(i))
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte("l2-ceiling"), idx[:]))
		if err != nil {
			b.Fatal(err)
		}
		keys[i] = k
	}
	chain, pool, seq, backend := newCeilingSequencer(b, keys)

	// Presign every block's transfers: block i holds one transfer from
	// each of 1,000 senders, alternating halves of the 2,000.
	signer := types.LatestSignerForChainID(chain.Config().ChainID)
	nonces := make([]uint64, len(keys))
	raws := make([][][]byte, b.N)
	for i := range raws {
		raws[i] = make([][]byte, ceilingBlock)
		for j := range ceilingBlock {
			s := (i*ceilingBlock + j) % len(keys)
			to := common.BytesToAddress(crypto.Keccak256([]byte{byte(i >> 8), byte(i), byte(j >> 8), byte(j)})[:20])
			tx, err := types.SignNewTx(keys[s], signer, &types.DynamicFeeTx{ChainID: chain.Config().ChainID, Nonce: nonces[s],
				GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(1e12), Gas: 21000, To: &to, Value: big.NewInt(1)})
			if err != nil {
				b.Fatal(err)
			}
			nonces[s]++
			if raws[i][j], err = tx.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
	}
	ctx := context.Background()
	now := time.Unix(int64(chain.Head().Header.Time), 0)
	var admit, produce time.Duration
	included := 0
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		for _, raw := range raws[i] {
			tx := new(types.Transaction)
			if err := tx.UnmarshalBinary(raw); err != nil {
				b.Fatal(err)
			}
			if err := backend.SendTransaction(ctx, tx); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		head := chain.Head().Number()
		now = now.Add(time.Second)
		if _, err := seq.Step(now); err != nil {
			b.Fatal(err)
		}
		produce += time.Since(mid)
		admit += mid.Sub(start)
		for n := head + 1; n <= chain.Head().Number(); n++ {
			blk, err := chain.BlockByNumber(block.L2Number(n))
			if err != nil {
				b.Fatal(err)
			}
			included += len(blk.Transactions)
		}
	}
	b.StopTimer()
	if pending := pool.Len(); included+pending != b.N*ceilingBlock {
		b.Fatalf("included %d + pending %d, want %d", included, pending, b.N*ceilingBlock)
	}
	if included == 0 {
		b.Fatal("no transfer included")
	}
	b.ReportMetric(float64(admit.Microseconds())/float64(b.N*ceilingBlock), "admit-µs/tx")
	b.ReportMetric(float64(produce.Microseconds())/float64(included), "produce-µs/tx")
}

// newCeilingSequencer opens an L2 chain on pebble with the devnet's
// rollup parameters, the senders funded and 100k other accounts in the
// genesis state, and a sequencer and RPC backend on it.
func newCeilingSequencer(b *testing.B, keys []*ecdsa.PrivateKey) (*l2chain.Chain, *txpool.Pool, *sequencer.Sequencer, *l2rpc.Backend) {
	b.Helper()
	v, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	s, err := crypto.GenerateKey()
	if err != nil {
		b.Fatal(err)
	}
	g, err := devnet.NewGenesis([]common.Address{crypto.PubkeyToAddress(v.PublicKey)}, crypto.PubkeyToAddress(s.PublicKey), 1_700_000_000)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range keys {
		g.Rollup.L2Alloc[crypto.PubkeyToAddress(k.PublicKey)] = genesis.Account{Balance: genesis.NewAmount(genesis.Ether(1000).Big())}
	}
	for i := range ceilingFillers {
		var a common.Address
		binary.BigEndian.PutUint64(a[12:], uint64(i)+1<<40)
		g.Rollup.L2Alloc[a] = genesis.Account{Balance: genesis.NewAmount(big.NewInt(1))}
	}
	g.Alloc[bridge.Address] = genesis.Account{Balance: genesis.NewAmount(g.Rollup.L2Prefund())}
	cfg, err := rollupconfig.FromGenesis(g, common.HexToHash("0x11"))
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := pebblestore.Open(filepath.Join(b.TempDir(), "l2"), pebblestore.Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	chain, err := l2chain.Open(db, cfg.ExecutionConfig(), nil, l2chain.Genesis{Alloc: cfg.L2GenesisAlloc(), Block: cfg.L2GenesisBlock}, log)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { chain.Close() })
	pool, err := sequencer.NewPool(txpool.DefaultConfig(), chain)
	if err != nil {
		b.Fatal(err)
	}
	scfg := sequencer.DefaultConfig()
	scfg.BlockTime = cfg.L2BlockTime
	scfg.MaxOriginLag = cfg.MaxOriginLag
	scfg.BuildBudget = time.Hour // measure whole blocks, however slow the machine
	l1 := staticL1{genesis: &sequencer.L1Block{Ref: cfg.L1GenesisRef(), Time: cfg.L1GenesisTime}}
	seq := sequencer.New(scfg, chain, pool, l1, nil, log)
	return chain, pool, seq, l2rpc.NewBackend(chain, pool, nil, nil, "l2bench")
}
