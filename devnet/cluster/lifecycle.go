package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kill sends SIGKILL to the node's process group and waits for it to die:
// a crash at an arbitrary instant.
func (n *Node) Kill() error {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p == nil || p.exited() {
		return fmt.Errorf("%s: kill: %w", n.Name, ErrNotRunning)
	}
	p.kill()
	return nil
}

// Stop sends SIGINT and waits for the node to shut down cleanly (killing
// it if it takes longer than 20 s, and saying so).
func (n *Node) Stop() error {
	n.mu.Lock()
	p := n.proc
	n.mu.Unlock()
	if p == nil || p.exited() {
		return fmt.Errorf("%s: stop: %w", n.Name, ErrNotRunning)
	}
	if err := p.stop(stopTimeout); err != nil {
		return fmt.Errorf("%s: stop: %w", n.Name, err)
	}
	return nil
}

// Restart stops the node (SIGINT) if it runs and starts it again with the
// same data directory and ports.
func (n *Node) Restart() error {
	if n.Running() {
		if err := n.Stop(); err != nil {
			return err
		}
	}
	return n.Start()
}

// Start starts the node's process and waits until its RPC and metrics
// servers answer. It keeps the node's ports; only if one of them has been
// taken by another process does it move the node to new ones and try again
// (so fetch Client again after a Start rather than keeping an old one).
func (n *Node) Start() error {
	const attempts = 4
	var err error
	for range attempts {
		if err = n.startOnce(); !errors.Is(err, errAddrInUse) {
			return err
		}
		if err := n.c.repickPorts(n); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s: start: gave up after %d attempts: %w", n.Name, attempts, err)
}

// startOnce starts the process once and waits for its RPC server.
func (n *Node) startOnce() error {
	// Before n.mu: these lock the other nodes.
	var bootnodes []string
	var l1URL string
	switch n.kind {
	case kindSequencer:
		l1URL = n.c.Node(0).RPCURL()
	case kindChallenger:
		l1URL = n.c.ChallengerL1Node().RPCURL()
	default:
		bootnodes = n.c.bootnodes(n)
	}
	n.mu.Lock()
	if n.proc != nil && !n.proc.exited() {
		n.mu.Unlock()
		return fmt.Errorf("%s: start: %w", n.Name, ErrRunning)
	}
	var args []string
	switch n.kind {
	case kindSequencer:
		args = n.sequencerArgsLocked(l1URL)
	case kindChallenger:
		args = n.challengerArgsLocked(l1URL)
	default:
		args = n.runArgsLocked(bootnodes)
	}
	p, err := startProcess(n.bin, args, n.LogPath)
	if err != nil {
		n.mu.Unlock()
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	n.proc = p
	n.mu.Unlock()

	return n.waitReady(p, n.c.opts.StartTimeout)
}

// runArgsLocked returns the arguments of "validator run" for this node.
func (n *Node) runArgsLocked(bootnodes []string) []string {
	args := []string{"run", "--datadir", n.Dir, "--password-file", n.c.passwordFile,
		"--p2p.listen", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", n.ports.P2P),
		"--rpc.addr", "127.0.0.1:" + strconv.Itoa(n.ports.RPC),
		"--metrics.addr", "127.0.0.1:" + strconv.Itoa(n.ports.Metrics),
		"--log.level", n.c.opts.LogLevel}
	if len(bootnodes) > 0 {
		args = append(args, "--bootnodes", strings.Join(bootnodes, ","))
	}
	if n.admin {
		args = append(args, "--admin")
	}
	return append(args, n.ExtraArgs...)
}

// waitReady waits until the node answers eth_chainId and serves its
// metrics (the last thing "validator run" starts; "sequencer run" and
// "challenger run" answer RPC only once they reached the L1 and opened
// their chain), or its process exits, or timeout passes.
func (n *Node) waitReady(p *process, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		err := n.ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			tail := n.LogTail(30)
			if strings.Contains(tail, "address already in use") {
				return fmt.Errorf("%s: %w: %v", n.Name, errAddrInUse, p.err)
			}
			return fmt.Errorf("%s: %w (%v):\n%s", n.Name, ErrExited, p.err, tail)
		case <-ctx.Done():
			p.kill()
			return fmt.Errorf("%s: not ready within %s: %w\n%s", n.Name, timeout, err, n.LogTail(30))
		case <-ticker.C:
		}
	}
}

// ready checks once that the RPC and metrics servers answer.
func (n *Node) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := n.Client().ChainID(ctx); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, n.MetricsURL(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("metrics answered %s", resp.Status)
	}
	return nil
}
