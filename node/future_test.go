package node

import (
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/common"
)

func futureVote(h consensus.Height, r consensus.Round, typ consensus.VoteType, by byte, id byte) consensusMsg {
	return consensusMsg{vote: &consensus.Vote{Type: typ, Height: h, Round: r, BlockID: consensus.BlockID{id}, Validator: common.Address{by}}}
}

func futureProp(h consensus.Height, r consensus.Round, by byte, blockBytes int) consensusMsg {
	return consensusMsg{proposal: &wire.ProposalMsg{Proposal: consensus.Proposal{Height: h, Round: r, BlockID: consensus.BlockID{by},
		Proposer: common.Address{by}}, Block: make([]byte, blockBytes)}, block: &block.Block{}}
}

// TestFutureBufferKeepsOnePerKeyWithinBudget: the future buffer holds one
// message per (height, round, kind, signer), plus one conflicting vote,
// never more bytes than its budget, and drops the highest height and round
// first.
func TestFutureBufferKeepsOnePerKeyWithinBudget(t *testing.T) {
	const budget = 16_000 // each proposal below costs 6,100 bytes, each vote 512
	f := newFutureBuffer(budget)
	p := futureProp(3, 0, 1, 3000)
	if !f.add(p, 3100) {
		t.Fatal("first proposal refused")
	}
	for range 300 { // re-wrapped copies: the same signed message
		if f.add(p, 3100) {
			t.Fatal("a copy of a held proposal was kept")
		}
	}
	if !f.add(futureVote(3, 0, consensus.Prevote, 2, 7), 200) || !f.add(futureVote(3, 0, consensus.Precommit, 2, 7), 200) {
		t.Fatal("votes refused")
	}
	if f.add(futureVote(3, 0, consensus.Prevote, 2, 7), 200) {
		t.Fatal("a duplicate vote was kept")
	}
	if !f.add(futureVote(3, 0, consensus.Prevote, 2, 8), 200) {
		t.Fatal("the first conflicting vote (evidence) was refused")
	}
	if f.add(futureVote(3, 0, consensus.Prevote, 2, 9), 200) {
		t.Fatal("a second conflicting vote was kept")
	}
	// A later round by the same proposer is another key; the buffer fills
	// and then drops the least urgent message first.
	if !f.add(futureProp(4, 5, 1, 3000), 3100) {
		t.Fatal("a height-4 proposal refused while there is room")
	}
	if !f.add(futureProp(3, 1, 1, 3000), 3100) {
		t.Fatal("a more urgent proposal was refused instead of evicting a less urgent one")
	}
	if bytes, _ := f.size(); bytes > budget {
		t.Fatalf("%d bytes held, budget %d", bytes, budget)
	}
	if f.add(futureProp(4, 9, 1, 3000), 3100) {
		t.Fatal("a proposal less urgent than everything held was kept in a full buffer")
	}
	got := f.release(3)
	if len(got) != 5 {
		t.Fatalf("released %d messages of height 3, want 5", len(got))
	}
	if got[0].proposal == nil || got[0].proposal.Proposal.Round != 0 {
		t.Fatal("released out of arrival order")
	}
	if bytes, msgs := f.size(); bytes != 0 || msgs != 0 {
		t.Fatalf("after release: %d bytes, %d messages held (the height-4 proposal was evicted)", bytes, msgs)
	}
	if f.add(futureProp(5, 0, 1, budget), budget) {
		t.Fatal("a message larger than the budget was kept")
	}
}
