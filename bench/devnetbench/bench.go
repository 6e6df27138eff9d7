package devnetbench

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/devkeys"
)

// Options configure the devnet part.
type Options struct {
	// Root is the repository root (for the git commit).
	Root string
	// Bin holds the devnet, validator, sequencer and challenger binaries.
	Bin string
	// Validators is the devnet's size (default 4, as `make devnet`).
	Validators int
	// LoadDuration and LoadRate shape the light load before memory is
	// read (default 20 s at 5 transfers a second on each layer).
	LoadDuration time.Duration
	LoadRate     float64
	// Log receives progress lines.
	Log io.Writer
	// Keep leaves the data directory (logs included) in place.
	Keep bool
}

func (o *Options) fillDefaults() {
	if o.Validators <= 0 {
		o.Validators = 4
	}
	if o.LoadDuration <= 0 {
		o.LoadDuration = 20 * time.Second
	}
	if o.LoadRate <= 0 {
		o.LoadRate = 5
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// Bounds of the run's waits.
const (
	startTimeout = 90 * time.Second
	poll         = 25 * time.Millisecond
	stopTimeout  = 30 * time.Second
	// includeTimeout is how long the load's last transfers get to land.
	includeTimeout = 10 * time.Second
)

// loadAccount is the development account that sends the light load and
// the first L2 transfer (not account 9, the challenger's L1 key).
const loadAccount = 1

// Run starts the devnet, measures it and stops it.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.fillDefaults()
	rep := &Report{Validators: o.Validators, LoadRate: o.LoadRate, GoalMB: GoalTotalMB, Machine: loadgen.DescribeMachine(o.Root)}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, format+"\n", args...) }

	dir, err := os.MkdirTemp("", "bilayer-devnetbench-")
	if err != nil {
		return nil, fmt.Errorf("devnet bench: %w", err)
	}
	if o.Keep {
		logf("Keeping the devnet part's data directory %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	l := devnet.Layout{Dir: filepath.Join(dir, "devnet")}
	offset, err := freeOffset(o.Validators)
	if err != nil {
		return nil, err
	}
	logf("Generating a %d-validator devnet with its rollup (port offset %d)...", o.Validators, offset)
	t0 := time.Now()
	gen := exec.CommandContext(ctx, filepath.Join(o.Bin, "devnet"), "generate", "--datadir", l.Dir,
		"--validators", strconv.Itoa(o.Validators), "--port-offset", strconv.Itoa(offset))
	if out, err := gen.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("devnet generate: %w\n%s", err, out)
	}
	rep.GenerateS = time.Since(t0).Seconds()

	logPath := filepath.Join(dir, "devnet-up.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("devnet bench: %w", err)
	}
	defer logFile.Close()
	// Timed from here: `devnet up` starts every process.
	start := time.Now()
	up := exec.Command(filepath.Join(o.Bin, "devnet"), "up", "--datadir", l.Dir, "--quiet")
	up.Stdout, up.Stderr = logFile, logFile
	up.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := up.Start(); err != nil {
		return nil, fmt.Errorf("start devnet up: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = up.Wait(); close(exited) }()
	defer stop(up, exited, logf)
	withLog := func(err error) error {
		tail, _ := os.ReadFile(logPath)
		return fmt.Errorf("%w\ndevnet up's output:\n%s", err, lastBytes(tail, 4000))
	}
	logf("Started devnet up; waiting for the first L1 block and the first L2 block...")

	m, err := newMonitor(ctx, o.Validators, offset)
	if err != nil {
		return nil, err
	}
	defer m.close()
	if err := m.waitFirstBlocks(ctx, start, exited); err != nil {
		return nil, withLog(err)
	}
	rep.FirstL1BlockS, rep.L2RPCS, rep.FirstL2BlockS = m.firstL1.Seconds(), m.l2RPC.Seconds(), m.firstL2.Seconds()
	logf("  first L1 block on every validator %.2f s after devnet up started; sequencer answering at %.2f s, first L2 block at %.2f s",
		rep.FirstL1BlockS, rep.L2RPCS, rep.FirstL2BlockS)
	eps, err := waitAllUp(ctx, l, o.Validators+2, exited)
	if err != nil {
		return nil, withLog(err)
	}
	rep.AllUpS = time.Since(start).Seconds()
	logf("  every process up at %.2f s (pids in endpoints.json)", rep.AllUpS)

	l1, err := newSender(ctx, m.validators[0], m.key)
	if err != nil {
		return nil, fmt.Errorf("L1 load sender: %w", err)
	}
	if m.l2 == nil { // the L2 made its first block before it was sent one
		if m.l2, err = newSender(ctx, m.seq, m.key); err != nil {
			return nil, fmt.Errorf("L2 load sender: %w", err)
		}
	}
	logf("Light load: %.0f transfers/s on each layer for %s...", o.LoadRate, o.LoadDuration)
	loadStart := time.Now()
	st, err := lightLoad(ctx, []*sender{l1, m.l2}, o.LoadRate, o.LoadDuration, recipient)
	if err != nil {
		return nil, err
	}
	rep.LoadS = time.Since(loadStart).Seconds()
	rep.LoadErrors, rep.FirstLoadError = st.errors, st.firstErr
	rep.MemoryMeasured = runtime.GOOS == "linux"
	if rep.MemoryMeasured {
		if err := rep.readMemory(eps, up.Process.Pid); err != nil {
			return nil, withLog(err)
		}
		logf("  resident memory: %s; all %d: %.0f MiB (%.0f MB; goal ≤ %d MB)", rep.PerProcess(), len(rep.Processes),
			rep.TotalRSSMiB, MiBToMB(rep.TotalRSSMiB), GoalTotalMB)
	} else {
		logf("  resident memory: n/a on %s (no /proc)", runtime.GOOS)
	}
	rep.L1Sent, rep.L2Sent = l1.sent(), m.l2.sent()
	if rep.L1Included, err = l1.waitIncluded(ctx, includeTimeout); err != nil {
		return nil, err
	}
	if rep.L2Included, err = m.l2.waitIncluded(ctx, includeTimeout); err != nil {
		return nil, err
	}
	rep.FinishedAt = time.Now().UTC().Format(time.RFC3339)
	return rep, nil
}

// readMemory reads every devnet process's memory, and that of `devnet up`
// (supervisor).
func (r *Report) readMemory(eps devnet.Endpoints, supervisor int) error {
	for _, n := range eps.Nodes {
		mem, err := loadgen.ProcessMemory(n.PID)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		r.Processes = append(r.Processes, Process{Name: n.Name, Role: n.Role, PID: n.PID, Memory: mem})
		r.TotalRSSMiB += mem.RSSMiB
		r.TotalPeakMiB += mem.PeakMiB
	}
	mem, err := loadgen.ProcessMemory(supervisor)
	if err != nil {
		return fmt.Errorf("devnet up: %w", err)
	}
	r.SupervisorRSSMiB = mem.RSSMiB
	return nil
}

// monitor polls the devnet's RPCs.
type monitor struct {
	validators []*ethclient.Client
	seq        *ethclient.Client
	key        *ecdsa.PrivateKey
	l2         *sender

	firstL1, l2RPC, firstL2 time.Duration
}

// newMonitor makes clients of every validator's RPC and the sequencer's
// (HTTP clients dial on first use).
func newMonitor(ctx context.Context, validators, offset int) (*monitor, error) {
	accounts, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		return nil, fmt.Errorf("development accounts: %w", err)
	}
	m := &monitor{key: accounts[loadAccount].Key}
	dial := func(port int) (*ethclient.Client, error) {
		c, err := ethclient.DialContext(ctx, fmt.Sprintf("http://127.0.0.1:%d", port))
		if err != nil {
			return nil, fmt.Errorf("dial 127.0.0.1:%d: %w", port, err)
		}
		return c, nil
	}
	for i := range validators {
		c, err := dial(devnet.PortsFor(i, offset).RPC)
		if err != nil {
			m.close()
			return nil, err
		}
		m.validators = append(m.validators, c)
	}
	if m.seq, err = dial(devnet.SequencerPorts(offset).RPC); err != nil {
		m.close()
		return nil, err
	}
	return m, nil
}

func (m *monitor) close() {
	for _, c := range m.validators {
		c.Close()
	}
	if m.seq != nil {
		m.seq.Close()
	}
}

// blockNumber is c's eth_blockNumber, or an error within callTimeout.
func blockNumber(ctx context.Context, c *ethclient.Client) (uint64, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return c.BlockNumber(cctx)
}

// waitFirstBlocks polls until every validator is at block 1 or more and
// the sequencer too, noting the times since start. As soon as the
// sequencer answers it sends it one transfer, so that the first L2 block
// does not wait for the L1 origin to force one.
func (m *monitor) waitFirstBlocks(ctx context.Context, start time.Time, exited <-chan struct{}) error {
	deadline := start.Add(startTimeout)
	var sendErr error
	for m.firstL1 == 0 || m.firstL2 == 0 {
		if m.firstL1 == 0 && m.allValidatorsAt(ctx, 1) {
			m.firstL1 = time.Since(start)
		}
		if m.firstL2 == 0 {
			if h, err := blockNumber(ctx, m.seq); err == nil {
				if m.l2RPC == 0 {
					m.l2RPC = time.Since(start)
				}
				if h >= 1 {
					m.firstL2 = time.Since(start)
				} else if m.l2 == nil || m.l2.sent() == 0 {
					sendErr = m.sendFirstL2(ctx)
				}
			}
		}
		if m.firstL1 != 0 && m.firstL2 != 0 {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("devnet up exited while starting")
		case <-time.After(poll):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no first L1 block on every validator (%s) or no first L2 block (%s) within %s (last L2 send error: %v)",
				m.firstL1, m.firstL2, startTimeout, sendErr)
		}
	}
	return nil
}

