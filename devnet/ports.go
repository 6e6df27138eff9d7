package devnet

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// Base ports of validator 0; validator i uses base+i, plus the port offset.
const (
	BaseRPCPort     = 8545
	BaseP2PPort     = 30303
	BaseMetricsPort = 6060
)

// MaxValidators bounds --validators so that the port ranges of one devnet
// never overlap (8545+i stays below 9545, the L2 RPC port).
const MaxValidators = 64

// ErrPortInUse is returned by CheckPortsFree when a port is taken.
var ErrPortInUse = errors.New("port in use")

// Ports are the TCP ports of one node.
type Ports struct {
	RPC     int `json:"rpc"`
	P2P     int `json:"p2p"`
	Metrics int `json:"metrics"`
}

// PortsFor returns validator i's ports shifted by offset.
func PortsFor(i, offset int) Ports {
	return Ports{RPC: BaseRPCPort + offset + i, P2P: BaseP2PPort + offset + i, Metrics: BaseMetricsPort + offset + i}
}

// List returns the ports in a fixed order: RPC, p2p, metrics.
func (p Ports) List() []int { return []int{p.RPC, p.P2P, p.Metrics} }

// ValidateOffset checks that validators nodes shifted by offset stay within
// the TCP port range.
func ValidateOffset(validators, offset int) error {
	if validators < 1 || validators > MaxValidators {
		return fmt.Errorf("--validators %d: use 1 to %d", validators, MaxValidators)
	}
	if offset < 0 || BaseP2PPort+offset+validators-1 > 65535 {
		return fmt.Errorf("--port-offset %d: use 0 to %d", offset, 65535-BaseP2PPort-validators+1)
	}
	return nil
}

// CheckPortsFree checks that every port of validators nodes at offset can be
// bound on 127.0.0.1. The error names the first port taken and says how to
// choose another offset.
func CheckPortsFree(validators, offset int) error {
	for i := range validators {
		for _, p := range PortsFor(i, offset).List() {
			ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				return fmt.Errorf("%w: 127.0.0.1:%d (needed by %s) is taken, perhaps by another devnet; "+
					"start this one with another --port-offset, e.g. --port-offset %d", ErrPortInUse, p, NodeName(i), offset+100)
			}
			ln.Close()
		}
	}
	return nil
}
