package fallback

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/rollup/batch"
	rollupconfig "github.com/bilayer/bilayer/rollup/config"
	"github.com/bilayer/bilayer/rollup/contract"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/store/memdb"
)

// holder is an L2 account with a balance, which forces a withdrawal.
var holder = common.HexToAddress("0x00000000000000000000000000000000000a11ce")

const genesisTime = 1_700_000_000

func l1Hash(n block.L1Number) common.Hash {
	return crypto.Keccak256Hash([]byte("fallback test L1"), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

func l1Time(n block.L1Number) uint64 { return genesisTime + 2*uint64(n) }

// testChain is an L2 chain from a test rollup config: the holder has
// 10 ETH on L2.
func testChain(t *testing.T) (*l2chain.Chain, *rollupconfig.Config) {
	t.Helper()
	g := &genesis.Genesis{
		ChainID: 1337, Timestamp: genesisTime, GasLimit: 200_000_000, Alloc: map[common.Address]genesis.Account{},
		Validators: []genesis.Validator{{Address: common.Address{0xaa}, Stake: genesis.Ether(1000)}},
		Rollup: &genesis.Rollup{L2ChainID: 1338, L2Alloc: map[common.Address]genesis.Account{holder: {Balance: genesis.Ether(10)}},
			ChallengeWindow: 6, SequencingWindow: 4, SequencerBond: genesis.Ether(10), Sequencer: common.Address{0x5e}},
	}
	g.Alloc[rollupconfig.BridgeAddress] = genesis.Account{Balance: genesis.Ether(10)}
	g.FillDefaults()
	cfg, err := rollupconfig.FromGenesis(g, l1Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	c, err := l2chain.Open(memdb.New(), cfg.ExecutionConfig(), nil, l2chain.Genesis{Alloc: cfg.L2GenesisAlloc(), Block: cfg.L2GenesisBlock},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, cfg
}

// extend commits the next block at origin o with ops and no
// transactions, timed max(parent, origin): deposit-only if o advances.
func extend(t *testing.T, c *l2chain.Chain, o block.L1Number, ops ...block.Operation) *block.Block {
	t.Helper()
	head := c.Head()
	a := l2chain.Attributes{Time: max(head.Header.Time, l1Time(o)), Origin: block.L1Ref{Number: o, Hash: l1Hash(o), BaseFee: big.NewInt(1e9)},
		OriginTime: l1Time(o), Operations: ops}
	ex, err := c.Apply(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Commit(ex); err != nil {
		t.Fatal(err)
	}
	return ex.Block
}

// fakeL1 is the contract as the agent sees it.
type fakeL1 struct {
	head            block.L1Number
	window          contract.FallbackWindow
	la              protocol.Head
	bonded, balance *big.Int
	bonds           []*big.Int
	submitted       []*batch.Batch
	limits          batch.Limits
	refuse          error
}

func (f *fakeL1) HeadNumber(context.Context) (block.L1Number, error) { return f.head, nil }
func (f *fakeL1) LastAccepted(context.Context) (protocol.Head, error) {
	return f.la, nil
}
func (f *fakeL1) FallbackWindow(context.Context) (contract.FallbackWindow, error) {
	return f.window, nil
}
func (f *fakeL1) Bonded(context.Context) (*big.Int, error)  { return new(big.Int).Set(f.bonded), nil }
func (f *fakeL1) Balance(context.Context) (*big.Int, error) { return new(big.Int).Set(f.balance), nil }
func (f *fakeL1) Bond(_ context.Context, amount *big.Int) error {
	f.bonds = append(f.bonds, amount)
	f.bonded.Add(f.bonded, amount)
	f.balance.Sub(f.balance, amount)
	return nil
}
func (f *fakeL1) Submit(_ context.Context, data []byte) (*types.Receipt, error) {
	if f.refuse != nil {
		return nil, f.refuse
	}
	b, err := batch.Decode(data, f.limits)
	if err != nil {
		return nil, err
	}
	f.submitted = append(f.submitted, b)
	f.head++
	last := b.Blocks[len(b.Blocks)-1]
	f.la = protocol.Head{Number: last.Number, Hash: last.BlockHash, Time: last.Time, Origin: last.Origin}
	f.window = contract.FallbackWindow{From: f.head + 8, Since: f.head}
	return &types.Receipt{Status: types.ReceiptStatusSuccessful, BlockNumber: new(big.Int).SetUint64(uint64(f.head))}, nil
}

// TestAgentPostsTheDerivedDepositOnlyBlocks: block 1 is accepted; blocks
// 2–5 are deposit-only (block 3 carries a forced withdrawal), block 6
// stays at its parent's origin. Before the timeout the agent waits; after
// it, it bonds from its balance, then posts blocks 2–5 exactly as derived
// (outputs and withdrawals), not block 6, and logs it; a last accepted
// block the derived chain does not hold makes it wait.
func TestAgentPostsTheDerivedDepositOnlyBlocks(t *testing.T) {
	c, cfg := testChain(t)
	b1 := extend(t, c, 1)
	for o := block.L1Number(2); o <= 5; o++ {
		var ops []block.Operation
		if o == 3 {
			ops = []block.Operation{{Kind: block.OpForceWithdrawal, L1Block: 3, From: holder, To: holder, Amount: big.NewInt(1e18)}}
		}
		extend(t, c, o, ops...)
	}
	extend(t, c, 5) // stays at origin 5: not deposit-only
	ws, err := c.Withdrawals(mustBlock(t, c, 3))
	if err != nil || len(ws) != 1 || ws[0].Amount.Cmp(big.NewInt(1e18)) != 0 {
		t.Fatalf("the forced withdrawal of block 3: %+v, %v", ws, err)
	}

	bond := genesis.Ether(10).Big()
	lim := contract.BatchLimits(cfg)
	f := &fakeL1{head: 20, window: contract.FallbackWindow{From: 30, Since: 10}, bonded: new(big.Int), balance: genesis.Ether(100).Big(),
		la: protocol.Head{Number: 1, Hash: b1.Hash(), Time: b1.Header.Time, Origin: 1}, limits: lim}
	var logs bytes.Buffer
	a, err := NewAgent(AgentConfig{Bond: bond, Limits: lim, PollInterval: time.Second}, c, f, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	step := func(want Kind) Action {
		t.Helper()
		act, err := a.Step(ctx)
		if err != nil || act.Kind != want {
			t.Fatalf("step: %+v, %v; want %s", act, err, want)
		}
		return act
	}
	step(Wait)
	f.head = 29
	if act := step(Bond); act.Amount.Cmp(bond) != 0 || len(f.bonds) != 1 {
		t.Fatalf("bond %+v, bonds %v", act, f.bonds)
	}
	if act := step(Post); act.From != 2 || act.To != 5 || act.Silent != 19 {
		t.Fatalf("post %+v", act)
	}
	if len(f.submitted) != 1 {
		t.Fatalf("%d batches submitted", len(f.submitted))
	}
	got := f.submitted[0]
	if got.ParentHash != b1.Hash() || len(got.Blocks) != 4 {
		t.Fatalf("batch on %s with %d blocks", got.ParentHash, len(got.Blocks))
	}
	for i, pb := range got.Blocks {
		own := mustBlock(t, c, block.L2Number(2+i))
		ows, err := c.Withdrawals(own)
		if err != nil {
			t.Fatal(err)
		}
		wantRoot, _ := protocol.WithdrawalsRoot(ows)
		gotRoot, _ := protocol.WithdrawalsRoot(pb.Withdrawals)
		if uint64(pb.Number) != own.Number() || pb.BlockHash != own.Hash() || pb.StateRoot != own.Header.Root || pb.Time != own.Header.Time ||
			pb.Origin != own.L2.Origin.Number || len(pb.Transactions) != 0 || gotRoot != wantRoot {
			t.Fatalf("posted block %+v differs from the derived block %d", pb, own.Number())
		}
	}
	if len(got.Blocks[1].Withdrawals) != 1 {
		t.Fatal("the forced withdrawal was not posted")
	}
	if !strings.Contains(logs.String(), "Sequencer silent for 19 L1 blocks: posting L2 blocks 2-5 as fallback proposer") {
		t.Fatalf("log:\n%s", logs.String())
	}
	if p := a.Posted(); len(p) != 1 || p[0] != (Posted{From: 2, To: 5, L1Block: 30}) {
		t.Fatalf("Posted() = %+v", p)
	}

	// The batch restarted the timeout: the agent waits again.
	step(Wait)
	// A last accepted block the derived chain does not have: wait.
	f.head = f.window.From
	f.la = protocol.Head{Number: 5, Hash: common.Hash{0xba, 0xd}}
	if act := step(Wait); !strings.Contains(act.Reason, "challenge must settle") {
		t.Fatalf("reason %q", act.Reason)
	}
	// A refusal is an error carrying it; nothing counts as posted.
	f.la = protocol.Head{Number: 1, Hash: b1.Hash()}
	f.refuse = errors.New("rollup: batch refused")
	if _, err := a.Step(ctx); err == nil || !strings.Contains(err.Error(), "batch refused") {
		t.Fatalf("refused post: %v", err)
	}
	if len(a.Posted()) != 1 {
		t.Fatal("a refused batch counts as posted")
	}
}

// TestAgentSplitsWhatDoesNotFit: with a gas bound below the whole range,
// the agent posts the first half that fits.
func TestAgentSplitsWhatDoesNotFit(t *testing.T) {
	c, cfg := testChain(t)
	for o := block.L1Number(1); o <= 8; o++ {
		extend(t, c, o)
	}
	g := mustBlock(t, c, 0)
	lim := contract.BatchLimits(cfg)
	f := &fakeL1{head: 40, window: contract.FallbackWindow{From: 30, Since: 1}, bonded: genesis.Ether(10).Big(), balance: new(big.Int),
		la: protocol.Head{Number: 0, Hash: g.Hash(), Time: g.Header.Time}, limits: lim}
	// Room for the fixed cost and about four blocks, not eight.
	maxGas := contract.SubmitBatchGas + 4*contract.BatchBlockGas + 30_000
	a, err := NewAgent(AgentConfig{Bond: genesis.Ether(10).Big(), Limits: lim, MaxGas: uint64(maxGas), PollInterval: time.Second}, c, f,
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.submitted) != 1 || len(f.submitted[0].Blocks) != 4 || f.submitted[0].Blocks[0].Number != 1 {
		t.Fatalf("submitted %+v", f.submitted)
	}
}

func mustBlock(t *testing.T, c *l2chain.Chain, n block.L2Number) *block.Block {
	t.Helper()
	b, err := c.BlockByNumber(n)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
