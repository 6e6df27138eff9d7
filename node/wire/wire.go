package wire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
)

// MaxVoteSize bounds an encoded vote message.
const MaxVoteSize = 512

// Errors of the decoders.
var (
	ErrTooLarge    = errors.New("message too large")
	ErrBadMessage  = errors.New("malformed message")
	ErrRoundRange  = errors.New("round out of range")
	ErrMixedCommit = errors.New("commit precommits disagree on height, round or block")
)

type vote struct {
	Type      uint8
	Height    uint64
	Round     uint32
	BlockID   common.Hash
	Validator common.Address
	Signature []byte
}

type proposal struct {
	Height    uint64
	Round     uint32
	POLRound  uint32 // POLRound+1: 0 means none
	BlockID   common.Hash
	Proposer  common.Address
	Signature []byte
}

// ProposalMsg is a signed proposal with the encoded block it proposes and,
// for a re-proposal (POLRound set), the prevotes that justify it.
type ProposalMsg struct {
	Proposal consensus.Proposal
	Block    []byte
	POL      []consensus.Vote
}

type proposalMsg struct {
	Proposal proposal
	Block    []byte
	POL      []vote
}

// MaxPOLVotes bounds the justification votes a proposal may carry.
const MaxPOLVotes = 1024

func encodeRound(r consensus.Round) (uint32, error) {
	if r < 0 {
		return 0, fmt.Errorf("%w: %d", ErrRoundRange, r)
	}
	return uint32(r), nil
}

func decodeRound(r uint32) (consensus.Round, error) {
	if r > math.MaxInt32 {
		return 0, fmt.Errorf("%w: %d", ErrRoundRange, r)
	}
	return consensus.Round(r), nil
}

func toWireVote(v consensus.Vote) (vote, error) {
	r, err := encodeRound(v.Round)
	if err != nil {
		return vote{}, err
	}
	return vote{Type: uint8(v.Type), Height: uint64(v.Height), Round: r, BlockID: common.Hash(v.BlockID),
		Validator: v.Validator, Signature: v.Signature}, nil
}

func fromWireVote(w vote) (consensus.Vote, error) {
	r, err := decodeRound(w.Round)
	if err != nil {
		return consensus.Vote{}, err
	}
	t := consensus.VoteType(w.Type)
	if t != consensus.Prevote && t != consensus.Precommit {
		return consensus.Vote{}, fmt.Errorf("%w: vote type %d", ErrBadMessage, w.Type)
	}
	return consensus.Vote{Type: t, Height: consensus.Height(w.Height), Round: r, BlockID: consensus.BlockID(w.BlockID),
		Validator: w.Validator, Signature: w.Signature}, nil
}

// EncodeVote encodes a signed vote.
func EncodeVote(v consensus.Vote) ([]byte, error) {
	w, err := toWireVote(v)
	if err != nil {
		return nil, fmt.Errorf("encode vote: %w", err)
	}
	return rlp.EncodeToBytes(&w)
}

// DecodeVote decodes a vote encoded by EncodeVote. It does not verify the
// signature.
func DecodeVote(data []byte) (consensus.Vote, error) {
	if len(data) > MaxVoteSize {
		return consensus.Vote{}, fmt.Errorf("%w: vote of %d bytes, limit %d", ErrTooLarge, len(data), MaxVoteSize)
	}
	var w vote
	if err := rlp.DecodeBytes(data, &w); err != nil {
		return consensus.Vote{}, fmt.Errorf("%w: vote: %v", ErrBadMessage, err)
	}
	return fromWireVote(w)
}

// EncodeProposal encodes a signed proposal with its block.
func EncodeProposal(m ProposalMsg) ([]byte, error) {
	p := m.Proposal
	r, err := encodeRound(p.Round)
	if err != nil {
		return nil, fmt.Errorf("encode proposal: %w", err)
	}
	if p.POLRound < consensus.NilRound {
		return nil, fmt.Errorf("encode proposal: %w: pol round %d", ErrRoundRange, p.POLRound)
	}
	w := proposalMsg{Proposal: proposal{Height: uint64(p.Height), Round: r, POLRound: uint32(p.POLRound + 1),
		BlockID: common.Hash(p.BlockID), Proposer: p.Proposer, Signature: p.Signature}, Block: m.Block}
	for _, v := range m.POL {
		wv, err := toWireVote(v)
		if err != nil {
			return nil, fmt.Errorf("encode proposal: pol: %w", err)
		}
		w.POL = append(w.POL, wv)
	}
	return rlp.EncodeToBytes(&w)
}

