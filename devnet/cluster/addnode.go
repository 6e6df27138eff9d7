package cluster

import (
	"crypto/ecdsa"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/bilayer/bilayer/core/genesis"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// NodeOptions configure one node added with AddNodeWith.
type NodeOptions struct {
	// Full makes a non-validator node (no validator key).
	Full bool
	// Key is the validator key; nil generates a new one (which is not in
	// the genesis validator set, so the node follows without voting).
	// Ignored for a full node.
	Key *ecdsa.PrivateKey
	// Genesis, if set, replaces the cluster's genesis for this node: a
	// node of another network that is bootnoded to this one.
	Genesis *genesis.Genesis
	// ExtraArgs become the node's Node.ExtraArgs before its first Start
	// (for example "--bootnodes" with a test peer's address: a repeated
	// flag adds to the cluster's list).
	ExtraArgs []string
}

// AddNode initialises and starts one more node with the cluster's genesis,
// bootnoded to every other node: a full node (full) or a validator with a
// new key that is not in the genesis set.
func (c *Cluster) AddNode(full bool) (*Node, error) {
	return c.AddNodeWith(NodeOptions{Full: full})
}

// AddNodeWith initialises and starts one more node as opts say.
func (c *Cluster) AddNodeWith(opts NodeOptions) (*Node, error) {
	n, err := c.initNode(opts)
	if err != nil {
		return nil, err
	}
	if err := n.Start(); err != nil {
		return nil, err
	}
	return n, nil
}

// initNode creates a node's data directory with "validator init", learns
// its peer id, picks its ports and adds it to the cluster (not started).
func (c *Cluster) initNode(opts NodeOptions) (*Node, error) {
	c.mu.Lock()
	index := len(c.nodes)
	ports, err := c.ports.pickNodePorts()
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("validator-%d", index)
	if opts.Full {
		name = fmt.Sprintf("full-%d", index)
	} else if opts.Key == nil && index < len(c.Keys) {
		opts.Key = c.Keys[index] // a genesis validator, started by New
	}
	n := &Node{Index: index, Name: name, Dir: filepath.Join(c.dir, name), LogPath: filepath.Join(c.dir, name+".log"),
		c: c, bin: c.bin, admin: c.opts.Admin, ports: ports, ExtraArgs: opts.ExtraArgs}
	genesisPath := c.GenesisPath
	if opts.Genesis != nil {
		genesisPath = filepath.Join(c.dir, name+"-genesis.json")
		if err := opts.Genesis.Save(genesisPath); err != nil {
			return nil, fmt.Errorf("%s: write genesis: %w", name, err)
		}
	}
	args := []string{"init", "--datadir", n.Dir, "--genesis", genesisPath, "--password-file", c.passwordFile, "--lightkdf"}
	if opts.Full {
		args = append(args, "--full")
	} else {
		if opts.Key == nil {
			if opts.Key, err = crypto.GenerateKey(); err != nil {
				return nil, fmt.Errorf("%s: generate validator key: %w", name, err)
			}
		}
		keyPath := filepath.Join(c.dir, name+".key")
		if err := os.WriteFile(keyPath, []byte(common.Bytes2Hex(crypto.FromECDSA(opts.Key))), 0o600); err != nil {
			return nil, fmt.Errorf("%s: write validator key: %w", name, err)
		}
		args = append(args, "--import-key", keyPath)
		n.Validator = crypto.PubkeyToAddress(opts.Key.PublicKey)
	}
	if _, err := c.runTool(args...); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out, err := c.runTool("peer-id", "--datadir", n.Dir, "--password-file", c.passwordFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if n.PeerID = strings.TrimSpace(out); n.PeerID == "" {
		return nil, fmt.Errorf("%s: validator peer-id printed nothing", name)
	}
	c.mu.Lock()
	c.nodes = append(c.nodes, n)
	c.mu.Unlock()
	return n, nil
}

// runTool runs a short validator subcommand and returns its stdout.
func (c *Cluster) runTool(args ...string) (string, error) {
	return runBinary(c.bin, args...)
}
