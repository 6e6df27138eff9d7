package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/bilayer/bilayer/bridge/withdrawalqueue"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/devkeys"
	"github.com/bilayer/bilayer/rollup/batch"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/derive"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/rollup/sequencer"
	"github.com/bilayer/bilayer/rollup/verifier"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/bilayer/bilayer/txpool"
)

// memL1 is an in-memory L1 with the rollup contract's batch rules
// (protocol.CheckBatch, the same verdict the contract runs): it mines a
// block when told, carrying the deposits and batches sent since the last.
type memL1 struct {
	mu      sync.Mutex
	cfg     *rollupconfig.Config
	blocks  []*derive.L1Block
	ops     []block.Operation
	batches []derive.AcceptedBatch
	last    protocol.Head
	count   uint64
	mined   chan struct{} // closed and replaced at every block
	refused []error
}

func newMemL1(t0 uint64) *memL1 {
	g := &derive.L1Block{Ref: block.L1Ref{Number: 0, Hash: common.HexToHash("0x1001"), BaseFee: big.NewInt(1_000_000_000)}, Time: t0}
	return &memL1{blocks: []*derive.L1Block{g}, mined: make(chan struct{})}
}

func (l *memL1) mine(t uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := block.L1Number(len(l.blocks))
	for i := range l.ops {
		l.ops[i].L1Block, l.ops[i].Index = n, uint64(i)
	}
	parent := l.blocks[n-1]
	l.blocks = append(l.blocks, &derive.L1Block{Ref: block.L1Ref{Number: n, Hash: common.BigToHash(big.NewInt(int64(n) + 0x1000)),
		BaseFee: big.NewInt(1_000_000_000)}, Time: max(t, parent.Time), Operations: l.ops, Batches: l.batches})
	l.ops, l.batches = nil, nil
	close(l.mined)
	l.mined = make(chan struct{})
}

func (l *memL1) deposit(to common.Address, amount *big.Int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, block.Operation{Kind: block.OpDeposit, From: to, To: to, Amount: amount})
}

// forceWithdrawal records a forced withdrawal of who's L2 value.
func (l *memL1) forceWithdrawal(who common.Address, amount *big.Int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, block.Operation{Kind: block.OpForceWithdrawal, From: who, To: who, Amount: amount})
}

// The verifier's Source.
func (l *memL1) HeadNumber(context.Context) (block.L1Number, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return block.L1Number(len(l.blocks) - 1), nil
}

func (l *memL1) L1Block(_ context.Context, n block.L1Number) (*derive.L1Block, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if int(n) >= len(l.blocks) {
		return nil, fmt.Errorf("no L1 block %d", n)
	}
	return l.blocks[n], nil
}

// seqL1 is the sequencer's L1Source over the same chain.
type seqL1 struct{ l *memL1 }

func (s seqL1) HeadNumber(ctx context.Context) (block.L1Number, error) { return s.l.HeadNumber(ctx) }
func (s seqL1) L1Block(ctx context.Context, n block.L1Number) (*sequencer.L1Block, error) {
	b, err := s.l.L1Block(ctx, n)
	if err != nil {
		return nil, err
	}
	return &sequencer.L1Block{Ref: b.Ref, Time: b.Time, Operations: b.Operations}, nil
}

// The batcher's RollupL1.
func (l *memL1) LastAccepted(context.Context) (protocol.Head, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, nil
}
func (l *memL1) FinalizedBlock(context.Context) (block.L2Number, error) { return 0, nil }
func (l *memL1) Bonded(context.Context) (*big.Int, error)               { return l.cfg.SequencerBond, nil }
func (l *memL1) Bond(context.Context, *big.Int) error                   { return nil }

