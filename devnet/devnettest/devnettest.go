package devnettest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/internal/waitfor"
)

// SyncBuffer is a bytes.Buffer safe for a process (or logger) writing and
// a test reading.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// BuildBinaries builds the named commands (cmd/<name>) with cluster.Binary,
// concurrently, and returns the one directory they are in. Use
// cluster.RunTests in the package's TestMain so they are removed.
func BuildBinaries(t testing.TB, names ...string) string {
	t.Helper()
	paths := make([]string, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { paths[i], errs[i] = cluster.Binary(name) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths[1:] {
		if filepath.Dir(p) != filepath.Dir(paths[0]) {
			t.Fatalf("binaries built into different directories: %v", paths)
		}
	}
	return filepath.Dir(paths[0])
}

// FreeOffset returns a port offset at which every port of a devnet of
// validators validators with its sequencer and challenger is free now.
// Each test package passes its own first offset so that packages running
// at once start apart.
func FreeOffset(t testing.TB, validators, first int) int {
	t.Helper()
	for off := first + os.Getpid()%400; off < 20000; off += 227 {
		if devnet.CheckPortsFree(validators, off) == nil && devnet.CheckSequencerPortsFree(off) == nil &&
			devnet.CheckChallengerPortsFree(off) == nil {
			return off
		}
	}
	t.Fatal("no port offset with free ports")
	return 0
}

// Up is a running "devnet up".
type Up struct {
	cmd         *exec.Cmd
	out         *SyncBuffer
	done        chan struct{}
	err         error
	stopTimeout time.Duration
}

// StartUp starts "<devnetBin> up args..."; the test's cleanup stops it if
// it still runs (SIGINT, then SIGKILL after stopTimeout).
func StartUp(t testing.TB, devnetBin string, stopTimeout time.Duration, args ...string) *Up {
	t.Helper()
	p := &Up{out: &SyncBuffer{}, done: make(chan struct{}), stopTimeout: stopTimeout}
	p.cmd = exec.Command(devnetBin, append([]string{"up"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
			return
		default:
		}
		if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Logf("interrupt devnet up: %v", err)
		}
		timer := time.NewTimer(stopTimeout)
		defer timer.Stop()
		select {
		case <-p.done:
		case <-timer.C:
			if err := p.cmd.Process.Kill(); err != nil {
				t.Logf("kill devnet up: %v", err)
			}
			<-p.done
		}
	})
	return p
}

// Output is everything the process printed so far.
func (p *Up) Output() string { return p.out.String() }

// Done is closed when the process has exited; Err is then its exit error.
func (p *Up) Done() <-chan struct{} { return p.done }

// Err is the process's exit error, once Done is closed.
func (p *Up) Err() error { return p.err }

// WaitOutput waits until the process prints s; it fails t if the process
// exits first or timeout passes.
func (p *Up) WaitOutput(t testing.TB, s string, timeout time.Duration) {
	t.Helper()
	waitfor.Until(t, timeout, func() error {
		if strings.Contains(p.out.String(), s) {
			return nil
		}
		select {
		case <-p.done:
			t.Fatalf("devnet up exited (%v) before printing %q:\n%s", p.err, s, p.out)
		default:
		}
		return fmt.Errorf("devnet up has not printed %q; it printed:\n%s", s, p.out)
	})
}

// Interrupt stops the devnet as Ctrl-C does and requires a clean exit
// within the stop timeout.
func (p *Up) Interrupt(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	timer := time.NewTimer(p.stopTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		t.Fatalf("devnet up still running %s after SIGINT:\n%s", p.stopTimeout, p.out)
	}
	if p.err != nil {
		t.Fatalf("devnet up exited with %v after SIGINT:\n%s", p.err, p.out)
	}
}

// Kill kills the "devnet up" process itself (SIGKILL), as a crash would,
// and waits for it to exit; what happens to its nodes is the devnet's
// business (on Linux they die with it).
func (p *Up) Kill(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-p.done
}

// DumpLogsOnFailure prints the last lines of every node's log in l if the
// test fails.
func DumpLogsOnFailure(t testing.TB, l devnet.Layout, lines int) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		paths, err := filepath.Glob(filepath.Join(l.LogsDir(), "*.log"))
		if err != nil {
			t.Logf("list the node logs: %v", err)
		}
		for _, p := range paths {
			tail, err := devnet.Tail(p, lines)
			if err != nil {
				tail = err.Error()
			}
			t.Logf("---- %s ----\n%s", p, tail)
		}
	})
}
