package node

import (
	"context"
	"testing"
	"time"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/store/memdb"
	"github.com/ethereum/go-ethereum/crypto"
)

// recordingTopic is a consensus topic that records what is published.
type recordingTopic struct {
	p2p.Topic
	sent [][]byte
}

func (r *recordingTopic) Publish(_ context.Context, data []byte) error {
	r.sent = append(r.sent, append([]byte(nil), data...))
	return nil
}

// sentVoteIDs returns the message ids of the votes published, and how
// many times each.
func (r *recordingTopic) sentVoteIDs(t *testing.T) map[[32]byte]int {
	t.Helper()
	out := map[[32]byte]int{}
	for _, data := range r.sent {
		kind, _, err := wire.DecodeEnvelope(data, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if kind == wire.KindVote {
			out[wire.MessageID(data)]++
		}
	}
	return out
}

// voteID is the message id of vote v as its author's envelope carries it
// (any nonce: the id covers the signed vote only).
func voteID(t *testing.T, v consensus.Vote) [32]byte {
	t.Helper()
	payload, err := wire.EncodeVote(v)
	if err != nil {
		t.Fatal(err)
	}
	data, err := wire.EncodeEnvelope(wire.KindVote, 12345, payload)
	if err != nil {
		t.Fatal(err)
	}
	return wire.MessageID(data)
}

// TestDriverResendsVotesOfOthers: on its resend tick, once the height has
// run relayAfter, the driver re-publishes the votes of other validators of
// its current and previous round as the same signed messages (one message
// id with the author's), once per tick; a validator's slot holds at most
// two values; votes of older rounds are forgotten.
func TestDriverResendsVotesOfOthers(t *testing.T) {
	h := newDriverHarness(t)
	h.start(0, memdb.New(), nil)
	rec := &recordingTopic{Topic: h.n.consTopic}
	h.n.consTopic = rec
	id := func(b byte) consensus.BlockID { return consensus.BlockID(crypto.Keccak256Hash([]byte{b})) }
	deliver := func(v consensus.Vote) { h.deliver(evMessage{msg: consensusMsg{vote: &v}}) }

	first := h.vote(1, consensus.Prevote, 1, 0, id(1))
	twin := h.vote(1, consensus.Prevote, 1, 0, id(2))  // equivocation: held too
	third := h.vote(1, consensus.Prevote, 1, 0, id(3)) // a third value: not held
	precommit := h.vote(2, consensus.Precommit, 1, 0, id(1))
	own := h.vote(0, consensus.Prevote, 1, 0, id(1)) // this node's: re-sent as its own, not here
	far := h.vote(3, consensus.Prevote, 1, consensus.DefaultMaxRoundsAhead+1, id(1))
	for _, v := range []consensus.Vote{first, first, twin, third, precommit, own, far} {
		deliver(v)
	}
	if got := len(h.d.heard); got != 3 {
		t.Fatalf("held %d votes of others, want 3 (first, twin, precommit)", got)
	}

	h.d.resend(h.ctx) // the height has just started: own messages only
	if ids := rec.sentVoteIDs(t); ids[voteID(t, first)] != 0 {
		t.Fatalf("votes of others re-sent before the height ran %s", relayAfter)
	}
	rec.sent = nil
	h.d.heightStart = time.Now().Add(-2 * relayAfter)
	h.d.resend(h.ctx)
	ids := rec.sentVoteIDs(t)
	for name, v := range map[string]consensus.Vote{"first": first, "twin": twin, "precommit": precommit} {
		if ids[voteID(t, v)] != 1 {
			t.Errorf("%s re-sent %d times in one tick, want once with the author's message id", name, ids[voteID(t, v)])
		}
	}
	if ids[voteID(t, third)] != 0 || ids[voteID(t, far)] != 0 {
		t.Error("a vote that is not held was re-sent")
	}

	// f+1 prevotes of round 3 move the machine there: round 0's votes are
	// forgotten, round 3's are re-sent.
	skip1, skip2 := h.vote(1, consensus.Prevote, 1, 3, id(9)), h.vote(2, consensus.Prevote, 1, 3, id(9))
	deliver(skip1)
	deliver(skip2)
	if r := h.d.m.Round(); r != 3 {
		t.Fatalf("machine in round %d, want 3", r)
	}
	rec.sent = nil
	h.d.resend(h.ctx)
	ids = rec.sentVoteIDs(t)
	if ids[voteID(t, first)] != 0 || ids[voteID(t, precommit)] != 0 {
		t.Error("votes of round 0 re-sent in round 3")
	}
	if ids[voteID(t, skip1)] != 1 || ids[voteID(t, skip2)] != 1 {
		t.Error("votes of the current round not re-sent")
	}
	if got := len(h.d.heard); got != 2 {
		t.Errorf("held %d votes in round 3, want 2", got)
	}
}
