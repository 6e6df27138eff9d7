package devnet

import (
	"fmt"
	"strings"
)

// dockerHostPrefix starts the multiaddr of a container addressed by name.
const dockerHostPrefix = "/dns4/"

// CacheMiB is the --cache (MiB of trie-node and block cache) a devnet
// validator runs with: small, since a devnet runs several nodes on one
// machine and its state is small (issue 17).
const CacheMiB = 32

// RunArgs returns the arguments of "validator run" for node i of a devnet
// in l: its data directory, the shared password file, its listen addresses
// and every other node as a bootnode. In ModeLocal everything listens on
// 127.0.0.1 at the node's shifted ports; in ModeDocker on 0.0.0.0 at the
// base ports, with peers addressed by container host name.
func RunArgs(l Layout, cfg Config, i int) ([]string, error) {
	if i < 0 || i >= cfg.Validators {
		return nil, fmt.Errorf("no node %d in a %d-validator devnet", i, cfg.Validators)
	}
	var host string
	var p Ports
	switch cfg.Mode {
	case ModeLocal, "":
		host, p = "127.0.0.1", PortsFor(i, cfg.PortOffset)
	case ModeDocker:
		host, p = "0.0.0.0", PortsFor(0, 0)
	default:
		return nil, fmt.Errorf("devnet mode %q: want %s or %s", cfg.Mode, ModeLocal, ModeDocker)
	}
	args := []string{"run",
		"--datadir", l.NodeDir(i),
		"--password-file", l.PasswordFile(),
		"--p2p.listen", fmt.Sprintf("/ip4/%s/tcp/%d", host, p.P2P),
		"--rpc.addr", fmt.Sprintf("%s:%d", host, p.RPC),
		"--metrics.addr", fmt.Sprintf("%s:%d", host, p.Metrics),
		"--cache", fmt.Sprint(CacheMiB),
	}
	if boot := Bootnodes(cfg, i); len(boot) > 0 {
		args = append(args, "--bootnodes", strings.Join(boot, ","))
	}
	if cfg.Mode == ModeDocker {
		// The sequencer and the challenger reach the RPC by container name
		// (http://validator-0:8545): the Host check must let them in. The
		// port is published on the host's loopback only.
		args = append(args, "--rpc.vhosts", "*")
	}
	return args, nil
}

// Bootnodes returns the p2p addresses of every node except node i.
func Bootnodes(cfg Config, i int) []string {
	var out []string
	for j, n := range cfg.Nodes {
		if j == i {
			continue
		}
		if cfg.Mode == ModeDocker {
			out = append(out, fmt.Sprintf("%s%s/tcp/%d/p2p/%s", dockerHostPrefix, n.Name, BaseP2PPort, n.PeerID))
			continue
		}
		out = append(out, fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", PortsFor(j, cfg.PortOffset).P2P, n.PeerID))
	}
	return out
}
