package libp2p

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/p2ptest"
)

func peerInfo(n p2p.Network, id p2p.PeerID) (p2p.PeerInfo, bool) {
	for _, p := range n.Peers() {
		if p.ID == id {
			return p, true
		}
	}
	return p2p.PeerInfo{}, false
}

// TestScoringGraylistsAPeerThatSendsInvalidMessages is issue 16's seventh
// attack: gossipsub peer scoring was off, so a peer whose messages were
// rejected stayed a full member of the mesh until the reject counter
// banned it, and everything else it sent went on being validated and
// delivered. With scoring on, three rejected messages put the peer below
// the graylist threshold: the victim ignores all it sends, while an honest
// peer's messages still arrive.
func TestScoringGraylistsAPeerThatSendsInvalidMessages(t *testing.T) {
	hosts := cluster(t, 3, true, func(c *Config) { c.RejectThreshold = 100 })
	p2ptest.WaitMesh(t, networks(hosts))
	victim, honest, attacker := hosts[0], hosts[1], hosts[2]
	// The attacker talks to the victim alone, so no honest peer relays it.
	if err := attacker.Block(honest.ID()); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, "the attacker to be linked to the victim only", func() bool {
		return len(attacker.Peers()) == 1 && !p2ptest.HasPeer(honest, attacker.ID())
	})
	const name = "/bilayer/0/score-test/1"
	topics := make([]p2p.Topic, len(hosts))
	var col *p2ptest.Collector
	for i, h := range hosts {
		var v p2p.Validator
		if i == 0 {
			v = func(_ p2p.PeerID, d []byte) p2p.Verdict {
				if bytes.HasPrefix(d, []byte("bad")) {
					return p2p.Reject
				}
				return p2p.Accept
			}
		}
		tp, err := h.Join(name, 1<<10, v)
		if err != nil {
			t.Fatal(err)
		}
		topics[i] = tp
		if i == 0 {
			sub, err := tp.Subscribe()
			if err != nil {
				t.Fatal(err)
			}
			col = p2ptest.Collect(t, sub)
		}
	}
	p2ptest.WaitTopicPeers(t, topics[0], 2)
	p2ptest.WaitTopicPeers(t, topics[2], 1)
	ctx := context.Background()
	for k := range 3 {
		if err := topics[2].Publish(ctx, fmt.Appendf(nil, "bad %d", k)); err != nil {
			t.Fatal(err)
		}
	}
	p2ptest.WaitFor(t, "the victim to score the attacker below the graylist threshold", func() bool {
		p, ok := peerInfo(victim, attacker.ID())
		return ok && p.Score < graylistThreshold
	})
	round := 0
	p2ptest.WaitFor(t, "the honest peer's messages to arrive", func() bool {
		round++
		for i, who := range map[int]string{1: "honest", 2: "attacker"} {
			if err := topics[i].Publish(ctx, fmt.Appendf(nil, "%s good %d", who, round)); err != nil {
				t.Fatal(err)
			}
		}
		return col.Any(func(m p2p.Message) bool { return bytes.HasPrefix(m.Data, []byte("honest good")) && round >= 3 })
	})
	if col.Any(func(m p2p.Message) bool { return bytes.HasPrefix(m.Data, []byte("attacker")) }) {
		t.Error("the victim delivered a message from the graylisted attacker")
	}
	if p, ok := peerInfo(victim, honest.ID()); !ok || p.Score < 0 {
		t.Errorf("the honest peer's score is %v", p.Score)
	}
}

// TestPenalizeScoresDownAndBans: a penalty (a sync peer caught lying)
// counts like a rejected message: it lowers the peer's score, and enough of
// them ban it.
func TestPenalizeScoresDownAndBans(t *testing.T) {
	const threshold = 3
	hosts := cluster(t, 2, true, func(c *Config) { c.RejectThreshold = threshold })
	p2ptest.WaitMesh(t, networks(hosts))
	judge, liar := hosts[0], hosts[1]
	if err := judge.Penalize(liar.ID()); err != nil {
		t.Fatal(err)
	}
	p2ptest.WaitFor(t, "the penalised peer's score to fall below zero", func() bool {
		p, ok := peerInfo(judge, liar.ID())
		return ok && p.Rejects == 1 && p.Score < 0
	})
	for range threshold - 1 {
		if err := judge.Penalize(liar.ID()); err != nil {
			t.Fatal(err)
		}
	}
	p2ptest.WaitFor(t, "the penalised peer to be banned", func() bool { return !p2ptest.HasPeer(judge, liar.ID()) })
	if err := judge.Penalize("not a peer id"); err == nil {
		t.Error("a malformed peer id was penalised")
	}
}
