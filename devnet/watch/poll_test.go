package watch

import (
	"context"
	"math/big"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bridge"
	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
)

// fakeChain serves the eth_ methods the Poller uses over a fixed chain.
type fakeChain struct {
	head  uint64
	txs   map[uint64][]common.Hash
	full  map[common.Hash]map[string]any
	logs  []types.Log
	addrs [][]common.Address // the address filters asked
	asked []common.Hash      // the transactions asked in full
}

func (f *fakeChain) BlockNumber() hexutil.Uint64 { return hexutil.Uint64(f.head) }

func (f *fakeChain) GetBlockByNumber(n hexutil.Uint64, full bool) map[string]any {
	if uint64(n) > f.head || full {
		return nil
	}
	txs := f.txs[uint64(n)]
	if txs == nil {
		txs = []common.Hash{}
	}
	return map[string]any{"number": n, "hash": common.BigToHash(big.NewInt(int64(n) + 1000)),
		"parentHash": common.BigToHash(big.NewInt(int64(n) + 999)), "transactions": txs}
}

func (f *fakeChain) GetLogs(filter struct {
	FromBlock hexutil.Uint64   `json:"fromBlock"`
	ToBlock   hexutil.Uint64   `json:"toBlock"`
	Address   []common.Address `json:"address"`
}) []types.Log {
	f.addrs = append(f.addrs, filter.Address)
	out := []types.Log{}
	for _, l := range f.logs {
		if l.BlockNumber >= uint64(filter.FromBlock) && l.BlockNumber <= uint64(filter.ToBlock) {
			out = append(out, l)
		}
	}
	return out
}

func (f *fakeChain) GetTransactionByHash(h common.Hash) map[string]any {
	f.asked = append(f.asked, h)
	return f.full[h]
}

// fakeRollup serves rollup_syncStatus and rollup_depositStatus.
type fakeRollup struct{ status map[string]any }

func (r *fakeRollup) SyncStatus() map[string]any { return r.status }

func (r *fakeRollup) DepositStatus(l1Block, index hexutil.Uint64) map[string]any {
	return map[string]any{"status": "applied", "l2Block": hexutil.Uint64(14)}
}

// fakeBilayer serves bilayer_validators.
type fakeBilayer struct{ set []common.Address }

func (b *fakeBilayer) Validators() map[string]any {
	var vs []map[string]any
	for _, a := range b.set {
		vs = append(vs, map[string]any{"address": a, "votingPower": 1})
	}
	return map[string]any{"validators": vs}
}

// serve runs an RPC server of the given namespaces on loopback.
func serve(t *testing.T, services map[string]any) string {
	t.Helper()
	srv := rpc.NewServer()
	for ns, svc := range services {
		if err := srv.RegisterName(ns, svc); err != nil {
			t.Fatal(err)
		}
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Stop() })
	return hs.URL
}

func ref(n uint64) map[string]any { return map[string]any{"number": hexutil.Uint64(n)} }

