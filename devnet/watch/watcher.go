package watch

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// PollInterval is how often the Watcher polls the nodes.
const PollInterval = 500 * time.Millisecond

// Options say what a Watcher watches and where it prints.
type Options struct {
	// Config is the devnet.
	Config Config
	// Out receives the lines; TTY says it is a terminal (the status line
	// is then rewritten in place).
	Out io.Writer
	TTY bool
	// Width returns the terminal's width (nil or ≤ 0: no limit).
	Width func() int
	// FirstL2 delivers the first L2 block's timing once (may be nil).
	FirstL2 <-chan FirstBlock
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Watcher polls the devnet every PollInterval and prints what changed.
type Watcher struct {
	opts    Options
	poller  *Poller
	printer *Printer
	mu      sync.Mutex // guards state and serialises Steps
	state   State
}

// New returns a Watcher; Run starts it.
func New(opts Options) *Watcher {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Watcher{opts: opts, poller: NewPoller(opts.Config), printer: NewPrinter(opts.Out, opts.TTY), state: NewState()}
}

// Run polls and prints until ctx ends, then clears the status line.
func (w *Watcher) Run(ctx context.Context) {
	defer w.poller.Close()
	defer w.printer.Clear()
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		w.pollOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pollOnce polls, steps and prints once.
func (w *Watcher) pollOnce(ctx context.Context) {
	w.mu.Lock()
	cursors := w.state
	w.mu.Unlock()
	obs := w.poller.Poll(ctx, cursors)
	if ctx.Err() != nil {
		return // cut short: failures that say nothing
	}
	if w.opts.FirstL2 != nil {
		select {
		case f, ok := <-w.opts.FirstL2:
			if ok {
				obs.FirstL2 = &f
			} else {
				w.opts.FirstL2 = nil
			}
		default:
		}
	}
	w.step(obs)
}

// step applies obs and prints its events and the status line.
func (w *Watcher) step(obs Observation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	obs.Now = w.opts.Now()
	next, events := Step(w.opts.Config, w.state, obs)
	w.state = next
	for _, ev := range events {
		w.printer.Event(obs.Now, ev)
	}
	width := 0
	if w.opts.Width != nil {
		// One column short of the edge: a terminal wraps a full line.
		width = w.opts.Width() - 1
	}
	w.printer.Status(obs.Now, StatusLine(w.opts.Config, w.state, width))
}

// NodeExited reports at once that a node process exited (err: how; nil
// for status 0).
func (w *Watcher) NodeExited(name string, err error) {
	how := ""
	if err != nil {
		how = err.Error()
	}
	w.step(Observation{Exits: []Exit{{Name: name, Err: how}}})
}

// Above writes text to out (this Watcher's output or another stream to the
// same terminal) with the status line out of the way.
func (w *Watcher) Above(out io.Writer, text string) { w.printer.Above(out, text) }

// firstBlockPoll is how often FirstBlock asks for the head.
const firstBlockPoll = 50 * time.Millisecond

// MeasureFirstBlock asks the L2 RPC at url for its head every 50 ms
// until it passes its starting head, and returns the timing of the block
// after that head: since start (when the devnet started its processes)
// and since seqStart (when it started the sequencer). The starting head
// is the genesis for a fresh chain, else the head it first answers (so
// a block made before that answer is not seen). It fails when ctx ends
// first.
func MeasureFirstBlock(ctx context.Context, url string, fresh bool, start, seqStart time.Time) (FirstBlock, error) {
	c, err := rpc.DialContext(ctx, url)
	if err != nil {
		return FirstBlock{}, fmt.Errorf("first L2 block: dial %s: %w", url, err)
	}
	defer c.Close()
	tick := time.NewTicker(firstBlockPoll)
	defer tick.Stop()
	var base *uint64
	if fresh {
		base = new(uint64)
	}
	for {
		var head hexutil.Uint64
		callCtx, cancel := context.WithTimeout(ctx, time.Second)
		err := c.CallContext(callCtx, &head, "eth_blockNumber")
		cancel()
		if err == nil {
			h := uint64(head)
			switch {
			case base == nil:
				base = &h
			case h > *base:
				now := time.Now()
				return FirstBlock{Number: *base + 1, SinceStart: now.Sub(start), SinceSequencer: now.Sub(seqStart)}, nil
			}
		}
		select {
		case <-ctx.Done():
			return FirstBlock{}, fmt.Errorf("first L2 block: %w", ctx.Err())
		case <-tick.C:
		}
	}
}
