package node

import (
	"testing"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/node/consensus"
)

func TestVerifiedCacheHandsEachProposalOverOnceAndStaysBounded(t *testing.T) {
	var c verifiedCache
	key := func(i int) [32]byte { return [32]byte{byte(i), byte(i >> 8)} }
	for i := range verifiedCacheSize + 10 {
		c.put(key(i), consensusMsg{block: &block.Block{}})
	}
	if len(c.m) != verifiedCacheSize {
		t.Fatalf("cache holds %d, bound %d", len(c.m), verifiedCacheSize)
	}
	if _, ok := c.take(key(0)); ok {
		t.Fatal("the oldest entry was not evicted")
	}
	last := key(verifiedCacheSize + 9)
	if _, ok := c.take(last); !ok {
		t.Fatal("the newest entry is missing")
	}
	if _, ok := c.take(last); ok {
		t.Fatal("an entry was handed over twice")
	}
}

// TestVerifiedVotesAreKeyedBySignedContent: a vote the gossip validator
// verified is handed to the reader under its message id, which covers only
// the signed content (the same vote in another envelope has the same key),
// so its signature is recovered once per node; votes and proposals have
// separate caches, so votes never push a proposal out.
func TestVerifiedVotesAreKeyedBySignedContent(t *testing.T) {
	v, err := attacktest.SignVote(testKey(0), "1337", consensus.Vote{Type: consensus.Prevote, Height: 3, Round: 1,
		BlockID: consensus.BlockID{1}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := attacktest.VoteEnvelope(v, 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := attacktest.VoteEnvelope(v, 2)
	if err != nil {
		t.Fatal(err)
	}
	ka, proposal, ok := verifiedKey(a, 1<<20)
	if !ok || proposal {
		t.Fatalf("a vote's key: ok %v, proposal %v", ok, proposal)
	}
	kb, _, _ := verifiedKey(b, 1<<20)
	if ka != kb {
		t.Fatal("the same signed vote in two envelopes has two keys")
	}
	if _, _, ok := verifiedKey([]byte{0xc0}, 1<<20); ok {
		t.Fatal("an empty envelope has a key")
	}
	n := &Node{}
	n.verifiedVotes.size = verifiedVoteCacheSize
	n.verifiedCacheFor(false).put(ka, consensusMsg{vote: &v})
	for i := range verifiedCacheSize + 1 {
		n.verifiedCacheFor(false).put([32]byte{byte(i), 1}, consensusMsg{vote: &v})
	}
	if got, ok := n.verifiedCacheFor(false).take(kb); !ok || got.vote.Height != 3 {
		t.Fatalf("the verified vote was not handed over: %v %+v", ok, got)
	}
	if len(n.verified.m) != 0 {
		t.Fatal("a vote went into the proposal cache")
	}
}
