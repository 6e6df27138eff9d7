package node

import (
	"fmt"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestSyncSurvivesALyingPeer is issue 16's second attack: sync always
// asked the peer claiming the highest head, the claim was not checked and
// empty answers were not penalised, so a peer claiming head 2^40 and
// answering every range with nothing kept a fresh node at height 0 while
// the chain moved on. Now the node believes a head only with a verified
// commit, rotates among the peers that are ahead, and scores down a peer
// that does not serve what it claims.
func TestSyncSurvivesALyingPeer(t *testing.T) {
	c := newMemCluster(t, 4)
	for i := range 4 {
		c.start(i, memdb.New())
	}
	waitfor.Until(t, 30*time.Second, func() error {
		if h := c.nodes[0].Chain().Head().Number(); h < 3 {
			return fmt.Errorf("validator 0 at height %d, want 3", h)
		}
		return nil
	})
	host, err := c.net.NewHost("attacker")
	if err != nil {
		t.Fatal(err)
	}
	c.hosts = append(c.hosts, host)
	attacker, err := attacktest.NewPeer(host, c.gen.ChainID, int(c.gen.MaxBlockSize))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(attacker.Close)
	if err := attacker.LieAboutHead(c.nodes[0].Chain().GenesisHash(), int(c.gen.MaxBlockSize), 1<<40); err != nil {
		t.Fatal(err)
	}
	full := c.start(-1, memdb.New())
	target := c.nodes[0].Chain().Head().Number() + 2
	waitfor.Until(t, 20*time.Second, func() error {
		if h := full.Chain().Head().Number(); h < target {
			return fmt.Errorf("the fresh node is at height %d, want %d", h, target)
		}
		return nil
	})
	if p := full.syncProgress(); p != nil && uint64(p.HighestBlock) >= 1<<40 {
		t.Errorf("eth_syncing believes the liar's head: %+v", p)
	}
	waitfor.Until(t, 10*time.Second, func() error {
		for _, p := range full.net.Peers() {
			if p.ID == attacker.ID() && p.Rejects == 0 {
				return fmt.Errorf("the lying peer is connected and was not scored down")
			}
		}
		return nil
	})
}
