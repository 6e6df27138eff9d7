package sequencer

import (
	"context"
	"testing"
	"time"

	"github.com/bilayer/bilayer/rollup/protocol"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestResequenceAfterRestartReadsOriginTimes: an unposted block whose
// origin's sequencing window closed is kept only in the deposit-only form
// the contract demands (it advances its origin, has no transactions, and
// its time is max(parent time, origin time)). A restarted sequencer does
// not remember its unposted blocks' origin times; it reads them from the
// L1 rather than taking the block's own time, which would keep a block
// the contract refuses, forever (found by tests/l2: the batcher paused
// past the window after a restart never posted again).
func TestResequenceAfterRestartReadsOriginTimes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		originTime uint64 // the time of L1 blocks 1-3
		now        uint64 // the wall clock when L2 block 1 is made
		kept       bool
	}{
		// L2 block 1 takes the wall clock, after its origin's time.
		{"LaterThanItsOrigin", genesisTime + 1, genesisTime + 3, false},
		// L2 block 1's time is its origin's: the deposit-only form.
		{"AtItsOriginTime", genesisTime + 1, genesisTime + 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l1 := newFakeL1(genesisTime)
			h := newHarness(t, memdb.New(), l1)
			for range 3 {
				l1.mine(tc.originTime)
			}
			h.now = time.Unix(int64(tc.now), 0)
			h.step()
			b1 := h.chain.Head()
			if b1.Number() != 1 || b1.L2.Origin.Number != 1 || len(b1.Transactions) != 0 || b1.Header.Time != tc.now {
				t.Fatalf("L2 head %d, origin %d, %d transactions, time %d; want block 1 advancing to origin 1 at %d",
					b1.Number(), b1.L2.Origin.Number, len(b1.Transactions), b1.Header.Time, tc.now)
			}
			h.open() // a restart: no origin times remembered
			h.seq.cfg.SequencingWindow = 4
			head, err := l1.HeadNumber(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !h.seq.expired(1, head) {
				t.Fatalf("origin 1 is not expired at L1 head %d", head)
			}
			if err := h.seq.resequenceExpired(context.Background(), protocol.Head{Number: 0, Hash: h.chain.GenesisHash(), Time: genesisTime}, head); err != nil {
				t.Fatal(err)
			}
			if kept := h.chain.Head().Number() == 1; kept != tc.kept {
				t.Fatalf("block 1 (time %d, origin time %d) kept: %v, want %v", tc.now, tc.originTime, kept, tc.kept)
			}
		})
	}
}
