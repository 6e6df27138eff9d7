package devnet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrNodeExited is returned when a node process exits while the devnet
// runs.
var ErrNodeExited = errors.New("node exited")

// SuperviseOptions say which devnet to run and where its logs go.
type SuperviseOptions struct {
	// Layout is the devnet data directory.
	Layout Layout
	// Config is the devnet that Layout holds.
	Config Config
	// ValidatorBin is the validator binary to run.
	ValidatorBin string
	// Terminal, if not nil, receives every node's log lines prefixed
	// with "[<name>] ". Every line also goes to the node's log file.
	Terminal io.Writer
	// ExtraArgs are added to the `validator run` arguments of node i (for
	// example a development switch for one validator).
	ExtraArgs map[int][]string
}

// NodeExit reports a node process that exited.
type NodeExit struct {
	// Name is the node's name.
	Name string
	// Err is how it exited (nil for status 0).
	Err error
	// Log is the node's log file.
	Log string
}

// Supervisor runs the nodes of a devnet as child processes of this one.
type Supervisor struct {
	opts     SuperviseOptions
	nodes    []*nodeProc
	exits    chan NodeExit
	stopping atomic.Bool
}

// nodeProc is one running node.
type nodeProc struct {
	name    string
	cmd     *exec.Cmd
	logFile *os.File
	term    *prefixWriter
	done    chan struct{}
}

// Start starts every node of the devnet. If one fails to start, the ones
// already started are stopped.
func Start(opts SuperviseOptions) (*Supervisor, error) {
	if err := os.MkdirAll(opts.Layout.LogsDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create logs directory: %w", err)
	}
	s := &Supervisor{opts: opts, exits: make(chan NodeExit, opts.Config.Validators)}
	var termMu sync.Mutex
	for i := range opts.Config.Validators {
		n, err := s.startNode(i, &termMu)
		if err != nil {
			s.Stop(5 * time.Second)
			return nil, err
		}
		s.nodes = append(s.nodes, n)
	}
	return s, nil
}

func (s *Supervisor) startNode(i int, termMu *sync.Mutex) (*nodeProc, error) {
	name := NodeName(i)
	args, err := RunArgs(s.opts.Layout, s.opts.Config, i)
	if err != nil {
		return nil, err
	}
	args = append(args, s.opts.ExtraArgs[i]...)
	logPath := s.opts.Layout.LogFile(name)
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open log of %s: %w", name, err)
	}
	fmt.Fprintf(logFile, "==== devnet: starting %s at %s\n", name, time.Now().UTC().Format(time.RFC3339))
	n := &nodeProc{name: name, logFile: logFile, done: make(chan struct{})}
	var out io.Writer = logFile
	if s.opts.Terminal != nil {
		n.term = &prefixWriter{mu: termMu, w: s.opts.Terminal, prefix: "[" + name + "] "}
		out = io.MultiWriter(logFile, n.term)
	}
	n.cmd = exec.Command(s.opts.ValidatorBin, args...)
	n.cmd.Stdout, n.cmd.Stderr = out, out
	n.cmd.SysProcAttr = nodeSysProcAttr()
	if err := n.cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go s.wait(n)
	return n, nil
}

// wait reaps a node and reports its exit unless the devnet is stopping.
func (s *Supervisor) wait(n *nodeProc) {
	err := n.cmd.Wait()
	if n.term != nil {
		n.term.Flush()
	}
	n.logFile.Close()
	close(n.done)
	if !s.stopping.Load() {
		s.exits <- NodeExit{Name: n.name, Err: err, Log: n.logFile.Name()}
	}
}

// Exits delivers every node that exits before Stop is called.
func (s *Supervisor) Exits() <-chan NodeExit { return s.exits }

// PIDs returns the process id of every node, in index order.
func (s *Supervisor) PIDs() []int {
	out := make([]int, len(s.nodes))
	for i, n := range s.nodes {
		out[i] = n.cmd.Process.Pid
	}
	return out
}

// Stop sends SIGINT to every node, waits up to timeout for them to exit
// and then kills (SIGKILL) the process group of any still running. It
// returns an error naming the nodes that had to be killed.
func (s *Supervisor) Stop(timeout time.Duration) error {
	s.stopping.Store(true)
	for _, n := range s.nodes {
		select {
		case <-n.done:
		default:
			n.cmd.Process.Signal(syscall.SIGINT)
		}
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	var killed []string
	expired := false
	for _, n := range s.nodes {
		if !expired {
			select {
			case <-n.done:
				continue
			case <-deadline.C:
				expired = true
			}
		}
		select {
		case <-n.done:
			continue
		default:
		}
		killed = append(killed, n.name)
		killGroup(n.cmd.Process.Pid)
		<-n.done
	}
	if len(killed) > 0 {
		return fmt.Errorf("killed %v: they did not stop within %s of SIGINT", killed, timeout)
	}
	return nil
}
