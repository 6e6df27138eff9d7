package p2ptest

import (
	"testing"

	"github.com/bilayer/bilayer/p2p"
)

// Options tune the cluster a Factory builds.
type Options struct {
	// RejectThreshold is the ban threshold every host uses.
	RejectThreshold int
}

// Factory builds n hosts that will all connect to each other (the suite
// waits for it), and closes them at test cleanup.
type Factory func(t *testing.T, n int, opts Options) []p2p.Network

// ClusterSize is the number of hosts of every suite cluster.
const ClusterSize = 4

// Run runs the conformance suite against the implementation built by f.
func Run(t *testing.T, f Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"GossipReachesEveryPeer", testGossipReachesEveryPeer},
		{"OversizeRefusedAndRejected", testOversizeRefusedAndRejected},
		{"JoinedHostRelays", testJoinedHostRelays},
		{"RejectIsNotRelayed", testRejectIsNotRelayed},
		{"RepeatedRejectsBanSender", testRepeatedRejectsBanSender},
		{"CopiesByMessageIDAreDuplicates", testCopiesByMessageIDAreDuplicates},
		{"RequestResponse", testRequestResponse},
		{"HandshakeDropsOtherChain", testHandshakeDropsOtherChain},
		{"BlockIsolatesUnblockReconnects", testBlockIsolatesUnblockReconnects},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, f) })
	}
}

// cluster builds a connected cluster and waits for the full mesh.
func cluster(t *testing.T, f Factory, opts Options) []p2p.Network {
	t.Helper()
	hosts := f(t, ClusterSize, opts)
	if len(hosts) != ClusterSize {
		t.Fatalf("factory built %d hosts, want %d", len(hosts), ClusterSize)
	}
	WaitMesh(t, hosts)
	return hosts
}

// joinAll joins name on every host with the validator v(i) and returns the
// topics and a collector per host.
func joinAll(t *testing.T, hosts []p2p.Network, name string, limit func(i int) int, v func(i int) p2p.Validator) ([]p2p.Topic, []*Collector) {
	t.Helper()
	topics := make([]p2p.Topic, len(hosts))
	cols := make([]*Collector, len(hosts))
	for i, h := range hosts {
		tp, err := h.Join(name, limit(i), v(i))
		if err != nil {
			t.Fatalf("host %d join %s: %v", i, name, err)
		}
		sub, err := tp.Subscribe()
		if err != nil {
			t.Fatalf("host %d subscribe %s: %v", i, name, err)
		}
		topics[i] = tp
		cols[i] = Collect(t, sub)
	}
	return topics, cols
}

func acceptAll(int) p2p.Validator {
	return func(p2p.PeerID, []byte) p2p.Verdict { return p2p.Accept }
}

func fixedLimit(n int) func(int) int { return func(int) int { return n } }
