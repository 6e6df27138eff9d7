package consensus

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/crypto"
)

// Domain tags keep a vote signature from ever being valid as a proposal
// signature (or as anything else signed with a validator key).
const (
	voteDomain     = "bilayer/consensus/vote/v1"
	proposalDomain = "bilayer/consensus/proposal/v1"
)

// VoteSignBytes returns the 32-byte digest a validator signs for v:
// keccak256(domain || len(chainID) || chainID || type || height || round || blockID).
// Every field has a fixed width or a length prefix, so the encoding is unambiguous.
func VoteSignBytes(chainID string, v Vote) [32]byte {
	buf := make([]byte, 0, len(voteDomain)+4+len(chainID)+1+8+4+32)
	buf = append(buf, voteDomain...)
	buf = appendChainID(buf, chainID)
	buf = append(buf, byte(v.Type))
	buf = binary.BigEndian.AppendUint64(buf, uint64(v.Height))
	buf = binary.BigEndian.AppendUint32(buf, uint32(v.Round))
	buf = append(buf, v.BlockID[:]...)
	return crypto.Keccak256Hash(buf)
}

// ProposalSignBytes returns the 32-byte digest a proposer signs for p:
// keccak256(domain || len(chainID) || chainID || height || round || polRound || blockID).
func ProposalSignBytes(chainID string, p Proposal) [32]byte {
	buf := make([]byte, 0, len(proposalDomain)+4+len(chainID)+8+4+4+32)
	buf = append(buf, proposalDomain...)
	buf = appendChainID(buf, chainID)
	buf = binary.BigEndian.AppendUint64(buf, uint64(p.Height))
	buf = binary.BigEndian.AppendUint32(buf, uint32(p.Round))
	buf = binary.BigEndian.AppendUint32(buf, uint32(p.POLRound))
	buf = append(buf, p.BlockID[:]...)
	return crypto.Keccak256Hash(buf)
}

func appendChainID(buf []byte, chainID string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(chainID)))
	return append(buf, chainID...)
}
