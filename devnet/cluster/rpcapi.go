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
	Score    float64        `json:"score"`
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

// SyncStatus is the rollup_syncStatus result: the unsafe, safe and
// finalized L2 heads and the newest L1 block the node has seen (the
// challenger: derived from); the challenger adds its Verification.
type SyncStatus struct {
	UnsafeL2    L2BlockRef     `json:"unsafeL2"`
	SafeL2      L2BlockRef     `json:"safeL2"`
	FinalizedL2 L2BlockRef     `json:"finalizedL2"`
	HeadL1      hexutil.Uint64 `json:"headL1"`
	// Verification is the challenger's comparison of the posted outputs
	// with its own (nil from the sequencer).
	Verification *Verification `json:"verification,omitempty"`
}

// Verification is how the posted outputs compared with the challenger's.
type Verification struct {
	// CheckedL2 is the newest L2 block whose posted output was compared.
	CheckedL2 hexutil.Uint64 `json:"checkedL2"`
	// Agreed counts posted outputs equal to the challenger's own (since
	// its process started).
	Agreed hexutil.Uint64 `json:"agreed"`
	// FirstDisagreement is the first posted output that differs, if any.
	FirstDisagreement *Disagreement `json:"firstDisagreement"`
}

// Disagreement is a posted output that differs from the challenger's.
type Disagreement struct {
	Number          hexutil.Uint64 `json:"number"`
	BatchIndex      hexutil.Uint64 `json:"batchIndex"`
	L1Block         hexutil.Uint64 `json:"l1Block"`
	Fields          []string       `json:"fields"`
	PostedStateRoot common.Hash    `json:"postedStateRoot"`
	OwnStateRoot    common.Hash    `json:"ownStateRoot"`
	PostedBlockHash common.Hash    `json:"postedBlockHash"`
	OwnBlockHash    common.Hash    `json:"ownBlockHash"`
}

// Output is the sequencer's rollup_outputAtBlock result.
type Output struct {
	Number          hexutil.Uint64  `json:"number"`
	BlockHash       common.Hash     `json:"blockHash"`
	StateRoot       common.Hash     `json:"stateRoot"`
	WithdrawalsRoot common.Hash     `json:"withdrawalsRoot"`
	OutputRoot      common.Hash     `json:"outputRoot"`
	Status          string          `json:"status"`
	BatchIndex      *hexutil.Uint64 `json:"batchIndex,omitempty"`
}

// Batch is the sequencer's rollup_batch result: a batch as the L1 rollup
// contract keeps it.
type Batch struct {
	Index      hexutil.Uint64 `json:"index"`
	FirstBlock hexutil.Uint64 `json:"firstBlock"`
	LastBlock  hexutil.Uint64 `json:"lastBlock"`
	L1Block    hexutil.Uint64 `json:"l1Block"`
	Root       common.Hash    `json:"root"`
	Final      bool           `json:"final"`
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
