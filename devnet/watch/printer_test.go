package watch

import (
	"strings"
	"testing"
	"time"
)

// TestPrinterOnATerminal: the status line is rewritten in place; an event
// clears it, prints its line and redraws it; Above does the same for
// another stream; Clear leaves a clean line.
func TestPrinterOnATerminal(t *testing.T) {
	var out, errOut strings.Builder
	p := NewPrinter(&out, true)
	p.Status(t0, "L1 #1")
	p.Status(t0, "L1 #1") // unchanged: not redrawn
	p.Status(t0, "L1 #2")
	p.Event(t0, Event{Text: "L1 block 2: 1 transaction"})
	p.Event(t0, Event{Text: "validator-1 EXITED", Alert: true})
	p.Above(&errOut, "---- last lines ----")
	p.Clear()
	want := "\r\x1b[KL1 #1" + "\r\x1b[KL1 #2" +
		"\r\x1b[K15:04:05 L1 block 2: 1 transaction\nL1 #2" +
		"\r\x1b[K15:04:05 \x1b[1;31m!! validator-1 EXITED\x1b[0m\nL1 #2" +
		"\r\x1b[K" + "L1 #2" +
		"\r\x1b[K"
	if out.String() != want {
		t.Errorf("terminal output\n got %q\nwant %q", out.String(), want)
	}
	if errOut.String() != "---- last lines ----\n" {
		t.Errorf("the other stream got %q", errOut.String())
	}
	// After Clear, events print without a status line.
	out.Reset()
	p.Event(t0, Event{Text: "stopped"})
	if out.String() != "15:04:05 stopped\n" {
		t.Errorf("after Clear: %q", out.String())
	}
}

// TestPrinterOffATerminal: no control characters, every event line, and
// the status line at once and then every PlainStatusEvery.
func TestPrinterOffATerminal(t *testing.T) {
	var out strings.Builder
	p := NewPrinter(&out, false)
	p.Status(t0, "L1 #1")
	p.Event(t0.Add(time.Second), Event{Text: "L1 block 2: 1 transaction"})
	p.Status(t0.Add(time.Second), "L1 #2")
	p.Event(t0.Add(2*time.Second), Event{Text: "sequencer EXITED", Alert: true})
	p.Status(t0.Add(PlainStatusEvery), "L1 #30")
	p.Clear()
	want := "15:04:05 status: L1 #1\n" +
		"15:04:06 L1 block 2: 1 transaction\n" +
		"15:04:07 !! sequencer EXITED\n" +
		"15:04:35 status: L1 #30\n"
	if out.String() != want {
		t.Errorf("plain output\n got %q\nwant %q", out.String(), want)
	}
}
