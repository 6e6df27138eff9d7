package attacktest

import (
	"crypto/ecdsa"
	"fmt"

	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/node/wire"
	"github.com/ethereum/go-ethereum/crypto"
)

// SignVote signs v with key for chainID (the decimal chain id) and sets its
// validator to key's address. Only tests that play a faulty validator need
// it: a peer without a validator key can only replay votes it received.
func SignVote(key *ecdsa.PrivateKey, chainID string, v consensus.Vote) (consensus.Vote, error) {
	v.Validator = crypto.PubkeyToAddress(key.PublicKey)
	digest := consensus.VoteSignBytes(chainID, v)
	sig, err := crypto.Sign(digest[:], key)
	if err != nil {
		return consensus.Vote{}, fmt.Errorf("sign vote: %w", err)
	}
	v.Signature = sig
	return v, nil
}

// SignProposal signs p with key for chainID and sets its proposer to key's
// address.
func SignProposal(key *ecdsa.PrivateKey, chainID string, p consensus.Proposal) (consensus.Proposal, error) {
	p.Proposer = crypto.PubkeyToAddress(key.PublicKey)
	digest := consensus.ProposalSignBytes(chainID, p)
	sig, err := crypto.Sign(digest[:], key)
	if err != nil {
		return consensus.Proposal{}, fmt.Errorf("sign proposal: %w", err)
	}
	p.Signature = sig
	return p, nil
}

// VoteEnvelope wraps a signed vote for the consensus topic.
func VoteEnvelope(v consensus.Vote, nonce uint64) ([]byte, error) {
	payload, err := wire.EncodeVote(v)
	if err != nil {
		return nil, err
	}
	return wire.EncodeEnvelope(wire.KindVote, nonce, payload)
}

// ProposalEnvelope wraps a signed proposal message for the consensus topic.
func ProposalEnvelope(m wire.ProposalMsg, nonce uint64) ([]byte, error) {
	payload, err := wire.EncodeProposal(m)
	if err != nil {
		return nil, err
	}
	return wire.EncodeEnvelope(wire.KindProposal, nonce, payload)
}

// Rewrap returns the consensus message data (at most maxSize bytes) in a
// new envelope with the given nonce: the same signed message, different
// bytes. Anyone can do it; the nonce is not signed.
func Rewrap(data []byte, maxSize int, nonce uint64) ([]byte, error) {
	kind, payload, err := wire.DecodeEnvelope(data, maxSize)
	if err != nil {
		return nil, fmt.Errorf("rewrap: %w", err)
	}
	return wire.EncodeEnvelope(kind, nonce, payload)
}

// InflatePOL returns the proposal message data (at most maxSize bytes)
// with copies of vote appended to its proof-of-lock list, in a new envelope:
// the list is not covered by the proposer's signature, so anyone can do it
// to a valid proposal.
func InflatePOL(data []byte, maxSize int, vote consensus.Vote, copies int) ([]byte, error) {
	kind, payload, err := wire.DecodeEnvelope(data, maxSize)
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if kind != wire.KindProposal {
		return nil, fmt.Errorf("inflate: message kind %d is not a proposal", kind)
	}
	m, err := wire.DecodeProposal(payload, maxSize)
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	for range copies {
		m.POL = append(m.POL, vote)
	}
	return ProposalEnvelope(m, 1)
}
