package node

import (
	"fmt"
	"sync"

	"github.com/bilayer/bilayer/p2p"
)

// AdminAPI is the admin_ JSON-RPC namespace, served only when the operator
// enables it (validator run --admin): it cuts this node off from its peers
// and reconnects it, so tests and demos can partition a process cluster.
type AdminAPI struct {
	n        *Node
	mu       sync.Mutex
	isolated map[p2p.PeerID]bool
}

// AdminAPI returns the admin_ namespace of the node.
func (n *Node) AdminAPI() *AdminAPI { return &AdminAPI{n: n, isolated: map[p2p.PeerID]bool{}} }

// BlockPeer disconnects a peer and refuses it until UnblockPeer.
func (a *AdminAPI) BlockPeer(id string) error {
	if err := a.n.net.Block(p2p.PeerID(id)); err != nil {
		return fmt.Errorf("block peer %s: %w", id, err)
	}
	return nil
}

// UnblockPeer lets a blocked peer connect again.
func (a *AdminAPI) UnblockPeer(id string) error {
	if err := a.n.net.Unblock(p2p.PeerID(id)); err != nil {
		return fmt.Errorf("unblock peer %s: %w", id, err)
	}
	return nil
}

// Isolate blocks every connected peer and returns how many it blocked.
func (a *AdminAPI) Isolate() (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	count := 0
	for _, p := range a.n.net.Peers() {
		if err := a.n.net.Block(p.ID); err != nil {
			return count, fmt.Errorf("isolate: block %s: %w", p.ID, err)
		}
		a.isolated[p.ID] = true
		count++
	}
	return count, nil
}

// Rejoin unblocks every peer Isolate blocked.
func (a *AdminAPI) Rejoin() (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	count := 0
	for id := range a.isolated {
		if err := a.n.net.Unblock(id); err != nil {
			return count, fmt.Errorf("rejoin: unblock %s: %w", id, err)
		}
		delete(a.isolated, id)
		count++
	}
	return count, nil
}
