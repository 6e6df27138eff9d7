package consensus

import (
	"bytes"
	"crypto/ecdsa"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// harness drives one Machine ("us") among n equal-stake validators named v0..
// v(n-1) in address order, so proposer(h, r) is v(r mod n) at the first height.
// It signs what the machine asks to sign, and records a readable trace.
type harness struct {
	t     *testing.T
	keys  []*ecdsa.PrivateKey // sorted by address
	addrs []common.Address
	vals  *ValidatorSet
	us    int
	m     *Machine
	out   bytes.Buffer
	acts  []Action // every action of the last command
}

const testChainID = "bilayer-test"

func newHarness(t *testing.T, n, us int) *harness {
	t.Helper()
	keys := slices.Clone(simKeys()[:n])
	slices.SortFunc(keys, func(a, b *ecdsa.PrivateKey) int {
		x, y := crypto.PubkeyToAddress(a.PublicKey), crypto.PubkeyToAddress(b.PublicKey)
		return bytes.Compare(x[:], y[:])
	})
	h := &harness{t: t, keys: keys, us: us}
	vals := make([]Validator, n)
	for i, k := range keys {
		h.addrs = append(h.addrs, crypto.PubkeyToAddress(k.PublicKey))
		vals[i] = Validator{Address: h.addrs[i], Power: 10}
	}
	vs, err := NewValidatorSet(vals)
	if err != nil {
		t.Fatal(err)
	}
	h.vals = vs
	h.m = NewMachine(DefaultConfig(), h.addrs[us], 1, vs)
	return h
}

// value names a test block: A, B, C... become aaaaaaaa..., bbbbbbbb...
func value(name string) BlockID {
	if name == "nil" {
		return BlockID{}
	}
	var id BlockID
	c := byte(strings.ToLower(name)[0]-'a'+10) * 0x11
	for i := range id {
		id[i] = c
	}
	return id
}

func (h *harness) signVote(i int, v Vote) Vote {
	d := VoteSignBytes(testChainID, v)
	sig, err := crypto.Sign(d[:], h.keys[i])
	if err != nil {
		h.t.Fatal(err)
	}
	v.Signature = sig
	return v
}

func (h *harness) vote(i int, t VoteType, r Round, name string) Vote {
	return h.signVote(i, Vote{Type: t, Height: h.m.Height(), Round: r, BlockID: value(name), Validator: h.addrs[i]})
}

func (h *harness) proposal(r, pol Round, name string) Proposal {
	p := Proposal{Height: h.m.Height(), Round: r, POLRound: pol, BlockID: value(name), Proposer: h.m.Proposer(r)}
	i := slices.Index(h.addrs, p.Proposer)
	d := ProposalSignBytes(testChainID, p)
	sig, err := crypto.Sign(d[:], h.keys[i])
	if err != nil {
		h.t.Fatal(err)
	}
	p.Signature = sig
	return p
}

// start runs Machine.Start.
func (h *harness) start() { h.acts = nil; h.run("start", h.m.Start()) }

// feed steps one input, then feeds back the signatures it asks for.
func (h *harness) feed(in Input) {
	h.acts = nil
	h.run(h.describe(in), h.m.Step(in))
}

func (h *harness) run(what string, actions []Action) {
	fmt.Fprintf(&h.out, "> %s\n", h.names(what))
	var signed []Input
	for _, a := range actions {
		h.acts = append(h.acts, a)
		fmt.Fprintf(&h.out, "  %s\n", h.names(fmt.Sprint(a)))
		switch a := a.(type) {
		case SignVote:
			signed = append(signed, VoteSigned{Vote: h.signVote(h.us, a.Vote)})
		case SignProposal:
			p := a.Proposal
			d := ProposalSignBytes(testChainID, p)
			p.Signature, _ = crypto.Sign(d[:], h.keys[h.us])
			signed = append(signed, ProposalSigned{Proposal: p})
		}
	}
	for _, in := range signed {
		h.run(h.describe(in), h.m.Step(in))
	}
}

func (h *harness) describe(in Input) string {
	switch in := in.(type) {
	case ProposalReceived:
		return "receive " + in.Proposal.String()
	case VoteReceived:
		return "receive " + in.Vote.String()
	case VoteSigned:
		return "signed " + in.Vote.String()
	case ProposalSigned:
		return "signed " + in.Proposal.String()
	case TimeoutFired:
		return fmt.Sprintf("timeout %s h=%d r=%d", in.Step, in.Height, in.Round)
	case ValidationResult:
		return fmt.Sprintf("valid(%s) = %v", in.BlockID, in.Valid)
	case ValueBuilt:
		return fmt.Sprintf("built h=%d r=%d %s", in.Height, in.Round, in.BlockID)
	case CommitReceived:
		return fmt.Sprintf("receive commit h=%d r=%d %s", in.Commit.Height, in.Commit.Round, in.Commit.BlockID)
	case Applied:
		return fmt.Sprintf("applied h=%d", in.Height)
	}
	return fmt.Sprintf("%T", in)
}

// names replaces short addresses with v0, v1, ... and marks us.
func (h *harness) names(s string) string {
	for i, a := range h.addrs {
		name := fmt.Sprintf("v%d", i)
		if i == h.us {
			name += "(us)"
		}
		s = strings.ReplaceAll(s, shortAddr(a), name)
	}
	return s
}

// did reports whether the last command emitted an action whose trace line
// starts with want.
func (h *harness) did(want string) bool {
	for _, a := range h.acts {
		if strings.HasPrefix(h.names(fmt.Sprint(a)), want) {
			return true
		}
	}
	return false
}

func (h *harness) mustDo(want string) {
	h.t.Helper()
	if !h.did(want) {
		h.t.Fatalf("expected action %q; trace:\n%s", want, h.out.String())
	}
}

func (h *harness) mustNotDo(want string) {
	h.t.Helper()
	if h.did(want) {
		h.t.Fatalf("unexpected action %q; trace:\n%s", want, h.out.String())
	}
}
