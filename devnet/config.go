package devnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
)

// ErrNotGenerated is returned when a data directory holds no devnet yet.
var ErrNotGenerated = errors.New("no devnet in this data directory")

// Mode says where the nodes of a devnet run.
type Mode string

// Modes of a devnet.
const (
	// ModeLocal runs every node as a local process on 127.0.0.1 ports.
	ModeLocal Mode = "local"
	// ModeDocker runs every node in its own container, reachable by its
	// host name on a private network.
	ModeDocker Mode = "docker"
)

// Config is what a devnet data directory was generated with; it is saved
// as devnet.json so that later runs resume the same network.
type Config struct {
	// Validators is the number of validators.
	Validators int `json:"validators"`
	// PortOffset shifts every local port (ModeLocal only).
	PortOffset int `json:"portOffset"`
	// Mode is where the nodes run.
	Mode Mode `json:"mode"`
	// ChainID is the L1 chain id of the genesis.
	ChainID uint64 `json:"chainId"`
	// Nodes holds each validator's identity, in index order.
	Nodes []NodeIdentity `json:"nodes"`
	// Sequencer is the rollup sequencer's identity (absent in a devnet
	// generated before the rollup existed).
	Sequencer *SequencerIdentity `json:"sequencer,omitempty"`
}

// SequencerIdentity is what the sequencer process and users need to know
// about the devnet's sequencer.
type SequencerIdentity struct {
	// Address is the sequencer's address (the genesis rollup.sequencer).
	Address string `json:"address"`
	// Keystore is its key file, relative to the data directory
	// (SequencerKeyPath; Layout.SequencerKeyFile gives the full path).
	Keystore string `json:"keystore"`
}

// NodeIdentity is what other nodes and users need to know about a node.
type NodeIdentity struct {
	// Name is the node's name, validator-<i>.
	Name string `json:"name"`
	// Validator is the node's validator address.
	Validator string `json:"validator"`
	// PeerID is the node's libp2p peer id.
	PeerID string `json:"peerId"`
}

// LoadConfig reads the devnet.json of a data directory; ErrNotGenerated
// when there is none.
func LoadConfig(l Layout) (Config, error) {
	data, err := os.ReadFile(l.ConfigFile())
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%w: %s", ErrNotGenerated, l.Dir)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read devnet config: %w", err)
	}
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return Config{}, fmt.Errorf("parse %s: %w", l.ConfigFile(), err)
	}
	if len(c.Nodes) != c.Validators || c.Validators < 1 {
		return Config{}, fmt.Errorf("%s: %d validators but %d node identities; run \"devnet reset\"",
			l.ConfigFile(), c.Validators, len(c.Nodes))
	}
	return c, nil
}

// SaveConfig writes devnet.json.
func SaveConfig(l Layout, c Config) error {
	return writeJSON(l.ConfigFile(), c, 0o644)
}

// writeJSON writes v as indented JSON to path atomically (temp file, rename).
func writeJSON(path string, v any, perm os.FileMode) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
