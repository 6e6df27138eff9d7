package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bilayer/bilayer/node/keyfile"
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

// SyncStatus returns the sequencer's rollup_syncStatus.
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