// TestPollerReadsWhatStepNeeds drives a Poller against fake nodes: the
// first poll seeds from the rollup's logs of the last window; the next
// reads the new blocks, asks in full only the transactions a line names,
// and the operations waiting.
func TestPollerReadsWhatStepNeeds(t *testing.T) {
	cfg := testConfig()
	batchTx, userTx := txHash(1), txHash(2)
	l1 := &fakeChain{head: 60,
		txs: map[uint64][]common.Hash{61: {batchTx, userTx}},
		full: map[common.Hash]map[string]any{userTx: {"hash": userTx, "from": alice, "to": bob, "value": (*hexutil.Big)(eth(15)),
			"input": hexutil.Bytes{}}},
		logs: []types.Log{batchAccepted(t, 3, 1, 5, 10, txHash(9)), batchAccepted(t, 4, 6, 9, 30, txHash(8)),
			batchAccepted(t, 5, 10, 12, 61, batchTx)}}
	l1URL := serve(t, map[string]any{"eth": l1, "bilayer": &fakeBilayer{set: validatorSet(cfg)}})
	for i := range cfg.Validators {
		cfg.Validators[i].RPC = l1URL // every validator answers with the same chain
	}
	l2 := &fakeChain{head: 12, txs: map[uint64][]common.Hash{11: {txHash(3)}}}
	seq := &fakeRollup{status: map[string]any{"unsafeL2": ref(12), "safeL2": ref(9), "finalizedL2": ref(5)}}
	cfg.Sequencer.RPC = serve(t, map[string]any{"eth": l2, "rollup": seq})
	ch := &fakeRollup{status: map[string]any{"unsafeL2": ref(9), "safeL2": ref(9), "finalizedL2": ref(5),
		"verification": map[string]any{"checkedL2": hexutil.Uint64(9), "agreed": hexutil.Uint64(9), "firstDisagreement": nil}}}
	cfg.Challenger.RPC = serve(t, map[string]any{"rollup": ch})

	p := NewPoller(cfg)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	obs := p.Poll(ctx, NewState())
	if obs.L1Failed || obs.L2Failed || obs.ChFailed {
		t.Fatalf("failures: L1 %v, L2 %v, challenger %v", obs.L1Failed, obs.L2Failed, obs.ChFailed)
	}
	if o := obs.L1; o.Head != 60 || !o.Seed || o.From != 20 || o.To != 60 || len(o.Logs) != 1 || len(o.Blocks) != 0 {
		t.Fatalf("seeding L1 read: head %d, seed %v, blocks %d-%d, %d logs, %d blocks; want 60, true, 20-60, 1 log (batch 4), no block",
			o.Head, o.Seed, o.From, o.To, len(o.Logs), len(o.Blocks))
	}
	if len(l1.addrs) != 1 || len(l1.addrs[0]) != 2 || l1.addrs[0][0] != contract.Address || l1.addrs[0][1] != bridge.Address {
		t.Errorf("eth_getLogs address filters %v, want the rollup contract and the bridge", l1.addrs)
	}
	if len(obs.Validators) != 4 || !obs.Validators[3].OK || obs.Validators[3].Head != 60 || len(obs.ValidatorSet) != 4 {
		t.Errorf("validators %+v, set %v", obs.Validators, obs.ValidatorSet)
	}
	if obs.L2.Heads != (Heads{Unsafe: 12, Safe: 9, Finalized: 5}) || len(obs.L2.Blocks) != 0 {
		t.Errorf("L2 read %+v", obs.L2)
	}
	if obs.Challenger == nil || obs.Challenger.Checked != 9 || obs.Challenger.Agreed != 9 || obs.Challenger.Disagreement != nil {
		t.Errorf("challenger read %+v", obs.Challenger)
	}
	obs.Now = t0
	s, _ := Step(cfg, NewState(), obs)

	// Next: one new L1 block with the batch and a user transaction, a
	// deposit waiting, the L2 moved on by one block.
	l1.head, l2.head = 61, 13
	seq.status["unsafeL2"] = ref(13)
	s.Ops = map[block.OperationID]PendingOp{{L1Block: 55}: {}}
	s.L2Next = 11
	obs = p.Poll(ctx, s)
	if o := obs.L1; o == nil || o.From != 61 || o.To != 61 || len(o.Blocks) != 1 || len(o.Logs) != 1 {
		t.Fatalf("second L1 read: %+v", o)
	}
	b := obs.L1.Blocks[0]
	if len(b.TxHashes) != 2 || len(b.Txs) != 1 || b.Txs[0].Hash != userTx || b.Txs[0].From != alice || *b.Txs[0].To != bob ||
		b.Txs[0].Value.Cmp(eth(15)) != 0 {
		t.Errorf("block 61: %+v", b)
	}
	if len(l1.asked) != 1 || l1.asked[0] != userTx {
		t.Errorf("asked in full %v, want the user's transaction alone (the batch's has a line of its own)", l1.asked)
	}
	if o := obs.L2; len(o.Blocks) != 3 || o.Blocks[0].Number != 11 || len(o.Blocks[0].TxHashes) != 1 || len(o.Ops) != 1 ||
		o.Ops[0].Status != "applied" || o.Ops[0].L2Block != 14 {
		t.Errorf("second L2 read: %+v", o)
	}
	if got := l2.addrs[len(l2.addrs)-1]; len(got) != 1 || got[0] != bridge.WithdrawalQueueAddress {
		t.Errorf("L2 eth_getLogs address filter %v, want the withdrawal queue", got)
	}
}

// TestPollerReadsANewChainFromItsFirstBlock: on a chain the devnet just
// created, the first poll reads every block from the first, so a
// transaction already in block 2 (the sequencer's bond, when its block
// comes before the first poll) is reported, not seeded away.
func TestPollerReadsANewChainFromItsFirstBlock(t *testing.T) {
	cfg := testConfig()
	cfg.NewChain, cfg.Sequencer, cfg.Challenger = true, nil, nil
	bond := txHash(7)
	l1 := &fakeChain{head: 2, txs: map[uint64][]common.Hash{2: {bond}},
		full: map[common.Hash]map[string]any{bond: {"hash": bond, "from": alice, "to": contract.Address, "value": (*hexutil.Big)(eth(10)),
			"input": hexutil.Bytes{1, 2, 3, 4}}}}
	l1URL := serve(t, map[string]any{"eth": l1, "bilayer": &fakeBilayer{set: validatorSet(cfg)}})
	for i := range cfg.Validators {
		cfg.Validators[i].RPC = l1URL
	}
	p := NewPoller(cfg)
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	obs := p.Poll(ctx, NewState())
	o := obs.L1
	if obs.L1Failed || o == nil || o.Seed || o.From != 1 || o.To != 2 || len(o.Blocks) != 2 {
		t.Fatalf("first L1 read of a new chain: %+v (failed %v); want blocks 1-2, not a seed", o, obs.L1Failed)
	}
	if b := o.Blocks[1]; len(b.Txs) != 1 || b.Txs[0].Hash != bond {
		t.Fatalf("block 2: %+v, want the bond", b)
	}
	// A resumed chain (NewChain unset) is seeded, as before.
	cfg.NewChain = false
	p2 := NewPoller(cfg)
	defer p2.Close()
	if o := p2.Poll(ctx, NewState()).L1; o == nil || !o.Seed || len(o.Blocks) != 0 {
		t.Fatalf("first L1 read of a resumed chain: %+v, want a seed", o)
	}
}
