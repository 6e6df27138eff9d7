package dispute

import (
	"context"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/bilayer/bilayer/rollup/contract"
)

// TestReportNamesTheFallbackPoster: a dispute over a batch a fallback
// proposer posted (after the sequencer timeout) names the proposer as the
// account whose bond was slashed, from the dispute record, and the batch's
// transaction as sent by it.
func TestReportNamesTheFallbackPoster(t *testing.T) {
	w := newWorld(t)
	proposer := common.HexToAddress("0xfa11")
	batchTx := w.f.acceptBatch(proposer, 5, 13, 16, 90)
	w.f.challenge(contract.Dispute{L2Block: 14, BatchIndex: 5, Challenger: challenger, L1Block: 92,
		Posted: w.posted10, Computed: w.computed10, Reward: ethers(5), Burned: ethers(5), Poster: proposer})
	rep, err := New(w.f).Latest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if b := rep.Bond; b == nil || b.Sequencer == nil || *b.Sequencer != proposer || b.Slashed.ToInt().Cmp(ethers(10)) != 0 {
		t.Fatalf("bond %+v, want the proposer %s slashed 10 ETH", rep.Bond, proposer)
	}
	if c := rep.BatchTx; c == nil || c.Hash != batchTx || c.From == nil || *c.From != proposer {
		t.Fatalf("batch tx %+v, want %s from the proposer", rep.BatchTx, batchTx)
	}
}
