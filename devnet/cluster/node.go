package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// Errors of node control that callers may check.
var (
	// ErrRunning is returned by Start when the node's process is running.
	ErrRunning = errors.New("node is already running")
	// ErrNotRunning is returned by Stop, Kill and RPC helpers when the
	// node's process is not running.
	ErrNotRunning = errors.New("node is not running")
	// ErrExited is returned by Start when the process exited before its
	// RPC server answered.
	ErrExited = errors.New("node process exited during start-up")
	// errAddrInUse marks a start-up that failed because a port was taken.
	errAddrInUse = errors.New("a port was already in use")
)

// stopTimeout bounds how long Stop waits for a node to exit after SIGINT.
const stopTimeout = 20 * time.Second

// Node is one process of a cluster: a validator, a full node or the L2
// sequencer. Its data directory and ports stay the same across restarts.
// Its methods may be called from any goroutine.
type Node struct {
	// Index is the node's position in the cluster, from 0 (-1 for the
	// sequencer and the challenger, which are not of Cluster.Nodes).
	Index int
	// Name is "validator-<i>", "full-<i>", "sequencer" or "challenger",
	// used in logs.
	Name string
	// Dir is the node's data directory.
	Dir string
	// LogPath is the file the node's stdout and stderr go to, across
	// restarts.
	LogPath string
	// PeerID is the node's libp2p peer id.
	PeerID string
	// Validator is the node's validator address; zero for a full node.
	Validator common.Address
	// ExtraArgs are added to "validator run" ("sequencer run" for the
	// sequencer, "challenger run" for the challenger) at the node's next
	// Start (for example a development switch).
	ExtraArgs []string

	c     *Cluster
	bin   string
	admin bool
	kind  nodeKind

	mu    sync.Mutex
	ports nodePorts
	proc  *process
	rpc   *rpc.Client
	eth   *ethclient.Client
}

// nodeKind says which binary a node runs.
type nodeKind int

const (
	// kindL1 is a validator or full node ("validator run").
	kindL1 nodeKind = iota
	// kindSequencer is the L2 sequencer ("sequencer run").
	kindSequencer
	// kindChallenger is the L2 challenger ("challenger run").
	kindChallenger
)

// IsValidator reports whether the node has a validator key.
func (n *Node) IsValidator() bool { return n.Validator != (common.Address{}) }

// IsSequencer reports whether the node is the cluster's L2 sequencer.
func (n *Node) IsSequencer() bool { return n.kind == kindSequencer }

// IsChallenger reports whether the node is the cluster's L2 challenger.
func (n *Node) IsChallenger() bool { return n.kind == kindChallenger }

// RPCURL is the node's HTTP JSON-RPC endpoint.
func (n *Node) RPCURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return fmt.Sprintf("http://127.0.0.1:%d", n.ports.RPC)
}

// MetricsURL is the node's Prometheus endpoint.
func (n *Node) MetricsURL() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", n.ports.Metrics)
}

// P2PAddr is the node's libp2p multiaddr, with its peer id, as a bootnode
// address (meaningless for the sequencer and the challenger, which have no
// p2p endpoint).
func (n *Node) P2PAddr() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.p2pAddrLocked()
}

func (n *Node) p2pAddrLocked() string {
	return fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", n.ports.P2P, n.PeerID)
}

// Running reports whether the node's process is running.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.proc != nil && !n.proc.exited()
}

// PID returns the process id of the node's running process, or 0 when it
// is not running (to read its memory from /proc).
func (n *Node) PID() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.proc == nil || n.proc.exited() {
		return 0
	}
	return n.proc.cmd.Process.Pid
}

// Client returns a go-ethereum ethclient for the node's RPC endpoint. It
// stays valid across restarts unless a Start had to move the node to new
// ports; calling Client again is cheap.
func (n *Node) Client() *ethclient.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dialLocked()
	return n.eth
}

