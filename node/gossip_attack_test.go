package node

import (
	"crypto/ecdsa"
	"errors"
	"slices"
	"testing"

	blk "github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/crypto"
)

// gossipFixture is an unstarted node of the hostile genesis (at block 0),
// whose gossip checks a test calls directly.
type gossipFixture struct {
	n    *Node
	vals *consensus.ValidatorSet
}

func newGossipFixture(t testing.TB) *gossipFixture {
	t.Helper()
	f := &gossipFixture{n: newFixtureNode(t, hostileGenesis(t, 0))}
	var err error
	if f.vals, err = f.n.validatorsAt(1); err != nil {
		t.Fatal(err)
	}
	return f
}

// proposer returns the key of the proposer of round r of height 1, and the
// key of another validator.
func (f *gossipFixture) proposer(r consensus.Round) (right, wrong *ecdsa.PrivateKey) {
	right = proposerKey(f.vals, r)
	for a, k := range validatorKeys() {
		if a != crypto.PubkeyToAddress(right.PublicKey) {
			wrong = k
		}
	}
	return right, wrong
}

// proposal returns a valid proposal message for height 1 in the given
// round and POL round, signed by key, with pol as its justification. It
// proposes block, or, if nil, a new block built by key.
func (f *gossipFixture) proposal(t testing.TB, key *ecdsa.PrivateKey, round, polRound consensus.Round, pol []consensus.Vote, b *blk.Block) []byte {
	t.Helper()
	if b == nil {
		b = buildBlock(t, f.n, crypto.PubkeyToAddress(key.PublicKey), nil).Block
	}
	return proposalEnvelope(t, f.n.chainID, key, b, round, polRound, pol)
}

func (f *gossipFixture) prevotes(t testing.TB, r consensus.Round, id consensus.BlockID) []consensus.Vote {
	return prevotesFor(t, f.n.chainID, 1, r, id)
}

func proposalOf(t testing.TB, n *Node, data []byte) (wire.ProposalMsg, *blk.Block) {
	t.Helper()
	_, payload, err := wire.DecodeEnvelope(data, n.maxConsensusMsg())
	if err != nil {
		t.Fatal(err)
	}
	m, err := wire.DecodeProposal(payload, n.maxConsensusMsg())
	if err != nil {
		t.Fatal(err)
	}
	b, err := blk.Decode(m.Block, len(m.Block))
	if err != nil {
		t.Fatal(err)
	}
	return m, b
}

func verdictOf(n *Node, data []byte) (p2p.Verdict, error) {
	_, v, err := n.decodeConsensus(data)
	return v, err
}

// TestInflatedProposalIsRejectedCheaply is issue 16's third attack: anyone
// can attach up to 1,024 copies of one real prevote to a valid proposal
// (the list is not signed by the proposer) and every node used to verify
// them all before relaying. A justification now needs a POL round, votes
// of that round for the proposal's block, by distinct validators in address
// order, at most one per validator; anything else is rejected before any
// signature of the list is recovered.
func TestInflatedProposalIsRejectedCheaply(t *testing.T) {
	f := newGossipFixture(t)
	n := f.n
	right, _ := f.proposer(0)
	honest := f.proposal(t, right, 0, consensus.NilRound, nil, nil)
	if v, err := verdictOf(n, honest); v != p2p.Accept {
		t.Fatalf("honest proposal: %v %v", v, err)
	}
	hm, hb := proposalOf(t, n, honest)
	id := hm.Proposal.BlockID
	vote := f.prevotes(t, 0, id)[0]
	inflated, err := attacktest.InflatePOL(honest, n.maxConsensusMsg(), vote, wire.MaxPOLVotes)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := verdictOf(n, inflated); v != p2p.Reject {
		t.Fatalf("proposal with no POL round and %d justification votes: %v %v, want reject", wire.MaxPOLVotes, v, err)
	}

	// A re-proposal in round 1 of the value that got a polka in round 0.
	right1, _ := f.proposer(1)
	pol := f.prevotes(t, 0, id)
	reproposal := func(pol []consensus.Vote) []byte { return f.proposal(t, right1, 1, 0, pol, hb) }
	if v, err := verdictOf(n, reproposal(pol)); v != p2p.Accept {
		t.Fatalf("re-proposal with its polka: %v %v", v, err)
	}
	wrongRound := slices.Clone(pol)
	wrongRound[1], err = attacktest.SignVote(validatorKeys()[pol[1].Validator], n.chainID,
		consensus.Vote{Type: consensus.Prevote, Height: 1, Round: 0 + 2, BlockID: id})
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]consensus.Vote{
		"a duplicate vote":         {pol[0], pol[0], pol[1]},
		"votes out of order":       {pol[1], pol[0], pol[2]},
		"a vote of another round":  wrongRound,
		"1,024 copies of one vote": slices.Repeat(pol[:1], wire.MaxPOLVotes),
	} {
		if v, err := verdictOf(n, reproposal(bad)); v != p2p.Reject {
			t.Errorf("re-proposal with %s: %v %v, want reject", name, v, err)
		}
	}
}

// TestProposalFromWrongProposerIsRejected is issue 16's sixth attack: a
// validator that is not the round's proposer signs a proposal; it used to
// pass the gossip check (membership only), was relayed, and its block was
// kept by every node.
func TestProposalFromWrongProposerIsRejected(t *testing.T) {
	f := newGossipFixture(t)
	right, wrong := f.proposer(0)
	if v, err := verdictOf(f.n, f.proposal(t, right, 0, consensus.NilRound, nil, nil)); v != p2p.Accept {
		t.Fatalf("the round's proposer: %v %v", v, err)
	}
	// Ignored, not rejected: a relaying peer that lags may assume another
	// validator set across an epoch change, and name another proposer.
	if v, err := verdictOf(f.n, f.proposal(t, wrong, 0, consensus.NilRound, nil, nil)); v != p2p.Ignore || !errors.Is(err, errWrongProposer) {
		t.Fatalf("another validator's proposal for the round: %v %v, want ignore", v, err)
	}
}

// BenchmarkInflatedProposal measures what one proposal with 1,024 copies of
// a prevote costs a node's gossip check (issue 16: 79 ms before the fix).
func BenchmarkInflatedProposal(b *testing.B) {
	f := newGossipFixture(b)
	right, _ := f.proposer(0)
	honest := f.proposal(b, right, 0, consensus.NilRound, nil, nil)
	m, _ := proposalOf(b, f.n, honest)
	vote := f.prevotes(b, 0, m.Proposal.BlockID)[0]
	inflated, err := attacktest.InflatePOL(honest, f.n.maxConsensusMsg(), vote, wire.MaxPOLVotes)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		f.n.decodeConsensus(inflated)
	}
}
