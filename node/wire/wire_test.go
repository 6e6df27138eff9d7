package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/ethereum/go-ethereum/common"
)

func sig(b byte) []byte { return bytes.Repeat([]byte{b}, 65) }

func TestVoteRoundTrip(t *testing.T) {
	for _, v := range []consensus.Vote{
		{Type: consensus.Prevote, Height: 7, Round: 0, BlockID: consensus.BlockID{1}, Validator: common.Address{2}, Signature: sig(3)},
		{Type: consensus.Precommit, Height: 1 << 40, Round: 12, Validator: common.Address{9}, Signature: sig(4)},
	} {
		enc, err := EncodeVote(v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeVote(enc)
		if err != nil || !reflect.DeepEqual(got, v) {
			t.Fatalf("round trip: %+v, %v", got, err)
		}
	}
	if _, err := EncodeVote(consensus.Vote{Type: consensus.Prevote, Round: -1}); !errors.Is(err, ErrRoundRange) {
		t.Fatalf("negative round: %v", err)
	}
}

func TestDecodeVoteRejects(t *testing.T) {
	bad, _ := EncodeVote(consensus.Vote{Type: consensus.Prevote, Signature: sig(1)})
	bad = bytes.Replace(bad, []byte{0x01}, []byte{0x07}, 1) // vote type 7
	for name, data := range map[string][]byte{
		"too large": make([]byte, MaxVoteSize+1),
		"garbage":   {0xde, 0xad},
		"bad type":  bad,
	} {
		if _, err := DecodeVote(data); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestProposalRoundTrip(t *testing.T) {
	for _, pol := range []consensus.Round{consensus.NilRound, 0, 5} {
		m := ProposalMsg{Proposal: consensus.Proposal{Height: 3, Round: 6, POLRound: pol, BlockID: consensus.BlockID{7},
			Proposer: common.Address{8}, Signature: sig(9)}, Block: []byte("block bytes")}
		if pol >= 0 {
			m.POL = []consensus.Vote{{Type: consensus.Prevote, Height: 3, Round: pol, BlockID: consensus.BlockID{7},
				Validator: common.Address{1}, Signature: sig(2)}}
		}
		enc, err := EncodeProposal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeProposal(enc, len(enc))
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Fatalf("pol %d: %+v, %v", pol, got, err)
		}
		if _, err := DecodeProposal(enc, len(enc)-1); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("size limit: %v", err)
		}
	}
}

func TestCommitConversion(t *testing.T) {
	c := consensus.Commit{Height: 4, Round: 2, BlockID: consensus.BlockID{5}}
	for _, a := range []byte{9, 1, 5} {
		c.Precommits = append(c.Precommits, consensus.Vote{Type: consensus.Precommit, Height: 4, Round: 2,
			BlockID: c.BlockID, Validator: common.Address{a}, Signature: sig(a)})
	}
	bc, err := ToBlockCommit(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := bc.ValidateBasic(); err != nil {
		t.Fatalf("converted commit is not sorted or well formed: %v", err)
	}
	back, err := FromBlockCommit(bc)
	if err != nil || len(back.Precommits) != 3 || back.Precommits[0].Validator != (common.Address{1}) || back.Round != 2 {
		t.Fatalf("back: %+v, %v", back, err)
	}
	c.Precommits[1].Round = 3
	if _, err := ToBlockCommit(c); !errors.Is(err, ErrMixedCommit) {
		t.Fatalf("mixed commit: %v", err)
	}
}

func FuzzDecodeProposal(f *testing.F) {
	enc, _ := EncodeProposal(ProposalMsg{Proposal: consensus.Proposal{Height: 1, POLRound: consensus.NilRound, Signature: sig(1)}, Block: []byte{1}})
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeProposal(data, 1<<16)
		if err != nil {
			return
		}
		again, err := EncodeProposal(m)
		if err != nil {
			t.Fatalf("decoded proposal does not encode: %v", err)
		}
		if m2, err := DecodeProposal(again, 1<<16); err != nil || !reflect.DeepEqual(m, m2) {
			t.Fatalf("re-decode differs: %v", err)
		}
	})
}

func FuzzDecodeVote(f *testing.F) {
	enc, _ := EncodeVote(consensus.Vote{Type: consensus.Precommit, Height: 1, Signature: sig(1)})
	f.Add(enc)
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := DecodeVote(data)
		if err != nil {
			return
		}
		if _, err := EncodeVote(v); err != nil {
			t.Fatalf("decoded vote does not encode: %v", err)
		}
	})
}

func TestEnvelope(t *testing.T) {
	a, _ := EncodeEnvelope(KindVote, 1, []byte{1, 2})
	b, _ := EncodeEnvelope(KindVote, 2, []byte{1, 2})
	if bytes.Equal(a, b) {
		t.Fatal("re-sent envelope is identical to the original")
	}
	kind, payload, err := DecodeEnvelope(b, len(b))
	if err != nil || kind != KindVote || !bytes.Equal(payload, []byte{1, 2}) {
		t.Fatalf("envelope: %d %x %v", kind, payload, err)
	}
	bad, _ := EncodeEnvelope(9, 0, nil)
	if _, _, err := DecodeEnvelope(bad, len(bad)); !errors.Is(err, ErrBadMessage) {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, _, err := DecodeEnvelope(a, len(a)-1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("size: %v", err)
	}
}

func TestProposalKeyIgnoresTheBlockButNotTheProposal(t *testing.T) {
	m := ProposalMsg{Proposal: consensus.Proposal{Height: 3, Round: 1, POLRound: consensus.NilRound, BlockID: consensus.BlockID{7},
		Proposer: common.Address{8}, Signature: sig(9)}, Block: []byte("block")}
	a, _ := EncodeProposal(m)
	k1, err := ProposalKey(a)
	if err != nil {
		t.Fatal(err)
	}
	m.Block = []byte("other block bytes")
	b, _ := EncodeProposal(m)
	if k2, _ := ProposalKey(b); k2 != k1 {
		t.Fatal("the key depends on the block bytes")
	}
	m.Proposal.Round = 2
	c, _ := EncodeProposal(m)
	if k3, _ := ProposalKey(c); k3 == k1 {
		t.Fatal("two proposals share a key")
	}
	if _, err := ProposalKey([]byte{0x01}); err == nil {
		t.Fatal("garbage has a key")
	}
}
