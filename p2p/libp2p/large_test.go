package libp2p

import (
	"bytes"
	"context"
	"testing"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/p2ptest"
)

// TestDevnetSizedMessages: with the default MaxMessageSize, a whole devnet
// block fits both a consensus-topic message and a request/response answer:
// the resource manager, yamux and gossipsub framing all let it through.
func TestDevnetSizedMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 2 x 16 MiB over loopback")
	}
	hosts := cluster(t, 2, true, func(c *Config) { c.MaxMessageSize = 0 })
	p2ptest.WaitMesh(t, networks(hosts))
	limit := p2p.ConsensusTopicMaxSize(p2p.DevnetMaxBlockSize)
	block := bytes.Repeat([]byte{0xab}, p2p.DevnetMaxBlockSize)

	proto := p2p.BlockRangeProtocol(1337, limit)
	if err := hosts[1].Handle(proto, func(context.Context, p2p.PeerID, []byte) ([]byte, error) { return block, nil }); err != nil {
		t.Fatal(err)
	}
	resp, err := hosts[0].Request(context.Background(), hosts[1].ID(), proto, []byte{1})
	if err != nil || !bytes.Equal(resp, block) {
		t.Fatalf("16 MiB response: %d bytes, %v", len(resp), err)
	}

	send, err := hosts[0].Join(p2p.ConsensusTopic(1337), limit, nil)
	if err != nil {
		t.Fatal(err)
	}
	recv, err := hosts[1].Join(p2p.ConsensusTopic(1337), limit, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := recv.Subscribe()
	if err != nil {
		t.Fatal(err)
	}
	col := p2ptest.Collect(t, sub)
	p2ptest.WaitTopicPeers(t, send, 1)
	if err := send.Publish(context.Background(), block); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, "the 16 MiB gossip message", func() bool { return col.Has(block) })
}
