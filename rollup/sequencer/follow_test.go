package sequencer

import (
	"context"
	"io"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/rollup/l2chain"
	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestFollowTheFallbackProposersBlocks: the sequencer made block 1 with a
// transfer at origin 1 and posted nothing; the L1 then accepted a fallback
// proposer's block 1, the deposit-only block derivation made for the
// expired origin 1. followL1 rewinds the own block 1 (its transfer goes
// back to the pool), and the producer makes the deposit-only blocks of the
// closed origins: block 1 is the very block derivation makes (same hash). With nothing accepted past
// the own posting it does nothing.
func TestFollowTheFallbackProposersBlocks(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	for i := range 3 {
		l1.mine(genesisTime + 1 + uint64(i))
	}
	h := newHarness(t, memdb.New(), l1)
	h.now = time.Unix(genesisTime+5, 0)
	tx := h.send(0, 0, common.Address{9}, big.NewInt(1))
	h.step()
	own1 := h.chain.Head()
	if own1.Number() != 1 || len(own1.Transactions) != 1 || own1.L2.Origin.Number != 1 {
		t.Fatalf("own block 1: %d transactions at origin %d", len(own1.Transactions), own1.L2.Origin.Number)
	}
	h.seq.cfg.SequencingWindow = 4 // origin 1 expired at L1 head 3 (1 + 4 ≤ 3 + margin 2)
	h.seq.heads.safe = protocol.Head{Number: 0, Hash: h.chain.GenesisHash()}
	head, err := l1.HeadNumber(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	// Nothing accepted past the own posting: nothing to follow.
	if followed, err := h.seq.followL1(context.Background(), nil, protocol.Head{Number: 0}, head); err != nil || followed {
		t.Fatalf("followL1 with nothing new on the L1: %v, %v", followed, err)
	}

	derived := derivedDepositOnly(t, h, l1, 1)
	la := protocol.Head{Number: 1, Hash: derived.Hash(), Time: derived.Header.Time, Origin: 1}
	if err := h.seq.checkAccepted(la); err == nil {
		t.Fatal("the own block 1 passes for the fallback's")
	}
	followed, err := h.seq.followL1(context.Background(), nil, la, head)
	if err != nil || !followed {
		t.Fatalf("followL1: %v, %v", followed, err)
	}
	if n := h.chain.Head().Number(); n != 0 {
		t.Fatalf("own head %d after following, want 0", n)
	}
	if !h.pool.Has(tx.Hash()) {
		t.Fatal("the rewound transfer is not back in the pool")
	}
	h.step() // deposit-only blocks for every closed origin, 1 to 3
	got, err := h.chain.BlockByNumber(1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != derived.Hash() {
		t.Fatalf("re-made block %d %s (%d transactions, origin %d, time %d), derivation's %s (time %d)", got.Number(),
			got.Hash(), len(got.Transactions), got.L2.Origin.Number, got.Header.Time, derived.Hash(), derived.Header.Time)
	}
	if err := h.seq.checkAccepted(la); err != nil {
		t.Fatalf("after following: %v", err)
	}
}

// derivedDepositOnly applies, on a fresh chain of h's genesis, the
// deposit-only block derivation makes for origin o after the genesis (as
// the verifier executes it).
func derivedDepositOnly(t *testing.T, h *harness, l1 *fakeL1, o block.L1Number) *block.Block {
	t.Helper()
	c, err := l2chain.Open(memdb.New(), execConfig(), nil, testGenesis(l1, h.keys), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := l1.L1Block(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := c.Apply(l2chain.Attributes{Time: max(c.Head().Header.Time, b.Time), Origin: b.Ref, OriginTime: b.Time,
		Operations: b.Operations}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ex.Block
}

// ownPosting is a RollupL1 that knows only where the own posting ends.
type ownPosting struct {
	RollupL1
	last block.L2Number
}

func (o ownPosting) LastOwnBlock(context.Context) (block.L2Number, bool, error) {
	return o.last, true, nil
}

// TestFollowKeepsTheOwnPostedBlocks: the safe head the batcher last
// checked is the genesis, but the L1 says the own posting reaches block 1
// (a batch landed after the check): following the fallback's block 2
// rewinds only the own unposted block 2, never the posted block 1.
func TestFollowKeepsTheOwnPostedBlocks(t *testing.T) {
	l1 := newFakeL1(genesisTime)
	for i := range 3 {
		l1.mine(genesisTime + 1 + uint64(i))
	}
	h := newHarness(t, memdb.New(), l1)
	h.now = time.Unix(genesisTime+5, 0)
	h.send(0, 0, common.Address{9}, big.NewInt(1))
	h.step()
	h.now = time.Unix(genesisTime+6, 0)
	h.send(0, 1, common.Address{9}, big.NewInt(1))
	h.step()
	if b := h.chain.Head(); b.Number() != 2 || len(b.Transactions) != 1 || b.L2.Origin.Number != 2 {
		t.Fatalf("own block %d: %d transactions at origin %d, want block 2 with one at origin 2", b.Number(), len(b.Transactions), b.L2.Origin.Number)
	}
	posted, err := h.chain.BlockByNumber(1)
	if err != nil {
		t.Fatal(err)
	}
	l1.mine(genesisTime + 7)
	head := l1.mine(genesisTime + 8) // origins 1 and 2 expired (x + 4 ≤ 5 + 2)
	h.seq.cfg.SequencingWindow = 4
	h.seq.heads.safe = protocol.Head{Number: 0, Hash: h.chain.GenesisHash()}
	la := protocol.Head{Number: 2, Hash: common.Hash{0xfa}, Origin: 2}
	followed, err := h.seq.followL1(context.Background(), ownPosting{last: 1}, la, head)
	if err != nil || !followed {
		t.Fatalf("followL1: %v, %v", followed, err)
	}
	if got := h.chain.Head(); got.Number() != 1 || got.Hash() != posted.Hash() {
		t.Fatalf("own head %d %s after following, want the posted block 1 %s", got.Number(), got.Hash(), posted.Hash())
	}
}
