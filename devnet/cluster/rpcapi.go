package cluster

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// NodeInfo is the bilayer_nodeInfo result, decoded from JSON so the harness
// depends on the RPC contract only, not on the node's packages.
type NodeInfo struct {
	PeerID      string          `json:"peerId"`
	Validator   *common.Address `json:"validator"`
	ChainID     hexutil.Uint64  `json:"chainId"`
	GenesisHash common.Hash     `json:"genesisHash"`
	Head        hexutil.Uint64  `json:"head"`
	HeadHash    common.Hash     `json:"headHash"`
	Version     string          `json:"version"`
	Evidence    []string        `json:"evidence"`
}

// Peer is one entry of the bilayer_peers result.
type Peer struct {
	ID       string         `json:"id"`
	Addr     string         `json:"addr"`
	Outbound bool           `json:"outbound"`
	Rejects  int            `json:"rejects"`
	Head     hexutil.Uint64 `json:"head"`
	HeadHash common.Hash    `json:"headHash"`
}

// ConsensusState is the bilayer_consensusState result.
type ConsensusState struct {
	Height   uint64 `json:"height"`
	Round    int32  `json:"round"`
	Step     string `json:"step"`
	Proposer string `json:"proposer"`
	Decided  bool   `json:"decided"`
}