// DecodeProposal decodes a proposal message of at most maxSize bytes. It
// does not verify the signature or decode the block.
func DecodeProposal(data []byte, maxSize int) (ProposalMsg, error) {
	if len(data) > maxSize {
		return ProposalMsg{}, fmt.Errorf("%w: proposal of %d bytes, limit %d", ErrTooLarge, len(data), maxSize)
	}
	var w proposalMsg
	if err := rlp.DecodeBytes(data, &w); err != nil {
		return ProposalMsg{}, fmt.Errorf("%w: proposal: %v", ErrBadMessage, err)
	}
	r, err := decodeRound(w.Proposal.Round)
	if err != nil {
		return ProposalMsg{}, err
	}
	pol, err := decodeRound(w.Proposal.POLRound)
	if err != nil {
		return ProposalMsg{}, err
	}
	if len(w.POL) > MaxPOLVotes {
		return ProposalMsg{}, fmt.Errorf("%w: %d justification votes, limit %d", ErrTooLarge, len(w.POL), MaxPOLVotes)
	}
	m := ProposalMsg{Proposal: consensus.Proposal{Height: consensus.Height(w.Proposal.Height), Round: r,
		POLRound: pol - 1, BlockID: consensus.BlockID(w.Proposal.BlockID), Proposer: w.Proposal.Proposer,
		Signature: w.Proposal.Signature}, Block: w.Block}
	for _, wv := range w.POL {
		v, err := fromWireVote(wv)
		if err != nil {
			return ProposalMsg{}, fmt.Errorf("proposal pol: %w", err)
		}
		m.POL = append(m.POL, v)
	}
	return m, nil
}

// ToBlockCommit converts the machine's commit certificate to the form blocks
// carry: signatures sorted by validator address.
func ToBlockCommit(c consensus.Commit) (*block.Commit, error) {
	r, err := encodeRound(c.Round)
	if err != nil {
		return nil, fmt.Errorf("convert commit %d: %w", c.Height, err)
	}
	out := &block.Commit{Height: uint64(c.Height), Round: r, BlockHash: common.Hash(c.BlockID)}
	for _, v := range c.Precommits {
		if v.Type != consensus.Precommit || v.Height != c.Height || v.Round != c.Round || v.BlockID != c.BlockID {
			return nil, fmt.Errorf("convert commit %d: %w: %s", c.Height, ErrMixedCommit, v)
		}
		out.Signatures = append(out.Signatures, block.CommitSig{Validator: v.Validator, Signature: slices.Clone(v.Signature)})
	}
	slices.SortFunc(out.Signatures, func(a, b block.CommitSig) int { return bytes.Compare(a.Validator[:], b.Validator[:]) })
	return out, nil
}

// FromBlockCommit converts a block's commit certificate back to the
// machine's form, for verification against a validator set.
func FromBlockCommit(c *block.Commit) (consensus.Commit, error) {
	r, err := decodeRound(c.Round)
	if err != nil {
		return consensus.Commit{}, fmt.Errorf("convert commit %d: %w", c.Height, err)
	}
	out := consensus.Commit{Height: consensus.Height(c.Height), Round: r, BlockID: consensus.BlockID(c.BlockHash)}
	for _, s := range c.Signatures {
		out.Precommits = append(out.Precommits, consensus.Vote{Type: consensus.Precommit, Height: out.Height, Round: r,
			BlockID: out.BlockID, Validator: s.Validator, Signature: slices.Clone(s.Signature)})
	}
	return out, nil
}

// Kinds of consensus gossip message.
const (
	KindProposal uint8 = 1
	KindVote     uint8 = 2
)

type envelope struct {
	Kind    uint8
	Nonce   uint64
	Payload []byte
}

// EncodeEnvelope wraps a consensus message for gossip. The nonce makes a
// re-sent message differ from the original, so gossip (which drops
// messages it has seen) carries it again to peers that missed it.
func EncodeEnvelope(kind uint8, nonce uint64, payload []byte) ([]byte, error) {
	return rlp.EncodeToBytes(&envelope{Kind: kind, Nonce: nonce, Payload: payload})
}

// DecodeEnvelope unwraps a consensus gossip message of at most maxSize
// bytes.
func DecodeEnvelope(data []byte, maxSize int) (kind uint8, payload []byte, err error) {
	if len(data) > maxSize {
		return 0, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), maxSize)
	}
	var e envelope
	if err := rlp.DecodeBytes(data, &e); err != nil {
		return 0, nil, fmt.Errorf("%w: envelope: %v", ErrBadMessage, err)
	}
	if e.Kind != KindProposal && e.Kind != KindVote {
		return 0, nil, fmt.Errorf("%w: kind %d", ErrBadMessage, e.Kind)
	}
	return e.Kind, e.Payload, nil
}

// ProposalKey identifies a proposal message by its signed proposal part
// alone (height, round, POL round, block id, proposer, signature), without
// decoding the block it carries: a receiver that verified the message once
// can recognise it again cheaply.
func ProposalKey(payload []byte) ([32]byte, error) {
	content, _, err := rlp.SplitList(payload)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: proposal: %v", ErrBadMessage, err)
	}
	_, _, rest, err := rlp.Split(content)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: proposal: %v", ErrBadMessage, err)
	}
	return crypto.Keccak256Hash(content[:len(content)-len(rest)]), nil
}
