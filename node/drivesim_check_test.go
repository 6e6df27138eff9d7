package node

import (
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
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
		waitfor.Until(t, 30*time.Second, func() error {
			if w.wire.doubleSign() == "" {
				return fmt.Errorf("no double sign seen on virtual time; heads %v", w.heads())
			}
			return nil
		})
		if f := w.wire.doubleSign(); !strings.Contains(f, "DOUBLE SIGN") {
			t.Fatalf("report %q", f)
		}
	})
}
