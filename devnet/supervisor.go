package devnet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
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
	// ValidatorBins, if it names node i, runs that binary for node i
	// instead of ValidatorBin: a paired benchmark runs another build on
	// some validators of the same devnet, under the same load, chain and
	// machine, and compares their CPU (make bench --l1-pair-bin).
	ValidatorBins map[int]string
	// ValidatorEnv adds KEY=VALUE entries to node i's environment (after
	// the devnet's own, so they win): a paired benchmark's other setting,
	// e.g. GOMEMLIMIT, for some validators.
	ValidatorEnv map[int][]string
	// SequencerBin is the sequencer binary StartSequencer runs.
	SequencerBin string
	// ChallengerBin is the challenger binary StartChallenger runs.
	ChallengerBin string
	// Terminal, if not nil, receives every node's log lines prefixed
	// with "[<name>] ". Every line also goes to the node's log file.
	Terminal io.Writer
	// ExtraArgs are added to the `validator run` arguments of node i (for
	// example a development switch for one validator).
	ExtraArgs map[int][]string
	// SequencerArgs are added to the `sequencer run` arguments (for
	// example --dev.bad-output-at N).
	SequencerArgs []string
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

// Supervisor runs the nodes of a devnet as child processes of this one:
// the validators (Start), then the sequencer (StartSequencer) and the
// challenger (StartChallenger).
type Supervisor struct {
	opts     SuperviseOptions
	termMu   sync.Mutex // keeps the nodes' terminal lines whole
	mu       sync.Mutex // guards nodes
	nodes    []*nodeProc
	exits    chan NodeExit
	stopping atomic.Bool
}

// nodeProc is one running node.
type nodeProc struct {
	name    string
	role    string
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
	// Room for every node's exit, the sequencer's and the challenger's
	// included, so that wait never blocks.
	s := &Supervisor{opts: opts, exits: make(chan NodeExit, opts.Config.Validators+2)}
	env := validatorEnv(os.Environ(), runtime.NumCPU(), opts.Config.Validators)
	for i := range opts.Config.Validators {
		args, err := RunArgs(opts.Layout, opts.Config, i)
		if err != nil {
			s.Stop(5 * time.Second)
			return nil, err
		}
		bin := opts.ValidatorBin
		if b, ok := opts.ValidatorBins[i]; ok {
			bin = b
		}
		nodeEnv := env
		if extra := opts.ValidatorEnv[i]; len(extra) > 0 {
			nodeEnv = append(slices.Clone(env), extra...)
		}
		if err := s.startNode(NodeName(i), RoleValidator, bin, append(args, opts.ExtraArgs[i]...), nodeEnv); err != nil {
			s.Stop(5 * time.Second)
			return nil, err
		}
	}
	return s, nil
}

// StartSequencer starts "sequencer run" (SequencerRunArgs) with
// SequencerBin; "sequencer init" must have run (InitSequencer). Its log
// goes where the validators' do, as "sequencer".
func (s *Supervisor) StartSequencer() error {
	if s.opts.SequencerBin == "" {
		return errors.New("start the sequencer: no sequencer binary")
	}
	args, err := SequencerRunArgs(s.opts.Layout, s.opts.Config)
	if err != nil {
		return err
	}
	return s.startNode(SequencerName, RoleSequencer, s.opts.SequencerBin, append(args, s.opts.SequencerArgs...), nil)
}

// StartChallenger starts "challenger run" (ChallengerRunArgs) with
// ChallengerBin. Its log goes where the others' do, as "challenger".
func (s *Supervisor) StartChallenger() error {
	if s.opts.ChallengerBin == "" {
		return errors.New("start the challenger: no challenger binary")
	}
	args, err := ChallengerRunArgs(s.opts.Layout, s.opts.Config)
	if err != nil {
		return err
	}
	return s.startNode(ChallengerName, RoleChallenger, s.opts.ChallengerBin, args, nil)
}

// validatorEnv is the environment of a validator process: environ, with
// GOMAXPROCS set to the validator's share of the machine's cores (at
// least one) unless environ sets it. A devnet's validators share one
// machine, and each Go runtime otherwise schedules on every core: on two
// cores four validators finalized 1,787–1,878 tx/s at the bench's
// 2,531 tx/s step (216–236 µs of CPU per transfer per validator) with
// GOMAXPROCS 2, and 1,929–2,055 (183–213 µs) with 1 (issue 17, session
// 17; a collector's idle workers, for one, take the cores a process leaves
// idle, which the other validators would use).
func validatorEnv(environ []string, cores, validators int) []string {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			return environ
		}
	}
	share := max(1, cores/max(1, validators))
	return append(slices.Clone(environ), "GOMAXPROCS="+strconv.Itoa(share))
}

// startNode starts bin with args as the node name, logging to its log
// file and, unless quiet, the terminal; env, if not nil, is its
// environment (else this process's).
func (s *Supervisor) startNode(name, role, bin string, args, env []string) error {
	logPath := s.opts.Layout.LogFile(name)
	logFile, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log of %s: %w", name, err)
	}
	procs := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, "GOMAXPROCS=") {
			procs = " with " + kv
		}
	}
	fmt.Fprintf(logFile, "==== devnet: starting %s at %s%s\n", name, time.Now().UTC().Format(time.RFC3339), procs)
	n := &nodeProc{name: name, role: role, logFile: logFile, done: make(chan struct{})}
	var out io.Writer = logFile
	if s.opts.Terminal != nil {
		n.term = &prefixWriter{mu: &s.termMu, w: s.opts.Terminal, prefix: "[" + name + "] "}
		out = io.MultiWriter(logFile, n.term)
	}
	n.cmd = exec.Command(bin, args...)
	n.cmd.Env = env
	n.cmd.Stdout, n.cmd.Stderr = out, out
	n.cmd.SysProcAttr = nodeSysProcAttr()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping.Load() {
		logFile.Close()
		return fmt.Errorf("start %s: the devnet is stopping", name)
	}
	if err := n.cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	s.nodes = append(s.nodes, n)
	go s.wait(n)
	return nil
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

// PIDs returns the process id of every validator, in index order.
func (s *Supervisor) PIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for _, n := range s.nodes {
		if n.role == RoleValidator {
			out = append(out, n.cmd.Process.Pid)
		}
	}
	return out
}

// PID returns the process id of the named node (0 if it was not started).
func (s *Supervisor) PID(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.nodes {
		if n.name == name {
			return n.cmd.Process.Pid
		}
	}
	return 0
}

// Stop stops the L2 nodes first, the sequencer and the challenger (they
// follow the validators, so they must not see them go), then the
// validators: each group gets SIGINT, up to timeout to exit, and then
// SIGKILL to the process group of any still running. It returns an error
// naming the nodes that had to be killed.
func (s *Supervisor) Stop(timeout time.Duration) error {
	s.mu.Lock()
	s.stopping.Store(true)
	var first, then []*nodeProc
	for _, n := range s.nodes {
		if n.role == RoleValidator {
			then = append(then, n)
		} else {
			first = append(first, n)
		}
	}
	s.mu.Unlock()
	killed := stopGroup(first, timeout)
	killed = append(killed, stopGroup(then, timeout)...)
	if len(killed) > 0 {
		return fmt.Errorf("killed %v: they did not stop within %s of SIGINT", killed, timeout)
	}
	return nil
}

// stopGroup sends SIGINT to every node of nodes, waits up to timeout for
// them to exit, then kills the rest; it returns the names of those killed.
func stopGroup(nodes []*nodeProc, timeout time.Duration) []string {
	for _, n := range nodes {
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
	for _, n := range nodes {
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
	return killed
}
