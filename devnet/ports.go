package devnet

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// Base ports of validator 0; validator i uses base+i, plus the port offset.
const (
	BaseRPCPort     = 8545
	BaseP2PPort     = 30303
	BaseMetricsPort = 6060
)

// Base ports of the sequencer: the L2 RPC on 9545 (DESIGN section 12) and
// metrics on 7060, a thousand above the validators' 6060+i as its RPC port
// is a thousand above theirs. Both are shifted by the port offset.
const (
	BaseL2RPCPort            = 9545
	BaseSequencerMetricsPort = 7060
)

// Base ports of the challenger: its read-only L2 RPC on 9546 (DESIGN
// section 12) and metrics on 7061, beside the sequencer's. Both are
// shifted by the port offset.
const (
	BaseChallengerRPCPort     = 9546
	BaseChallengerMetricsPort = 7061
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

// SequencerPorts returns the sequencer's ports shifted by offset: its L2
// RPC and metrics (P2P is 0: the sequencer has no p2p listener).
func SequencerPorts(offset int) Ports {
	return Ports{RPC: BaseL2RPCPort + offset, Metrics: BaseSequencerMetricsPort + offset}
}

// ChallengerPorts returns the challenger's ports shifted by offset: its
// L2 RPC and metrics (it has no p2p listener either).
func ChallengerPorts(offset int) Ports {
	return Ports{RPC: BaseChallengerRPCPort + offset, Metrics: BaseChallengerMetricsPort + offset}
}

// List returns the ports in a fixed order: RPC, p2p, metrics, without a
// p2p port of 0 (the sequencer's and the challenger's).
func (p Ports) List() []int {
	if p.P2P == 0 {
		return []int{p.RPC, p.Metrics}
	}
	return []int{p.RPC, p.P2P, p.Metrics}
}

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
		if err := checkFree(PortsFor(i, offset), NodeName(i), offset); err != nil {
			return err
		}
	}
	return nil
}

// CheckSequencerPortsFree is CheckPortsFree for the sequencer's ports.
func CheckSequencerPortsFree(offset int) error {
	return checkFree(SequencerPorts(offset), SequencerName, offset)
}

// CheckChallengerPortsFree is CheckPortsFree for the challenger's ports.
func CheckChallengerPortsFree(offset int) error {
	return checkFree(ChallengerPorts(offset), ChallengerName, offset)
}

// checkFree checks that every port of p can be bound on 127.0.0.1.
func checkFree(p Ports, name string, offset int) error {
	for _, port := range p.List() {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			return fmt.Errorf("%w: 127.0.0.1:%d (needed by %s) is taken, perhaps by another devnet; "+
				"start this one with another --port-offset, e.g. --port-offset %d", ErrPortInUse, port, name, offset+100)
		}
		ln.Close()
	}
	return nil
}

// ephemeralRangeFile holds the kernel's range of source ports for outgoing
// connections (Linux).
const ephemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range"

// defaultEphemeralFloor is the first ephemeral port assumed where the
// kernel's range cannot be read: Linux's default (other systems start
// higher, at 49152).
const defaultEphemeralFloor = 32768

// EphemeralPortFloor returns the first port of the kernel's range of
// source ports for outgoing connections, and whether it could be read
// (Linux's /proc; false elsewhere). A listener on a port below it cannot
// lose the port to an outgoing connection.
func EphemeralPortFloor() (int, bool) {
	data, err := os.ReadFile(ephemeralRangeFile)
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(string(data))
	if len(fields) != 2 {
		return 0, false
	}
	first, err := strconv.Atoi(fields[0])
	if err != nil || first <= 0 {
		return 0, false
	}
	return first, true
}

// ephemeralFloor is EphemeralPortFloor, or defaultEphemeralFloor where the
// range cannot be read.
func ephemeralFloor() int {
	if first, ok := EphemeralPortFloor(); ok {
		return first
	}
	return defaultEphemeralFloor
}

// FreeOffset returns a port offset at which every port of a devnet of
// validators validators, its sequencer and its challenger is free on
// 127.0.0.1 now: the first such offset from first up by step whose ports
// all lie below the kernel's ephemeral range, else the first from
// fallback up by step. A port in the ephemeral range may be free when
// probed and taken an instant later as the source port of an outgoing
// connection (a load generator's, a metrics poll's), and the node that
// then fails to bind it fails the run: a bench's validator-3 did, on
// 127.0.0.1:50306 at offset 20000 (issue 17, session 35). Benchmarks and
// tools that pick their own offset use this; an offset is checked when
// chosen, not reserved. Offsets from 1,002 to 1,483 and from 1,545 up keep
// clear of every port of a default devnet (offset 0) of up to 60
// validators, which `make devnet` may start later.
func FreeOffset(validators, first, fallback, step int) (int, error) {
	if step <= 0 {
		return 0, fmt.Errorf("port offset step %d: want at least 1", step)
	}
	free := func(offset int) bool {
		return ValidateOffset(validators, offset) == nil && CheckPortsFree(validators, offset) == nil &&
			CheckSequencerPortsFree(offset) == nil && CheckChallengerPortsFree(offset) == nil
	}
	below := ephemeralFloor() - (BaseP2PPort + validators - 1) // the highest port is the last validator's p2p
	for offset := max(first, 0); offset < below; offset += step {
		if free(offset) {
			return offset, nil
		}
	}
	for offset := max(fallback, 0); BaseP2PPort+offset+validators-1 <= 65535; offset += step {
		if free(offset) {
			return offset, nil
		}
	}
	return 0, fmt.Errorf("%w: no port offset from %d or %d (step %d) has every port of %d validators, a sequencer and a challenger free",
		ErrPortInUse, first, fallback, step, validators)
}
