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

// L1BlockRef is an L1 block as the rollup_ namespace names it.
type L1BlockRef struct {
	Number hexutil.Uint64 `json:"number"`
	Hash   common.Hash    `json:"hash"`
}

// L2BlockRef is an L2 block with its L1 origin, as rollup_syncStatus
// reports it.
type L2BlockRef struct {
	Number    hexutil.Uint64 `json:"number"`
	Hash      common.Hash    `json:"hash"`
	Timestamp hexutil.Uint64 `json:"timestamp"`
	L1Origin  L1BlockRef     `json:"l1origin"`
}

// SyncStatus is the sequencer's rollup_syncStatus result: the unsafe, safe
// and finalized L2 heads and the newest L1 block it has seen.
type SyncStatus struct {
	UnsafeL2    L2BlockRef     `json:"unsafeL2"`
	SafeL2      L2BlockRef     `json:"safeL2"`
	FinalizedL2 L2BlockRef     `json:"finalizedL2"`
	HeadL1      hexutil.Uint64 `json:"headL1"`
}

// DepositStatus is the sequencer's rollup_depositStatus result.
type DepositStatus struct {
	L1Block hexutil.Uint64 `json:"l1Block"`
	Index   hexutil.Uint64 `json:"index"`
	// Status is "applied", "pending" or "unknown".
	Status string          `json:"status"`
	Kind   string          `json:"kind"`
	From   *common.Address `json:"from"`
	To     *common.Address `json:"to"`
	Amount *hexutil.Big    `json:"amount"`
	// L2Block and L2BlockHash name the L2 block that applied it.
	L2Block     *hexutil.Uint64 `json:"l2Block"`
	L2BlockHash *common.Hash    `json:"l2BlockHash"`
	L2Origin    hexutil.Uint64  `json:"l2Origin"`
	L1Head      hexutil.Uint64  `json:"l1Head"`
}