// sendFirstL2 sends the sequencer one transfer (its sender made on first
// use).
func (m *monitor) sendFirstL2(ctx context.Context) error {
	if m.l2 == nil {
		s, err := newSender(ctx, m.seq, m.key)
		if err != nil {
			return fmt.Errorf("L2 sender: %w", err)
		}
		m.l2 = s
	}
	return m.l2.send(ctx, recipient(-1))
}

func (m *monitor) allValidatorsAt(ctx context.Context, h uint64) bool {
	for _, c := range m.validators {
		if n, err := blockNumber(ctx, c); err != nil || n < h {
			return false
		}
	}
	return true
}

// waitAllUp waits until endpoints.json lists n processes, each with a
// pid: `devnet up` rewrites it once the challenger answers.
func waitAllUp(ctx context.Context, l devnet.Layout, n int, exited <-chan struct{}) (devnet.Endpoints, error) {
	deadline := time.Now().Add(startTimeout)
	for {
		eps, err := devnet.ReadEndpoints(l.EndpointsFile())
		if err == nil && complete(eps, n) {
			return eps, nil
		}
		if time.Now().After(deadline) {
			return devnet.Endpoints{}, fmt.Errorf("endpoints.json did not list %d running processes within %s (%v)", n, startTimeout, err)
		}
		select {
		case <-ctx.Done():
			return devnet.Endpoints{}, ctx.Err()
		case <-exited:
			return devnet.Endpoints{}, errors.New("devnet up exited while starting")
		case <-time.After(poll):
		}
	}
}

