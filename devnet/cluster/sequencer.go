package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bilayer/bilayer/keyfile"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

// sequencerName is the sequencer's Name, data directory and log file stem.
const sequencerName = "sequencer"

// Sequencer returns the cluster's L2 sequencer, or nil if Options.Sequencer
// was not set. It is a Node: Client and RPC reach its L2 JSON-RPC (chain id
// 1338 on the devnet genesis), Kill, Stop, Start and Restart fault it
// (same data directory and ports), and its log is printed when the test
// fails. It follows validator 0's RPC, read again at every Start.
func (c *Cluster) Sequencer() *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// startSequencer builds cmd/sequencer, writes the sequencer key as a
// keystore file, runs "sequencer init" and starts "sequencer run".
func (c *Cluster) startSequencer() error {
	bin, err := Binary(sequencerName)
	if err != nil {
		return err
	}
	c.mu.Lock()
	ports, err := c.ports.pickNodePorts()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	n := &Node{Index: -1, Name: sequencerName, Dir: filepath.Join(c.dir, sequencerName),
		LogPath: filepath.Join(c.dir, sequencerName+".log"), ExtraArgs: c.opts.SequencerArgs,
		c: c, bin: bin, kind: kindSequencer, ports: ports}
	keyPath := filepath.Join(c.dir, sequencerName+"-key.json")
	if err := keyfile.Create(keyPath, c.SequencerKey, password, keyfile.Light); err != nil {
		return fmt.Errorf("%s: write key: %w", n.Name, err)
	}
	if _, err := runBinary(bin, "init", "--datadir", n.Dir, "--genesis", c.GenesisPath,
		"--password-file", c.passwordFile, "--key", keyPath, "--lightkdf"); err != nil {
		return fmt.Errorf("%s: %w", n.Name, err)
	}
	c.mu.Lock()
	c.seq = n
	c.mu.Unlock()
	return n.Start()
}

// sequencerArgsLocked returns the arguments of "sequencer run", following
// the L1 node at l1URL.
func (n *Node) sequencerArgsLocked(l1URL string) []string {
	args := []string{"run", "--datadir", n.Dir, "--password-file", n.c.passwordFile,
		"--l1.rpc", l1URL,
		"--rpc.addr", "127.0.0.1:" + strconv.Itoa(n.ports.RPC),
		"--metrics.addr", "127.0.0.1:" + strconv.Itoa(n.ports.Metrics),
		"--log.level", n.c.opts.LogLevel}
	return append(args, n.ExtraArgs...)
}

// challengerName is the challenger's Name, data directory and log file
// stem.
const challengerName = "challenger"

// Challenger returns the cluster's L2 challenger, or nil if
// Options.Challenger was not set. It is a Node like the sequencer's
// handle: Client and RPC reach its read-only L2 JSON-RPC (the chain it
// derived from the L1), SyncStatus its rollup_syncStatus with the
// verification, Kill, Stop, Start and Restart fault it (same data
// directory and ports), and its log is printed when the test fails. It
// follows the RPC of ChallengerL1Node, read again at every Start, and never
// contacts the sequencer.
func (c *Cluster) Challenger() *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.challenger
}

// ChallengerL1Node returns the L1 node the challenger follows: node 1 (a
// validator, or the first full node of a one-validator cluster) when the
// cluster has one, so that it reads the L1 through another node than the
// sequencer's; else node 0.
func (c *Cluster) ChallengerL1Node() *Node {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.nodes) > 1 {
		return c.nodes[1]
	}
	return c.nodes[0]
}

// StartChallenger starts the challenger of a cluster created with
// Options.Sequencer but without Options.Challenger, as New would have
// (ChallengerArgs, ChallengerKey): for a test that needs L2 traffic before
// the challenger runs. It fails if the challenger was already started.
func (c *Cluster) StartChallenger() (*Node, error) {
	if c.Sequencer() == nil {
		return nil, fmt.Errorf("cluster: a challenger needs Options.Sequencer (the genesis's rollup section)")
	}
	if c.Challenger() != nil {
		return nil, fmt.Errorf("cluster: the challenger was already started")
	}
	if err := c.startChallenger(); err != nil {
		return nil, err
	}
	return c.Challenger(), nil
}

// startChallenger builds cmd/challenger and starts "challenger run" with
// the cluster's genesis (no init is needed), writing Options.ChallengerKey
// as its keystore first if set.
func (c *Cluster) startChallenger() error {
	bin, err := Binary(challengerName)
	if err != nil {
		return err
	}
	c.mu.Lock()
	ports, err := c.ports.pickNodePorts()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	extra := append([]string(nil), c.opts.ChallengerArgs...)
	if c.opts.ChallengerKey != nil {
		keyPath := filepath.Join(c.dir, challengerName+"-key.json")
		if err := keyfile.Create(keyPath, c.opts.ChallengerKey, password, keyfile.Light); err != nil {
			return fmt.Errorf("%s: write key: %w", challengerName, err)
		}
		extra = append(extra, "--key", keyPath, "--password-file", c.passwordFile)
	}
	n := &Node{Index: -1, Name: challengerName, Dir: filepath.Join(c.dir, challengerName),
		LogPath: filepath.Join(c.dir, challengerName+".log"), ExtraArgs: extra,
		c: c, bin: bin, kind: kindChallenger, ports: ports}
	c.mu.Lock()
	c.challenger = n
	c.mu.Unlock()
	return n.Start()
}

// challengerArgsLocked returns the arguments of "challenger run",
// following the L1 node at l1URL.
func (n *Node) challengerArgsLocked(l1URL string) []string {
	args := []string{"run", "--datadir", n.Dir, "--genesis", n.c.GenesisPath,
		"--l1.rpc", l1URL,
		"--rpc.addr", "127.0.0.1:" + strconv.Itoa(n.ports.RPC),
		"--metrics.addr", "127.0.0.1:" + strconv.Itoa(n.ports.Metrics),
		"--log.level", n.c.opts.LogLevel}
	return append(args, n.ExtraArgs...)
}

// runBinary runs a short subcommand of bin and returns its stdout.
func runBinary(bin string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), args[0], err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// SyncStatus returns the rollup_syncStatus of the sequencer or the
// challenger (whose answer also has the Verification).
func (n *Node) SyncStatus(ctx context.Context) (SyncStatus, error) {
	var st SyncStatus
	return st, n.Call(ctx, &st, "rollup_syncStatus")
}

// DepositStatus returns the sequencer's rollup_depositStatus of operation
// index of L1 block l1Block.
func (n *Node) DepositStatus(ctx context.Context, l1Block, index uint64) (DepositStatus, error) {
	var st DepositStatus
	return st, n.Call(ctx, &st, "rollup_depositStatus", hexutil.Uint64(l1Block), hexutil.Uint64(index))
}
