package l1bench

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/devkeys"
)

// l1Devnet is one L1-only devnet the bench runs: the `devnet up` process,
// its validators' endpoints and the file its output goes to.
type l1Devnet struct {
	cmd     *exec.Cmd
	eps     *endpoints
	log     *os.File
	stopped bool
}

// startDevnet generates a devnet of o.Validators validators in dir/name on
// free loopback ports, starts it (`devnet up --l1-only`, with a paired
// run's arguments), and returns once every validator has committed its
// first block, with the time from the processes' start to then.
func startDevnet(ctx context.Context, o Options, dir, name string, pairArgs []string,
	logf func(string, ...any)) (*l1Devnet, time.Duration, error) {
	datadir := filepath.Join(dir, name)
	offset, err := devnet.FreeOffset(o.Validators, 1010, 20000, 137)
	if err != nil {
		return nil, 0, err
	}
	logf("Generating a %d-validator devnet in %s (port offset %d)...", o.Validators, datadir, offset)
	gen := exec.Command(filepath.Join(o.Bin, "devnet"), "generate", "--datadir", datadir, "--validators", strconv.Itoa(o.Validators),
		"--port-offset", strconv.Itoa(offset), "--prefund", strconv.Itoa(o.Prefund))
	if out, err := gen.CombinedOutput(); err != nil {
		return nil, 0, fmt.Errorf("devnet generate: %w\n%s", err, out)
	}
	// Timed from here: process start to the first committed block.
	start := time.Now()
	// --l1-only: the L1 alone is measured here (bench/l2bench measures
	// the sequencer on its own machine time).
	upArgs := []string{"up", "--datadir", datadir, "--quiet", "--l1-only"}
	if o.ProfilePath != "" {
		upArgs = append(upArgs, "--pprof")
	}
	upArgs = append(upArgs, pairArgs...)
	cmd := exec.Command(filepath.Join(o.Bin, "devnet"), upArgs...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	devLog, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, 0, err
	}
	cmd.Stdout, cmd.Stderr = devLog, devLog
	if err := cmd.Start(); err != nil {
		devLog.Close()
		return nil, 0, fmt.Errorf("start devnet: %w", err)
	}
	d := &l1Devnet{cmd: cmd, log: devLog}
	eps, err := waitFirstBlock(ctx, datadir, o.Validators, 90*time.Second)
	if err != nil {
		d.stop()
		tail, _ := os.ReadFile(devLog.Name())
		return nil, 0, fmt.Errorf("%w\ndevnet output:\n%s", err, lastBytes(tail, 4000))
	}
	d.eps = eps
	return d, time.Since(start), nil
}

// stop stops the devnet's processes and closes its log; a nil or stopped
// devnet is left alone.
func (d *l1Devnet) stop() {
	if d == nil || d.stopped {
		return
	}
	d.stopped = true
	stopDevnet(d.cmd)
	d.log.Close()
}

// fundAccounts funds the load accounts from the dev accounts on d's chain
// and reads their nonces there (a second chain starts them at zero again).
func fundAccounts(ctx context.Context, d *l1Devnet, accounts []*loadgen.Account, logf func(string, ...any)) error {
	dev, err := devkeys.Accounts(devkeys.Count)
	if err != nil {
		return err
	}
	var funders []*ecdsa.PrivateKey
	for _, a := range dev {
		funders = append(funders, a.Key)
	}
	logf("Funding %d load accounts...", len(accounts))
	url := d.eps.Nodes[0].RPC
	if err := loadgen.Fund(ctx, url, new(big.Int).SetUint64(d.eps.ChainID), funders, accounts,
		new(big.Int).Mul(big.NewInt(5), big.NewInt(1e18)), loadgen.DefaultFees(), 60*time.Second); err != nil {
		return err
	}
	return loadgen.ResyncNonces(ctx, url, accounts)
}

// searchConfig is the load's configuration against d: every validator
// takes transfers, validator-0's blocks and heights are read, every
// validator's CPU is recorded, and each step starts from drained pools
// and the chain's nonces, so a rate is not measured behind the previous
// one's backlog.
func searchConfig(o Options, d *l1Devnet, accounts []*loadgen.Account, logf func(string, ...any)) loadgen.SearchConfig {
	eps := d.eps
	var urls []string
	for _, n := range eps.Nodes {
		urls = append(urls, n.RPC)
	}
	sc := loadgen.SearchConfig{
		Config: loadgen.Config{URLs: urls, WatchURL: urls[0], Connections: 2 * o.Validators, Drain: 10 * time.Second,
			SendInterval: sendInterval, CPU: cpuNames(eps), HeightsFrom: eps.Nodes[0].Metrics},
		ChainID: new(big.Int).SetUint64(eps.ChainID), Fees: loadgen.DefaultFees(), StartRate: o.StartRate, Factor: o.Factor,
		StepDuration: o.StepDuration, MaxSteps: o.MaxSteps, Refine: o.Refine, Seed: 1, Log: func(s string) { logf("  %s", s) },
	}
	if o.Prefund > 0 {
		sc.Recipients = devnet.PrefundAddresses(o.Prefund)
	}
	watch := sc
	sc.Settle = func(ctx context.Context) error { return settle(ctx, watch, accounts, eps, logf) }
	return sc
}

// pairOptions returns a paired run's arguments to `devnet up` and records
// the pair in the report (nil arguments: a normal run).
func (r *Report) pairOptions(o Options, logf func(string, ...any)) ([]string, error) {
	args, pair, err := pairUpArgs(o)
	if err != nil {
		return nil, err
	}
	if pair != nil {
		r.Pair = pair
		logf("  paired run: %s run %s; %s as usual", strings.Join(pair.B, ", "), pairWhat(pair), strings.Join(pair.A, ", "))
	}
	return args, nil
}

// readMemory reads every validator's resident memory: RSSPerNodeMB
// becomes this reading, and RSSMB and RSSPeakMB keep the most any
// validator held in this or an earlier reading.
func (r *Report) readMemory(eps *endpoints) error {
	per := make([]float64, 0, len(eps.Nodes))
	for _, n := range eps.Nodes {
		m, err := loadgen.ProcessMemory(n.PID)
		if err != nil {
			return fmt.Errorf("memory of %s: %w", n.Name, err)
		}
		per = append(per, m.RSSMiB)
		r.RSSMB = max(r.RSSMB, m.RSSMiB)
		r.RSSPeakMB = max(r.RSSPeakMB, m.PeakMiB)
	}
	r.RSSPerNodeMB = per
	return nil
}