func (l *memL1) Submit(ctx context.Context, data []byte) (*types.Receipt, error) {
	l.mu.Lock()
	b, err := batch.Decode(data, contract.BatchLimits(l.cfg))
	if err != nil {
		l.mu.Unlock()
		return nil, err
	}
	n := block.L1Number(len(l.blocks))
	verdict, err := protocol.CheckBatch(b, protocol.CheckContext{
		Last: l.last, L1Number: n, L1Time: uint64(time.Now().Unix()), SequencingWindow: l.cfg.SequencingWindow,
		Caps: contract.BatchCaps(l.cfg),
		Origin: func(x block.L1Number) (common.Hash, uint64, bool) {
			if int(x) >= len(l.blocks) {
				return common.Hash{}, 0, false
			}
			return l.blocks[x].Ref.Hash, l.blocks[x].Time, true
		},
	})
	if verdict != protocol.Accept {
		l.refused = append(l.refused, err)
		l.mu.Unlock()
		return nil, err
	}
	lastBlk := b.Blocks[len(b.Blocks)-1]
	l.last = protocol.Head{Number: lastBlk.Number, Hash: lastBlk.BlockHash, Time: lastBlk.Time, Origin: lastBlk.Origin}
	l.batches = append(l.batches, derive.AcceptedBatch{Index: l.count, Batch: b})
	l.count++
	mined := l.mined
	l.mu.Unlock()
	select {
	case <-mined:
		return &types.Receipt{Status: 1}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type node struct {
	chain *l2chain.Chain
	pool  *txpool.Pool
	seq   *sequencer.Sequencer
}

// TestSequencerAndVerifierAgree runs, on virtual time, a sequencer whose
// batcher posts to an in-memory L1 with the contract's rules and a
// verifier that reads only that L1, under transfers and deposits: the
// verifier's chain equals the sequencer's up to the safe head and every
// posted output matches. Then the batcher pauses past the sequencing
// window: derivation makes deposit-only blocks, the sequencer
// re-sequences, and the two agree again, with every transfer included.
func TestSequencerAndVerifierAgree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel()

		t0 := uint64(time.Now().Unix())
		l1 := newMemL1(t0)
		accounts, err := devkeys.Accounts(4)
		if err != nil {
			t.Fatal(err)
		}
		seqAddr := common.HexToAddress("0x5e9")
		g, err := devnet.NewGenesis([]common.Address{common.HexToAddress("0x7a1")}, seqAddr, t0)
		if err != nil {
			t.Fatal(err)
		}
		g.Rollup.SequencingWindow = 6
		g.Rollup.MaxOriginLag = 2
		cfg, err := rollupconfig.FromGenesis(g, l1.blocks[0].Ref.Hash)
		if err != nil {
			t.Fatal(err)
		}
		l1.cfg = cfg
		l1.last = protocol.Head{}
		gen := l2chain.Genesis{Alloc: cfg.L2GenesisAlloc(), Block: cfg.L2GenesisBlock}

		seqChain, err := l2chain.Open(memdb.New(), cfg.ExecutionConfig(), nil, gen, log)
		if err != nil {
			t.Fatal(err)
		}
		g0 := seqChain.Head()
		l1.last = protocol.Head{Number: 0, Hash: g0.Hash(), Time: g0.Header.Time, Origin: 0}
		pool, err := sequencer.NewPool(txpool.DefaultConfig(), seqChain)
		if err != nil {
			t.Fatal(err)
		}
		scfg := sequencer.DefaultConfig()
		scfg.SequencingWindow = cfg.SequencingWindow
		seq := sequencer.New(scfg, seqChain, pool, seqL1{l1}, nil, log)
		bcfg := sequencer.DefaultBatcherConfig()
		bcfg.Limits = contract.BatchLimits(cfg)

		vdb := memdb.New()
		vChain, err := l2chain.Open(vdb, cfg.ExecutionConfig(), nil, gen, log)
		if err != nil {
			t.Fatal(err)
		}
		ver, err := verifier.New(ctx, verifier.Config{SequencingWindow: cfg.SequencingWindow, PollInterval: 300 * time.Millisecond},
			vChain, vdb, l1, nil, log)
		if err != nil {
			t.Fatal(err)
		}
		run := func(name string, f func(context.Context) error) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("%s: %v", name, err)
				}
			}()
		}
		run("sequencer", seq.Run)
		run("batcher", func(ctx context.Context) error { return seq.RunBatcher(ctx, l1, bcfg) })
		run("verifier", ver.Run)
		run("L1", func(ctx context.Context) error {
			for {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Second):
					l1.mine(uint64(time.Now().Unix()))
				}
			}
		})

		signer := execution.Signer(cfg.ExecutionConfig().ChainID)
		nonces := make([]uint64, 3)
		var sent []*types.Transaction
		send := func(i int) {
			// Every fourth transaction is a withdrawal to L1.
			to, gas, data := common.BigToAddress(big.NewInt(int64(0xbeef00+len(sent)))), uint64(execution.TxGas), []byte(nil)
			if len(sent)%4 == 3 {
				to, gas, data = withdrawalqueue.Address, 100_000, withdrawalqueue.PackInitiate(accounts[i].Address)
			}
			tx, err := types.SignNewTx(accounts[i].Key, signer, &types.DynamicFeeTx{ChainID: signer.ChainID(), Nonce: nonces[i],
				GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(100_000_000_000), Gas: gas, To: &to, Value: big.NewInt(1), Data: data})
			if err != nil {
				t.Fatal(err)
			}
			if err := pool.Add(tx)[0]; err != nil {
				t.Fatalf("pool refused tx %d: %v", len(sent), err)
			}
			seq.Notify()
			nonces[i]++
			sent = append(sent, tx)
		}
		// Phase 1: transfers and deposits with the batcher posting.
		for s := range 12 {
			for i := range 3 {
				send(i)
			}
			if s%4 == 0 {
				l1.deposit(common.BigToAddress(big.NewInt(int64(0xde00+s))), big.NewInt(1_000_000))
			}
			time.Sleep(time.Second)
		}
		time.Sleep(8 * time.Second)
		agree(t, seq, seqChain, vChain, ver, "after phase 1")

		// Phase 2: the batcher stops past the sequencing window while
		// transfers and deposits go on.
		head, _ := l1.HeadNumber(ctx)
		seq.PauseBatcherUntil(head + block.L1Number(cfg.SequencingWindow) + 6)
		for s := range 14 {
			send(s % 3)
			if s%5 == 0 {
				l1.deposit(common.BigToAddress(big.NewInt(int64(0xdf00+s))), big.NewInt(2_000_000))
				l1.forceWithdrawal(accounts[3].Address, big.NewInt(3_000)) // a forced exit, while no batch comes
			}
			time.Sleep(time.Second)
		}
		time.Sleep(15 * time.Second)
		agree(t, seq, seqChain, vChain, ver, "after the pause")
		for i, tx := range sent {
			if _, err := seqChain.TxLocation(tx.Hash()); err != nil {
				t.Errorf("transfer %d (%s) is not in the sequencer's chain after re-sequencing: %v", i, tx.Hash(), err)
			}
		}
		// Every withdrawal is in the chain once, nonces 0, 1, 2, … in
		// block order, the forced ones among them.
		var nonces2 []uint64
		forced := 0
		for n := uint64(1); n <= seqChain.Head().Number(); n++ {
			b, err := seqChain.BlockByNumber(block.L2Number(n))
			if err != nil {
				t.Fatal(err)
			}
			ws, err := seqChain.Withdrawals(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range ws {
				nonces2 = append(nonces2, w.Nonce)
				if w.From == accounts[3].Address {
					forced++
				}
			}
		}
		for i, n := range nonces2 {
			if n != uint64(i) {
				t.Fatalf("withdrawal nonces %v are not 0, 1, 2, …", nonces2)
			}
		}
		if len(nonces2) < len(sent)/4 || forced != 3 {
			t.Fatalf("%d withdrawals (%d forced) in the chain; sent %d withdrawal transactions and 3 forced ones", len(nonces2), forced, len(sent)/4)
		}
		l1.mu.Lock()
		t.Logf("L1 refused %d batches: %v", len(l1.refused), l1.refused)
		l1.mu.Unlock()
		cancel()
	})
}