// RPC returns the raw JSON-RPC client, for the bilayer_ and admin_
// namespaces. Like Client, fetch it again after a Start.
func (n *Node) RPC() *rpc.Client {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.dialLocked()
	return n.rpc
}

// dialLocked creates the RPC clients once. Dialling HTTP opens no
// connection, so it works whether or not the node is running.
func (n *Node) dialLocked() {
	if n.rpc != nil {
		return
	}
	c, err := rpc.DialOptions(context.Background(), fmt.Sprintf("http://127.0.0.1:%d", n.ports.RPC))
	if err != nil {
		// Only a malformed URL fails here, and the URL is built above.
		panic(fmt.Sprintf("cluster: dial %s: %v", n.Name, err))
	}
	n.rpc, n.eth = c, ethclient.NewClient(c)
}

// closeClients drops the RPC clients (their URL changes with the ports).
func (n *Node) closeClientsLocked() {
	if n.rpc != nil {
		n.rpc.Close()
		n.rpc, n.eth = nil, nil
	}
}

// Call invokes an RPC method on the node and decodes its result.
func (n *Node) Call(ctx context.Context, result any, method string, args ...any) error {
	if err := n.RPC().CallContext(ctx, result, method, args...); err != nil {
		return fmt.Errorf("%s: %s: %w", n.Name, method, err)
	}
	return nil
}

// Head returns the node's latest committed height (eth_blockNumber).
func (n *Node) Head(ctx context.Context) (uint64, error) {
	h, err := n.Client().BlockNumber(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: head: %w", n.Name, err)
	}
	return h, nil
}

// NodeInfo returns the node's bilayer_nodeInfo.
func (n *Node) NodeInfo(ctx context.Context) (NodeInfo, error) {
	var info NodeInfo
	return info, n.Call(ctx, &info, "bilayer_nodeInfo")
}

// Peers returns the node's bilayer_peers.
func (n *Node) Peers(ctx context.Context) ([]Peer, error) {
	var peers []Peer
	return peers, n.Call(ctx, &peers, "bilayer_peers")
}

// ConsensusState returns the node's bilayer_consensusState.
func (n *Node) ConsensusState(ctx context.Context) (ConsensusState, error) {
	var st ConsensusState
	return st, n.Call(ctx, &st, "bilayer_consensusState")
}

// Isolate cuts the node off from all its peers (admin_isolate; the cluster
// needs Options.Admin) and returns how many peers it blocked.
func (n *Node) Isolate(ctx context.Context) (int, error) {
	var count int
	return count, n.Call(ctx, &count, "admin_isolate")
}

// Rejoin lets the peers Isolate blocked connect again (admin_rejoin) and
// returns how many it unblocked.
func (n *Node) Rejoin(ctx context.Context) (int, error) {
	var count int
	return count, n.Call(ctx, &count, "admin_rejoin")
}

// WaitHeight waits until the node has committed height h.
func (n *Node) WaitHeight(ctx context.Context, h uint64) error {
	return waitCtx(ctx, func() error {
		head, err := n.Head(ctx)
		if err != nil {
			return err
		}
		if head < h {
			return fmt.Errorf("%s at height %d, want %d", n.Name, head, h)
		}
		return nil
	})
}

// Logs returns everything the node has logged so far, across restarts.
func (n *Node) Logs() (string, error) {
	data, err := os.ReadFile(n.LogPath)
	if err != nil {
		return "", fmt.Errorf("%s: read log: %w", n.Name, err)
	}
	return string(data), nil
}

// LogTail returns the last lines of the node's log.
func (n *Node) LogTail(lines int) string {
	logs, err := n.Logs()
	if err != nil {
		return err.Error()
	}
	all := strings.Split(strings.TrimRight(logs, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// shutdown kills the node's process group, if it runs, and closes its RPC
// clients.
func (n *Node) shutdown() {
	n.mu.Lock()
	p := n.proc
	n.closeClientsLocked()
	n.mu.Unlock()
	if p != nil {
		p.kill()
	}
}
