package node

import (
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// TestDriverSimulationCatchesDoubleSign: the simulation's wire watch is
// what proves "no double sign", so it must see one: a validator that
// equivocates on purpose (the devnet switch) is reported within a few
// heights.
func TestDriverSimulationCatchesDoubleSign(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := drawSimParams(1)
		p.faults, p.drop, p.equivocator = nil, 0, 0
		w := newSimWorld(t, p, newSimLog())
		deadline := time.Now().Add(30 * time.Second)
		for w.wire.doubleSign() == "" {
			if time.Now().After(deadline) {
				t.Fatalf("no double sign seen in 30 s of virtual time; heads %v", w.heads())
			}
			time.Sleep(simTick)
		}
		if f := w.wire.doubleSign(); !strings.Contains(f, "DOUBLE SIGN") {
			t.Fatalf("report %q", f)
		}
	})
}