// agree checks that the verifier and the sequencer have the same blocks up
// to the safe head, that the verifier checked outputs and found them all
// right, and that the safe head moved.
func agree(t *testing.T, seq *sequencer.Sequencer, seqChain, vChain *l2chain.Chain, ver *verifier.Verifier, when string) {
	t.Helper()
	// The verifier polls the L1: give it (virtual) time to reach the
	// sequencer's safe head.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && (ver.Status().Checked < block.L2Number(seq.Safe()) || seq.Safe() == 0) {
		time.Sleep(100 * time.Millisecond)
	}
	safe := seq.Safe()
	st := ver.Status()
	if safe == 0 || st.Agreed == 0 {
		t.Fatalf("%s: safe head %d, verifier agreed on %d outputs", when, safe, st.Agreed)
	}
	if st.FirstDisagreement != nil {
		t.Fatalf("%s: verifier disagrees: %+v", when, *st.FirstDisagreement)
	}
	if uint64(st.Checked) < safe || vChain.Head().Number() < safe {
		t.Fatalf("%s: verifier checked up to %d (head %d), safe head is %d", when, st.Checked, vChain.Head().Number(), safe)
	}
	for n := uint64(0); n <= safe; n++ {
		a, err1 := seqChain.BlockByNumber(block.L2Number(n))
		b, err2 := vChain.BlockByNumber(block.L2Number(n))
		if err1 != nil || err2 != nil || a.Hash() != b.Hash() {
			t.Fatalf("%s: L2 block %d differs between sequencer and verifier (%v, %v)", when, n, err1, err2)
		}
	}
	t.Logf("%s: safe head %d, verifier head %d, %d outputs agreed", when, safe, vChain.Head().Number(), st.Agreed)
}