// complete says whether eps lists n processes with pids, the challenger
// among them.
func complete(eps devnet.Endpoints, n int) bool {
	if len(eps.Nodes) != n {
		return false
	}
	for _, e := range eps.Nodes {
		if e.PID <= 0 {
			return false
		}
	}
	_, ok := eps.Challenger()
	return ok
}

// recipient is the load's i-th recipient: an address no one holds a key
// of.
func recipient(i int) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte("bilayer devnetbench recipient"), []byte(strconv.Itoa(i))))
}

// freeOffset finds a port offset at which every port of the devnet (the
// validators', the sequencer's and the challenger's) is free
// (devnet.FreeOffset: below the kernel's ephemeral ports where it can).
func freeOffset(validators int) (int, error) {
	offset, err := devnet.FreeOffset(validators, 1200, 22000, 173)
	if err != nil {
		return 0, fmt.Errorf("devnet bench: %w", err)
	}
	return offset, nil
}

// stop interrupts `devnet up`, which stops its nodes, and kills its
// process group if it has not exited within stopTimeout.
func stop(up *exec.Cmd, exited <-chan struct{}, logf func(string, ...any)) {
	_ = up.Process.Signal(syscall.SIGINT)
	select {
	case <-exited:
	case <-time.After(stopTimeout):
		logf("  devnet up did not stop within %s; killing its process group", stopTimeout)
		_ = syscall.Kill(-up.Process.Pid, syscall.SIGKILL)
		<-exited
	}
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
