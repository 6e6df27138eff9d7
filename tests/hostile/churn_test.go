package hostile_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/p2p/libp2p"
)

// churnIdentities is how many fresh peer ids the churn attacker opens at
// once: more than a validator's whole new-identity burst
// (libp2p.DefaultNewPeerBurst), so without the limit every one of them is
// admitted within the window.
const churnIdentities = libp2p.DefaultNewPeerBurst + 16

// testIdentityChurn: a ban is by peer id and a fresh id is free, so a
// banned attacker comes back at once under a new name with a clean score.
// The attacker opens churnIdentities fresh ids against the victim together
// (each host keeps redialling); the victim admits at most its burst plus one
// new id per DefaultNewPeerInterval from 127.0.0.1 (the earlier subtests and
// the other validators have spent part of the burst already), refuses the
// rest, and the validators keep finalizing.
func (e *env) testIdentityChurn(t *testing.T) {
	start, rss, peak, began := e.begin(t)
	ids := make(map[string]bool, churnIdentities)
	for range churnIdentities {
		p, h, err := attacktest.DialLibp2p([]string{e.victim.P2PAddr()}, e.chainID, e.maxBlk)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close(); h.Close() })
		ids[string(p.ID())] = true
	}
	ctx := testCtx(t, 30*time.Second)
	// Admitted ids finish the status handshake and show in bilayer_peers
	// within a second or two; wait until the count has not grown for two
	// seconds (or 6 s passed: refills keep it growing), then bound it by the
	// time taken.
	admitted, last, lastChange := 0, -1, time.Now()
	cluster.Await(t, 20*time.Second, func() error {
		peers, err := e.victim.Peers(ctx)
		if err != nil {
			return err
		}
		admitted = 0
		for _, p := range peers {
			if ids[p.ID] {
				admitted++
			}
		}
		if admitted != last {
			last, lastChange = admitted, time.Now()
		}
		if time.Since(lastChange) < 2*time.Second && time.Since(began) < 6*time.Second {
			return fmt.Errorf("%d of %d fresh ids admitted so far", admitted, churnIdentities)
		}
		return nil
	})
	elapsed := time.Since(began)
	bound := libp2p.DefaultNewPeerBurst + int(elapsed/libp2p.DefaultNewPeerInterval) + 1
	t.Logf("%d of %d fresh peer ids admitted by %s in %.1fs (bound %d: burst %d + one per %s)",
		admitted, churnIdentities, e.victim.Name, elapsed.Seconds(), bound, libp2p.DefaultNewPeerBurst, libp2p.DefaultNewPeerInterval)
	if admitted > bound {
		t.Fatalf("%s admitted %d fresh peer ids from one address in %.1fs, bound %d", e.victim.Name, admitted, elapsed.Seconds(), bound)
	}
	if admitted == churnIdentities {
		t.Fatalf("%s admitted all %d fresh peer ids: no new-identity limit", e.victim.Name, churnIdentities)
	}
	e.judge(t, e.victim, "", start, rss, peak, began)
}
