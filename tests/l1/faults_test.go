package l1_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/cluster"
)

// TestValidatorFaults crashes and stops validators of one four-validator
// cluster, in steps that build on each other.
func TestValidatorFaults(t *testing.T) {
	skipShort(t)
	t.Parallel()
	c := newCluster(t)
	ctx := testCtx(t, 3*time.Minute)
	if err := c.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		run  func(*testing.T, *cluster.Cluster)
	}{
		{"KilledValidatorRestartsCatchesUpAndVotes", testKillRestartVotes},
		{"TwoOfFourDownHaltsAndOneBackResumes", testHaltAndResume},
		{"RepeatedCrashesWhileVotingNeverEquivocate", testCrashLoop},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, c) }) {
			t.FailNow()
		}
	}
}

// testKillRestartVotes: kill -9 one validator and blocks continue; restart
// it and it catches up; then stop another validator: with only three of four
// running, every further block needs the restarted one's precommit, so the
// chain committing proves it votes again. No node reports equivocation.
func testKillRestartVotes(t *testing.T, c *cluster.Cluster) {
	ctx := testCtx(t, 2*time.Minute)
	nodes := c.Nodes()
	victim, other := nodes[3], nodes[2]
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	rest := []*cluster.Node{nodes[0], nodes[1], nodes[2]}
	h, err := maxHead(ctx, rest)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitAll(ctx, rest, h+3); err != nil {
		t.Fatalf("blocks stopped after %s was killed: %v", victim.Name, err)
	}

	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	h, err = maxHead(ctx, rest)
	if err != nil {
		t.Fatal(err)
	}
	if err := victim.WaitHeight(ctx, h+1); err != nil {
		t.Fatalf("%s did not catch up after its restart: %v", victim.Name, err)
	}

	if err := other.Stop(); err != nil {
		t.Fatal(err)
	}
	voters := []*cluster.Node{nodes[0], nodes[1], victim}
	h, err = maxHead(ctx, voters)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitAll(ctx, voters, h+3); err != nil {
		t.Fatalf("with %s stopped the chain needs %s's votes, and it stopped: %v", other.Name, victim.Name, err)
	}
	if err := checkNoEvidence(ctx, voters); err != nil {
		t.Fatal(err)
	}
}

// testHaltAndResume runs with one validator already stopped: stopping a
// second leaves half the stake, so no block may commit; restarting one of
// them resumes the chain within 30 s; and no node ever holds a different
// block at any height.
func testHaltAndResume(t *testing.T, c *cluster.Cluster) {
	ctx := testCtx(t, 2*time.Minute)
	nodes := c.Nodes()
	if nodes[2].Running() {
		t.Fatalf("%s should still be stopped by the previous step", nodes[2].Name)
	}
	if err := nodes[1].Kill(); err != nil {
		t.Fatal(err)
	}
	alive := []*cluster.Node{nodes[0], nodes[3]}
	// A block whose precommits were already out may still land: wait until
	// both survivors agree on the head, then hold them to it.
	var halted uint64
	cluster.Await(t, 30*time.Second, func() error {
		lo, err := minHead(ctx, alive)
		if err != nil {
			return err
		}
		hi, err := maxHead(ctx, alive)
		if err != nil {
			return err
		}
		if lo != hi {
			return fmt.Errorf("survivors at heights %d and %d", lo, hi)
		}
		halted = hi
		return nil
	})
	// Hold them to it for several block times. Tendermint cannot even
	// leave round 0 without 2/3+ of the prevotes, so the observable sign
	// of a halted chain is both survivors stuck past the propose step of
	// the next height while the window passes; the heads are checked at
	// every poll of the window.
	const window = 5 * blockTime
	haltedAt := time.Now()
	cluster.Await(t, window+30*time.Second, func() error {
		if err := headsAt(ctx, alive, halted); err != nil {
			t.Fatalf("a block committed with half the stake down: %v", err)
		}
		for _, n := range alive {
			st, err := n.ConsensusState(ctx)
			if err != nil {
				return err
			}
			if st.Height != halted+1 || st.Step == "propose" {
				return fmt.Errorf("%s at height %d step %s, want height %d past the propose step", n.Name, st.Height, st.Step, halted+1)
			}
		}
		if waited := time.Since(haltedAt); waited < window {
			return fmt.Errorf("halted for %s of the %s window", waited.Round(time.Millisecond), window)
		}
		return nil
	})
	if err := headsAt(ctx, alive, halted); err != nil {
		t.Fatalf("a block committed with half the stake down: %v", err)
	}

	restarted := time.Now()
	if err := nodes[1].Start(); err != nil {
		t.Fatal(err)
	}
	running := []*cluster.Node{nodes[0], nodes[1], nodes[3]}
	resumeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := waitAll(resumeCtx, running, halted+1); err != nil {
		t.Fatalf("the chain did not resume within 30 s of restarting %s: %v", nodes[1].Name, err)
	}
	t.Logf("chain resumed %s after the restart", time.Since(restarted).Round(time.Millisecond))

	if err := nodes[2].Start(); err != nil {
		t.Fatal(err)
	}
	h, err := maxHead(ctx, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitAll(ctx, nodes, h+1); err != nil {
		t.Fatal(err)
	}
	if err := checkSameChain(ctx, nodes, 0, h+1); err != nil {
		t.Fatal(err)
	}
	if err := checkNoEvidence(ctx, nodes); err != nil {
		t.Fatal(err)
	}
}

// headsAt checks that every node's head is h.
func headsAt(ctx context.Context, nodes []*cluster.Node, h uint64) error {
	for _, n := range nodes {
		got, err := n.Head(ctx)
		if err != nil {
			return err
		}
		if got != h {
			return fmt.Errorf("%s at height %d, halted at %d", n.Name, got, h)
		}
	}
	return nil
}

// testCrashLoop kills one validator with SIGKILL again and again, each time
// right after it has caught up and taken part in a new height, so the kills
// land in the middle of its voting. Its double-sign guard must hold across
// every crash: no node reports evidence, and the chain stays one chain.
func testCrashLoop(t *testing.T, c *cluster.Cluster) {
	ctx := testCtx(t, 2*time.Minute)
	nodes := c.Nodes()
	victim := nodes[0]
	others := nodes[1:]
	const crashes = 4
	for i := range crashes {
		h, err := maxHead(ctx, others)
		if err != nil {
			t.Fatal(err)
		}
		if err := victim.WaitHeight(ctx, h+1); err != nil {
			t.Fatalf("crash %d: %s did not catch up: %v", i, victim.Name, err)
		}
		if err := victim.Kill(); err != nil {
			t.Fatal(err)
		}
		if err := victim.Start(); err != nil {
			t.Fatalf("crash %d: restart: %v", i, err)
		}
	}
	h, err := maxHead(ctx, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if err := waitAll(ctx, nodes, h+2); err != nil {
		t.Fatal(err)
	}
	if err := checkNoEvidence(ctx, nodes); err != nil {
		t.Fatal(err)
	}
	if err := checkSameChain(ctx, nodes, 0, h+2); err != nil {
		t.Fatal(err)
	}
}
