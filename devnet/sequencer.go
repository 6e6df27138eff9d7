package devnet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/bilayer/bilayer/core/genesis"
)

// ErrNoSequencer is returned for a devnet generated before the rollup
// existed: its devnet.json names no sequencer.
var ErrNoSequencer = errors.New("this devnet has no sequencer")

// sequencerInitMarker is the file "sequencer init" writes last in the
// sequencer's data directory (its key); while it is missing, init runs.
var sequencerInitMarker = filepath.Join("keystore", "sequencer.json")

// SequencerInitArgs returns the arguments of "sequencer init" for the
// devnet in l: its data directory, the devnet genesis, the devnet's
// password file and the sequencer key Generate wrote, with the light KDF.
func SequencerInitArgs(l Layout) []string {
	return []string{"init",
		"--datadir", l.SequencerDir(),
		"--genesis", l.GenesisFile(),
		"--password-file", l.PasswordFile(),
		"--key", l.SequencerKeyFile(),
		"--lightkdf",
	}
}

// SequencerRunArgs returns the arguments of "sequencer run" for the devnet
// cfg in l. It follows validator 0's RPC. In ModeLocal it listens on
// 127.0.0.1 at its shifted ports (SequencerPorts); in ModeDocker on
// 0.0.0.0 at the base ports, with validator-0 addressed by host name.
func SequencerRunArgs(l Layout, cfg Config) ([]string, error) {
	if cfg.Sequencer == nil {
		return nil, fmt.Errorf("%w (generated before the rollup): run \"devnet reset\" to make one that has", ErrNoSequencer)
	}
	var host, l1 string
	var p Ports
	switch cfg.Mode {
	case ModeLocal, "":
		host, p = "127.0.0.1", SequencerPorts(cfg.PortOffset)
		l1 = fmt.Sprintf("http://127.0.0.1:%d", PortsFor(0, cfg.PortOffset).RPC)
	case ModeDocker:
		host, p = "0.0.0.0", SequencerPorts(0)
		l1 = fmt.Sprintf("http://%s:%d", NodeName(0), BaseRPCPort)
	default:
		return nil, fmt.Errorf("devnet mode %q: want %s or %s", cfg.Mode, ModeLocal, ModeDocker)
	}
	return []string{"run",
		"--datadir", l.SequencerDir(),
		"--password-file", l.PasswordFile(),
		"--l1.rpc", l1,
		"--rpc.addr", fmt.Sprintf("%s:%d", host, p.RPC),
		"--metrics.addr", fmt.Sprintf("%s:%d", host, p.Metrics),
	}, nil
}

// SequencerInitialised reports whether "sequencer init" has completed in
// l's sequencer data directory.
func SequencerInitialised(l Layout) bool {
	_, err := os.Stat(filepath.Join(l.SequencerDir(), sequencerInitMarker))
	return err == nil
}

// InitSequencer runs "sequencer init" (SequencerInitArgs) with bin unless
// it has completed before, copying its output to out (nil discards it).
// It reports whether it ran.
func InitSequencer(ctx context.Context, l Layout, cfg Config, bin string, out io.Writer) (bool, error) {
	if cfg.Sequencer == nil {
		return false, fmt.Errorf("%w (generated before the rollup): run \"devnet reset\" to make one that has", ErrNoSequencer)
	}
	if SequencerInitialised(l) {
		return false, nil
	}
	if _, err := runTool(ctx, bin, out, SequencerInitArgs(l)...); err != nil {
		return false, fmt.Errorf("init the sequencer: %w", err)
	}
	return true, nil
}

// GenesisL2ChainID returns the L2 chain id of the devnet genesis in l (0 when the
// genesis has no rollup section).
func GenesisL2ChainID(l Layout) (uint64, error) {
	g, err := genesis.Load(l.GenesisFile())
	if err != nil {
		return 0, fmt.Errorf("read the devnet genesis: %w", err)
	}
	if g.Rollup == nil {
		return 0, nil
	}
	return g.Rollup.L2ChainID, nil
}

// SequencerEndpoint returns the endpoint of the local devnet's sequencer.
func SequencerEndpoint(l Layout, cfg Config) Endpoint {
	p := SequencerPorts(cfg.PortOffset)
	e := Endpoint{
		Name:    SequencerName,
		Role:    RoleSequencer,
		RPC:     fmt.Sprintf("http://127.0.0.1:%d", p.RPC),
		WS:      fmt.Sprintf("ws://127.0.0.1:%d", p.RPC),
		Metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Metrics),
		Log:     l.LogFile(SequencerName),
		Datadir: l.SequencerDir(),
		L1RPC:   fmt.Sprintf("http://127.0.0.1:%d", PortsFor(0, cfg.PortOffset).RPC),
	}
	if cfg.Sequencer != nil {
		e.Address = cfg.Sequencer.Address
	}
	return e
}
