package devnet

import (
	"encoding/json"
	"fmt"
	"os"
)

// Roles of the nodes in endpoints.json.
const (
	// RoleValidator is an L1 validator.
	RoleValidator = "validator"
	// RoleSequencer is the L2 sequencer.
	RoleSequencer = "sequencer"
	// RoleChallenger is the L2 challenger (the verifier that derives the
	// L2 from the L1 alone).
	RoleChallenger = "challenger"
)

// Endpoints is endpoints.json: what runs where, for scripts and tests.
type Endpoints struct {
	// ChainID is the L1 chain id.
	ChainID uint64 `json:"chainId"`
	// L2ChainID is the L2 chain id (absent without a sequencer).
	L2ChainID uint64 `json:"l2ChainId,omitempty"`
	// Datadir is the devnet data directory.
	Datadir string `json:"datadir"`
	// Nodes lists every node: the validators in index order, then the
	// sequencer and the challenger.
	Nodes []Endpoint `json:"nodes"`
}

// Validators returns the validators' endpoints, in index order.
func (e Endpoints) Validators() []Endpoint {
	var out []Endpoint
	for _, n := range e.Nodes {
		if n.Role == RoleValidator {
			out = append(out, n)
		}
	}
	return out
}

// Sequencer returns the sequencer's endpoint, if the devnet has one.
func (e Endpoints) Sequencer() (Endpoint, bool) {
	for _, n := range e.Nodes {
		if n.Role == RoleSequencer {
			return n, true
		}
	}
	return Endpoint{}, false
}

// Challenger returns the challenger's endpoint, if the devnet runs one.
func (e Endpoints) Challenger() (Endpoint, bool) {
	for _, n := range e.Nodes {
		if n.Role == RoleChallenger {
			return n, true
		}
	}
	return Endpoint{}, false
}

// Endpoint describes one running node.
type Endpoint struct {
	// Name is the node's name, e.g. validator-0.
	Name string `json:"name"`
	// Role is what the node does: RoleValidator, RoleSequencer or
	// RoleChallenger.
	Role string `json:"role"`
	// RPC is the JSON-RPC URL (HTTP; WebSocket on the same port).
	RPC string `json:"rpc"`
	// WS is the WebSocket URL of the same server.
	WS string `json:"ws"`
	// P2P is the node's libp2p multiaddr including /p2p/<peer id> (empty
	// for the sequencer and the challenger, which have none).
	P2P string `json:"p2p"`
	// Metrics is the Prometheus metrics URL.
	Metrics string `json:"metrics"`
	// PID is the node's process id (0 when not running).
	PID int `json:"pid"`
	// Log is the node's log file.
	Log string `json:"log"`
	// Datadir is the node's data directory.
	Datadir string `json:"datadir"`
	// Validator is the node's validator address (validators only).
	Validator string `json:"validator,omitempty"`
	// Address is the sequencer's address, which posts batches (sequencer
	// only).
	Address string `json:"address,omitempty"`
	// L1RPC is the L1 node the sequencer or the challenger follows.
	L1RPC string `json:"l1Rpc,omitempty"`
}

// LocalEndpoint returns the endpoint of local validator i.
func LocalEndpoint(l Layout, cfg Config, i int) Endpoint {
	p := PortsFor(i, cfg.PortOffset)
	return Endpoint{
		Name:      NodeName(i),
		Role:      RoleValidator,
		RPC:       fmt.Sprintf("http://127.0.0.1:%d", p.RPC),
		WS:        fmt.Sprintf("ws://127.0.0.1:%d", p.RPC),
		P2P:       fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", p.P2P, cfg.Nodes[i].PeerID),
		Metrics:   fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Metrics),
		Log:       l.LogFile(NodeName(i)),
		Datadir:   l.NodeDir(i),
		Validator: cfg.Nodes[i].Validator,
	}
}

// WriteEndpoints writes endpoints.json.
func WriteEndpoints(l Layout, e Endpoints) error {
	return writeJSON(l.EndpointsFile(), e, 0o644)
}

// ReadEndpoints reads endpoints.json.
func ReadEndpoints(path string) (Endpoints, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Endpoints{}, fmt.Errorf("read endpoints: %w", err)
	}
	var e Endpoints
	if err := json.Unmarshal(data, &e); err != nil {
		return Endpoints{}, fmt.Errorf("parse %s: %w", path, err)
	}
	return e, nil
}
