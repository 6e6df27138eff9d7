package devnet

import (
	"fmt"
	"os"
)

// ChallengerL1Node is the validator whose RPC the challenger follows:
// validator 1 when there is one, so that the challenger reads the L1
// through another node than the sequencer's (validator 0).
func ChallengerL1Node(cfg Config) int {
	if cfg.Validators > 1 {
		return 1
	}
	return 0
}

// ChallengerRunArgs returns the arguments of "challenger run" for the
// devnet cfg in l: its data directory, the devnet genesis (no "challenger
// init" is needed) and the RPC of validator ChallengerL1Node, never the
// sequencer. In ModeLocal it listens on 127.0.0.1 at its shifted ports
// (ChallengerPorts); in ModeDocker on 0.0.0.0 at the base ports, with the
// validator addressed by host name.
func ChallengerRunArgs(l Layout, cfg Config) ([]string, error) {
	if cfg.Sequencer == nil {
		return nil, fmt.Errorf("%w (generated before the rollup), so no L2 to verify: run \"devnet reset\" to make one that has", ErrNoSequencer)
	}
	host, p, l1, err := challengerAddrs(cfg)
	if err != nil {
		return nil, err
	}
	args := []string{"run",
		"--datadir", l.ChallengerDir(),
		"--genesis", l.GenesisFile(),
		"--l1.rpc", l1,
		"--rpc.addr", fmt.Sprintf("%s:%d", host, p.RPC),
		"--metrics.addr", fmt.Sprintf("%s:%d", host, p.Metrics),
	}
	// The proving role, when the devnet has the challenger's key (devnets
	// generated before it only verify), and the fallback proposer: if the
	// sequencer is stopped for the sequencer timeout, the challenger posts
	// the deposit-only blocks, so forced withdrawals still pay out.
	if _, err := os.Stat(l.ChallengerKeyFile()); err == nil {
		args = append(args, "--key", l.ChallengerKeyFile(), "--password-file", l.PasswordFile(), "--fallback-proposer")
	}
	return args, nil
}

// challengerAddrs returns the challenger's listen host and ports and the
// URL of the L1 node it follows, for cfg's mode.
func challengerAddrs(cfg Config) (host string, p Ports, l1 string, err error) {
	v := ChallengerL1Node(cfg)
	switch cfg.Mode {
	case ModeLocal, "":
		return "127.0.0.1", ChallengerPorts(cfg.PortOffset), fmt.Sprintf("http://127.0.0.1:%d", PortsFor(v, cfg.PortOffset).RPC), nil
	case ModeDocker:
		return "0.0.0.0", ChallengerPorts(0), fmt.Sprintf("http://%s:%d", NodeName(v), BaseRPCPort), nil
	}
	return "", Ports{}, "", fmt.Errorf("devnet mode %q: want %s or %s", cfg.Mode, ModeLocal, ModeDocker)
}

// ChallengerEndpoint returns the endpoint of the local devnet's challenger.
func ChallengerEndpoint(l Layout, cfg Config) Endpoint {
	p := ChallengerPorts(cfg.PortOffset)
	return Endpoint{
		Name:    ChallengerName,
		Role:    RoleChallenger,
		RPC:     fmt.Sprintf("http://127.0.0.1:%d", p.RPC),
		WS:      fmt.Sprintf("ws://127.0.0.1:%d", p.RPC),
		Metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", p.Metrics),
		Log:     l.LogFile(ChallengerName),
		Datadir: l.ChallengerDir(),
		L1RPC:   fmt.Sprintf("http://127.0.0.1:%d", PortsFor(ChallengerL1Node(cfg), cfg.PortOffset).RPC),
	}
}
