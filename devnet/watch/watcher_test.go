package watch

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestWatcherReportsAnExitAtOnce: NodeExited prints the alert and the
// status line without waiting for a poll, and Above writes another
// stream's text.
func TestWatcherReportsAnExitAtOnce(t *testing.T) {
	var out, errOut strings.Builder
	w := New(Options{Config: testConfig(), Out: &out, Now: func() time.Time { return t0 }})
	w.NodeExited("validator-1", errors.New("exit status 2"))
	w.Above(&errOut, "---- last lines of validator-1 ----")
	want := "15:04:05 !! validator-1 EXITED (exit status 2) and is not restarted. 5 of 6 nodes still run.\n" +
		"15:04:05 status: L1 waiting for a validator's RPC · L2 waiting for the sequencer · 0 batches in window · challenger starting\n"
	if out.String() != want {
		t.Errorf("output\n got %q\nwant %q", out.String(), want)
	}
	if errOut.String() != "---- last lines of validator-1 ----\n" {
		t.Errorf("other stream %q", errOut.String())
	}
}
