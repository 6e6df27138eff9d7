package consensus

import (
	"errors"
	"testing"

	"github.com/bilayer/bilayer/node/signer"
)

func TestVoteSignatureRoundTrip(t *testing.T) {
	h := newHarness(t, 4, 3)
	v := h.vote(1, Prevote, 2, "A")
	if err := VerifyVote(testChainID, v, h.vals); err != nil {
		t.Fatalf("a correctly signed vote does not verify: %v", err)
	}
	for name, c := range map[string]struct {
		chainID string
		mutate  func(*Vote)
		want    error
	}{
		"other chain":      {"other-chain", func(*Vote) {}, ErrWrongSigner},
		"other value":      {testChainID, func(v *Vote) { v.BlockID = value("B") }, ErrWrongSigner},
		"other round":      {testChainID, func(v *Vote) { v.Round = 3 }, ErrWrongSigner},
		"other type":       {testChainID, func(v *Vote) { v.Type = Precommit }, ErrWrongSigner},
		"claims other":     {testChainID, func(v *Vote) { v.Validator = h.addrs[2] }, ErrWrongSigner},
		"truncated sig":    {testChainID, func(v *Vote) { v.Signature = v.Signature[:64] }, ErrBadSignature},
		"not a validator":  {testChainID, func(v *Vote) { v.Validator[0] ^= 0xff }, ErrUnknownValidator},
		"invalid vote typ": {testChainID, func(v *Vote) { v.Type = 9 }, ErrInvalidVote},
	} {
		w := v
		w.Signature = append([]byte(nil), v.Signature...)
		c.mutate(&w)
		if err := VerifyVote(c.chainID, w, h.vals); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", name, err, c.want)
		}
	}
}

// TestSignBytesSeparateDomains: a vote signature never verifies as a
// proposal and prevote/precommit digests differ.
func TestSignBytesSeparateDomains(t *testing.T) {
	v := Vote{Type: Prevote, Height: 1, Round: 0, BlockID: value("A")}
	p := Proposal{Height: 1, Round: 0, POLRound: NilRound, BlockID: value("A")}
	w := v
	w.Type = Precommit
	if VoteSignBytes(testChainID, v) == ProposalSignBytes(testChainID, p) || VoteSignBytes(testChainID, v) == VoteSignBytes(testChainID, w) {
		t.Fatal("sign-bytes collide across message kinds")
	}
}

func TestProposalVerification(t *testing.T) {
	h := newHarness(t, 4, 3)
	p := h.proposal(1, 0, "A")
	if err := VerifyProposal(testChainID, p, h.vals); err != nil {
		t.Fatal(err)
	}
	p.POLRound = NilRound
	if err := VerifyProposal(testChainID, p, h.vals); !errors.Is(err, ErrWrongSigner) {
		t.Fatalf("changed POL round: %v", err)
	}
	p.POLRound = 1
	if err := VerifyProposal(testChainID, p, h.vals); !errors.Is(err, ErrInvalidVote) {
		t.Fatalf("POL round not below round: %v", err)
	}
}

func TestCommitVerification(t *testing.T) {
	h := newHarness(t, 4, 3)
	c := Commit{Height: 1, Round: 0, BlockID: value("A")}
	for i := 0; i < 2; i++ {
		c.Precommits = append(c.Precommits, h.vote(i, Precommit, 0, "A"))
	}
	if err := VerifyCommit(testChainID, c, h.vals); !errors.Is(err, ErrInsufficientPower) {
		t.Fatalf("2 of 4: %v", err)
	}
	c.Precommits = append(c.Precommits, c.Precommits[0])
	if err := VerifyCommit(testChainID, c, h.vals); !errors.Is(err, ErrDuplicateValidator) {
		t.Fatalf("duplicate: %v", err)
	}
	c.Precommits[2] = h.vote(2, Precommit, 0, "B")
	if err := VerifyCommit(testChainID, c, h.vals); !errors.Is(err, ErrInvalidVote) {
		t.Fatalf("vote for another block: %v", err)
	}
	c.Precommits[2] = h.vote(2, Precommit, 0, "A")
	if err := VerifyCommit(testChainID, c, h.vals); err != nil {
		t.Fatalf("3 of 4: %v", err)
	}
}

func TestEvidenceVerification(t *testing.T) {
	h := newHarness(t, 4, 3)
	ev := Evidence{A: h.vote(1, Prevote, 0, "A"), B: h.vote(1, Prevote, 0, "B")}
	if err := VerifyEvidence(testChainID, ev, h.vals); err != nil {
		t.Fatal(err)
	}
	same := Evidence{A: ev.A, B: ev.A}
	if err := VerifyEvidence(testChainID, same, h.vals); !errors.Is(err, ErrNotEquivocation) {
		t.Fatalf("same vote twice: %v", err)
	}
	forged := ev
	forged.B.Signature = ev.A.Signature
	if err := VerifyEvidence(testChainID, forged, h.vals); !errors.Is(err, ErrWrongSigner) && !errors.Is(err, ErrBadSignature) {
		t.Fatalf("forged second vote: %v", err)
	}
}

func TestVerifierCacheGivesSameAnswers(t *testing.T) {
	h := newHarness(t, 4, 3)
	vf := NewVerifier(testChainID, 2)
	votes := []Vote{h.vote(0, Prevote, 0, "A"), h.vote(1, Prevote, 0, "A"), h.vote(2, Prevote, 0, "A")}
	for round := 0; round < 3; round++ { // the cache fills, clears and refills
		for _, v := range votes {
			if err := vf.Vote(v, h.vals); err != nil {
				t.Fatal(err)
			}
			bad := v
			bad.BlockID = value("B")
			if err := vf.Vote(bad, h.vals); err == nil {
				t.Fatal("cache accepted a vote whose signature is for another value")
			}
		}
	}
}

// TestStepsMatchSigner: the driver passes consensus steps to the signer as
// numbers; both packages must order propose < prevote < precommit alike.
func TestStepsMatchSigner(t *testing.T) {
	if signer.Step(StepPropose) != signer.StepPropose || signer.Step(Prevote.Step()) != signer.StepPrevote || signer.Step(Precommit.Step()) != signer.StepPrecommit {
		t.Fatal("consensus and signer steps differ")
	}
}
