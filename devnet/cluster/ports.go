package cluster

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/bilayer/bilayer/devnet"
)

// FreePort returns a TCP port on 127.0.0.1 that nothing listens on at the
// time of the call. It listens on port 0, takes the port the kernel chose
// and closes the listener, so another process may take the port before the
// caller binds it: callers retry with a new port when binding fails.
//
// The kernel chooses from its ephemeral range, which outgoing connections
// also draw their source ports from; the cluster itself picks below that
// range (see portSet) and uses FreePort only where there is no room there.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free loopback port: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("pick a free loopback port: close listener: %w", err)
	}
	return port, nil
}

// lowestPort is the lowest port a cluster picks: above the well-known ports
// and the usual fixed service ports.
const lowestPort = 10_000

// portSet hands out free loopback ports, never the same one twice.
//
// A node keeps its ports across restarts, and while it is down any free
// port in the kernel's ephemeral range may become the source port of some
// outgoing connection (a libp2p dial, an RPC poll) and stay taken for that
// connection's life. So the set picks at random, each pick checked by
// binding it, from the ports just below the ephemeral range, which only
// listeners use; without such room it falls back to FreePort.
type portSet struct {
	used   map[int]bool
	rng    *rand.Rand
	lo, hi int // candidate range [lo, hi]; hi < lo means use FreePort
}

// newPortSet returns a port set whose random choices are seeded by seed.
func newPortSet(seed uint64) *portSet {
	s := &portSet{used: map[int]bool{}, rng: rand.New(rand.NewPCG(seed, uint64(os.Getpid())))}
	s.lo, s.hi = candidateRange()
	return s
}

// candidateRange returns the ports below the kernel's ephemeral range.
func candidateRange() (lo, hi int) {
	first, ok := devnet.EphemeralPortFloor()
	if !ok {
		return 1, 0
	}
	return lowestPort, first - 1
}

// pick returns a free port this set has not handed out before.
func (s *portSet) pick() (int, error) {
	for range 200 {
		p, err := s.candidate()
		if err != nil {
			return 0, err
		}
		if s.used[p] || !bindable(p) {
			continue
		}
		s.used[p] = true
		return p, nil
	}
	return 0, fmt.Errorf("pick a free loopback port: 200 candidates were taken or already handed out")
}

// candidate proposes a port: random below the ephemeral range, or one the
// kernel chooses.
func (s *portSet) candidate() (int, error) {
	if s.hi-s.lo < 1000 {
		return FreePort()
	}
	return s.lo + s.rng.IntN(s.hi-s.lo+1), nil
}

// bindable reports whether a listener can bind 127.0.0.1:port now.
func bindable(port int) bool {
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// nodePorts are the loopback ports of one node.
type nodePorts struct {
	P2P, RPC, Metrics int
}

// pickNodePorts returns a fresh set of ports for one node.
func (s *portSet) pickNodePorts() (nodePorts, error) {
	var p nodePorts
	var err error
	for _, dst := range []*int{&p.P2P, &p.RPC, &p.Metrics} {
		if *dst, err = s.pick(); err != nil {
			return nodePorts{}, err
		}
	}
	return p, nil
}

// seedFromClock seeds a cluster's port choices: clusters started by
// parallel test processes should not all try the same ports first.
func seedFromClock() uint64 { return uint64(time.Now().UnixNano()) }
