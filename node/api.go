package node

import (
	"github.com/bilayer/bilayer/node/consensus"
	"github.com/bilayer/bilayer/p2p"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

func hexU64(v uint64) hexutil.Uint64 { return hexutil.Uint64(v) }

// BilayerAPI is the bilayer_ JSON-RPC namespace: validators, consensus
// state, peers and node information.
type BilayerAPI struct{ n *Node }

// API returns the bilayer_ namespace of the node.
func (n *Node) API() *BilayerAPI { return &BilayerAPI{n: n} }

// ValidatorInfo is one validator as bilayer_validators reports it.
type ValidatorInfo struct {
	Address          common.Address `json:"address"`
	VotingPower      int64          `json:"votingPower"`
	ProposerPriority int64          `json:"proposerPriority"`
}

// ValidatorsResult is the bilayer_validators result.
type ValidatorsResult struct {
	Height     hexutil.Uint64  `json:"height"`
	TotalPower int64           `json:"totalPower"`
	Validators []ValidatorInfo `json:"validators"`
	// Pending lists the set the next epoch change would produce from the
	// current stakes (priorities are assigned when it takes effect).
	Pending []ValidatorInfo `json:"pending"`
}

// Validators returns the validator set of the height being decided.
func (api *BilayerAPI) Validators() (*ValidatorsResult, error) {
	h := consensus.Height(api.n.chain.Head().Number() + 1)
	vs, err := api.n.validatorsAt(h)
	if err != nil {
		return nil, err
	}
	res := &ValidatorsResult{Height: hexutil.Uint64(h), TotalPower: vs.TotalPower()}
	for _, v := range vs.Validators() {
		res.Validators = append(res.Validators, ValidatorInfo{Address: v.Address, VotingPower: v.Power, ProposerPriority: v.ProposerPriority})
	}
	res.Pending = res.Validators
	if api.n.staking != nil {
		st, err := api.n.chain.HeadState()
		if err != nil {
			return nil, err
		}
		res.Pending = nil
		for _, v := range api.n.staking.PendingSet(st) {
			res.Pending = append(res.Pending, ValidatorInfo{Address: v.Address, VotingPower: int64(v.Power)})
		}
	}
	return res, nil
}

// ConsensusState returns the driver's height, round, step and proposer.
func (api *BilayerAPI) ConsensusState() ConsensusStatus { return api.n.Status() }

// PeerResult is one peer as bilayer_peers reports it.
type PeerResult struct {
	ID       string `json:"id"`
	Addr     string `json:"addr"`
	Outbound bool   `json:"outbound"`
	Rejects  int    `json:"rejects"`
	// Score is the gossip score of the peer (negative once it misbehaves;
	// far enough below zero and its messages are ignored).
	Score    float64        `json:"score"`
	Head     hexutil.Uint64 `json:"head"`
	HeadHash common.Hash    `json:"headHash"`
}

// Peers lists the connected peers with their last known heads.
func (api *BilayerAPI) Peers() []PeerResult {
	out := []PeerResult{}
	var statuses map[p2p.PeerID]p2p.Status
	if api.n.handshake != nil {
		statuses = api.n.handshake.Statuses()
	}
	for _, p := range api.n.net.Peers() {
		r := PeerResult{ID: string(p.ID), Addr: p.Addr, Outbound: p.Outbound, Rejects: p.Rejects, Score: p.Score}
		if st, ok := statuses[p.ID]; ok {
			r.Head, r.HeadHash = hexutil.Uint64(st.Head), st.HeadHash
		}
		out = append(out, r)
	}
	return out
}

// NodeInfo describes this node.
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

// NodeInfo returns this node's identity and head.
func (api *BilayerAPI) NodeInfo() NodeInfo {
	n := api.n
	head := n.chain.Head()
	info := NodeInfo{PeerID: string(n.net.ID()), ChainID: hexutil.Uint64(n.cfg.Genesis.ChainID), GenesisHash: n.chain.GenesisHash(),
		Head: hexutil.Uint64(head.Number()), HeadHash: head.Hash(), Version: Version, Evidence: []string{}}
	if n.signer != nil {
		addr := n.self
		info.Validator = &addr
	}
	for _, ev := range n.evidence.all() {
		info.Evidence = append(info.Evidence, ev.String())
	}
	return info
}
