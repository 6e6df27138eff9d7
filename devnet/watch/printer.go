package watch

import (
	"io"
	"strings"
	"sync"
	"time"
)

// PlainStatusEvery is how often a Printer that does not write to a
// terminal prints the status line (the first time at once).
const PlainStatusEvery = 30 * time.Second

// Terminal control sequences: back to the start of the line and clear to
// its end; bold red and back to normal for alerts.
const (
	clearLine = "\r\x1b[K"
	alertOn   = "\x1b[1;31m"
	alertOff  = "\x1b[0m"
)

// Printer writes event lines and the status line. On a terminal the
// status line is the last line, rewritten in place, and event lines go
// above it; otherwise event lines are printed as they come and the status
// line every PlainStatusEvery, prefixed "status: ". It is safe for
// concurrent use.
type Printer struct {
	mu        sync.Mutex
	out       io.Writer
	tty       bool
	status    string
	shown     bool
	lastPlain time.Time
}

// NewPrinter returns a Printer writing to out; tty says out is a
// terminal.
func NewPrinter(out io.Writer, tty bool) *Printer {
	return &Printer{out: out, tty: tty}
}

// Event prints ev, stamped with now's time of day, above the status line.
func (p *Printer) Event(now time.Time, ev Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.tty && p.shown {
		b.WriteString(clearLine)
	}
	b.WriteString(now.Format("15:04:05 "))
	switch {
	case ev.Alert && p.tty:
		b.WriteString(alertOn + "!! " + ev.Text + alertOff)
	case ev.Alert:
		b.WriteString("!! " + ev.Text)
	default:
		b.WriteString(ev.Text)
	}
	b.WriteString("\n")
	if p.tty && p.status != "" {
		b.WriteString(p.status)
		p.shown = true
	}
	io.WriteString(p.out, b.String())
}

// Status sets the status line (already fitted to the terminal's width):
// on a terminal it replaces the one shown; otherwise it is printed if
// PlainStatusEvery has passed since the last one.
func (p *Printer) Status(now time.Time, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.tty {
		if !p.lastPlain.IsZero() && now.Sub(p.lastPlain) < PlainStatusEvery {
			return
		}
		p.lastPlain = now
		io.WriteString(p.out, now.Format("15:04:05 ")+"status: "+line+"\n")
		return
	}
	if p.shown && line == p.status {
		return
	}
	p.status, p.shown = line, true
	io.WriteString(p.out, clearLine+line)
}

// Above writes text (whole lines) to w with the status line out of the
// way, then redraws it: for what others print while the status line is
// shown (w may be another stream to the same terminal).
func (p *Printer) Above(w io.Writer, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		io.WriteString(p.out, clearLine)
	}
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	io.WriteString(w, text)
	if p.tty && p.shown {
		io.WriteString(p.out, p.status)
	}
}

// Clear removes the status line for good (until the next Status), so
// that what follows starts on a clean line.
func (p *Printer) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.shown {
		io.WriteString(p.out, clearLine)
	}
	p.shown, p.status = false, ""
}
