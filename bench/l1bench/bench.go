package l1bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/devnet"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Options configure a benchmark run.
type Options struct {
	// Root is the module root (for the Go benchmark and git).
	Root string
	// Bin holds the devnet and validator binaries.
	Bin string
	// Validators is the devnet size.
	Validators int
	// Accounts is the number of load accounts.
	Accounts int
	// StartRate, Factor, StepDuration and MaxSteps shape the saturation
	// search.
	StartRate, Factor float64
	StepDuration      time.Duration
	MaxSteps          int
	// Refine is how many steps bisect between the ramp's best rate and
	// the first one above it that did no better.
	Refine int
	// PlateauSteps is how many search steps long the plateaus are (twice
	// the peak offered; 0 means DefaultPlateauSteps).
	PlateauSteps int
	// PeakReplays is how many times a fresh chain of their own, replayed to
	// the peak's age, offers the peak's step again (the same rate and
	// transfers); the peak is then the mean of the search's step and these
	// (Report.confirmPeak). 0 keeps the search's best step as the peak,
	// as before session 41, and starts one devnet fewer.
	PeakReplays int
	// Log receives progress lines.
	Log io.Writer
	// Keep leaves the devnet's data directory (logs included) in place.
	Keep bool
	// ProfilePath, if set, receives a CPU profile of validator-0 taken
	// during one more step at the peak's offered rate, after the rest.
	ProfilePath string
	// ProfileFactors multiply the profiled step's rate, one profiled step
	// for each in turn (none means one at 1: the peak's offered rate; 2
	// profiles the plateau's overload). Steps of several factors, back to
	// back on one chain and one host, tell what the overload itself costs
	// (ProfilePaths names their files).
	ProfileFactors []float64
	// Prefund, if set, funds that many more accounts at genesis (devnet
	// generate --prefund) and sends every transfer to one of them, so the
	// chain's state is as large as the state-transition benchmark's from
	// the first step and does not grow with the load (100,000 matches
	// it). Unset, every transfer creates a new account.
	Prefund int
	// PairBin and PairEnv, if either is set, make the run a paired one
	// (pair.go): the validators in PairValidators (group B; default the
	// upper half) run PairBin instead of Bin's validator and get PairEnv's
	// KEY=VALUE entries in their environment, and the report compares the
	// groups' CPU per finalized transfer step by step.
	PairBin        string
	PairEnv        []string
	PairValidators []int
}

// Report is the outcome, written to bench/results/latest.json.
type Report struct {
	// L1TPS is the peak: the search's best step's finalized throughput,
	// or with PeakReplays the mean of it and its replays (confirmPeak).
	L1TPS        float64 `json:"l1_tps"`
	L1CeilingTPS float64 `json:"l1_ceiling_tps"`
	L1Ratio      float64 `json:"l1_ratio_to_ceiling"`
	TxCostMicros float64 `json:"state_transition_us_per_tx"`
	// TxCostBeforeMicros and TxCostAfterMicros are the state-transition
	// benchmark's medians before the devnet started and right after the
	// search found the peak; TxCostMicros (and so the ceiling) is the
	// median of both sets of runs, so that a machine whose speed drifts
	// over the run is measured on both sides of the peak.
	TxCostBeforeMicros float64 `json:"state_transition_us_per_tx_before_search"`
	TxCostAfterMicros  float64 `json:"state_transition_us_per_tx_after_search"`
	BlockInterval      float64 `json:"l1_block_interval_s"`
	LatencyP50         float64 `json:"l1_latency_p50_ms"`
	LatencyP99         float64 `json:"l1_latency_p99_ms"`
	DevnetStart        float64 `json:"devnet_start_s"`
	// RSSMB is the most any validator held resident right after either
	// plateau step (a saturating load; after the search if neither ran),
	// RSSPeakMB the most any held at any time on either chain (VmHWM);
	// RSSPerNodeMB is each validator's after the last reading.
	RSSMB        float64          `json:"rss_mb"`
	RSSPeakMB    float64          `json:"rss_peak_mb"`
	RSSPerNodeMB []float64        `json:"rss_per_node_mb"`
	Validators   int              `json:"validators"`
	Steps        []loadgen.Result `json:"steps"`
	// SearchStillGaining, when set, is how much the search's last ramp
	// step gained over the best before it when the ramp ran out of steps
	// and no refinement above it did worse (loadgen.SearchResult): the
	// peak, and the figures measured against it, may be below the chain's.
	SearchStillGaining float64 `json:"l1_search_still_gaining,omitempty"`
	// PeakCPU is the cores each process used during the peak step; the
	// load generator shares the machine with the validators, so the
	// ceiling is also given on the cores it left them (CeilingLeftTPS,
	// RatioLeft).
	PeakCPU        map[string]float64 `json:"l1_peak_cpu_cores,omitempty"`
	LoadgenCores   float64            `json:"l1_loadgen_cores"`
	LoadgenShare   float64            `json:"l1_loadgen_share"`
	ValidatorCores float64            `json:"l1_validator_cores"`
	OtherCores     float64            `json:"l1_other_cores"`
	CeilingLeftTPS float64            `json:"l1_ceiling_cores_left_tps"`
	RatioLeft      float64            `json:"l1_ratio_cores_left"`
	// Plateau is the step offered twice the peak, on a fresh chain whose
	// history replays the search's up to the peak (Replay), so as old as
	// the peak's chain was (PeakAge transfers); PlateauRatio is its
	// finalized throughput over the peak's: goal 2's measure since
	// session 36.
	PlateauRate  float64        `json:"l1_plateau_offered_tps"`
	Plateau      loadgen.Result `json:"l1_plateau"`
	PlateauRatio float64        `json:"l1_plateau_ratio"`
	// PlateauSeconds is how long both plateaus offered twice the peak
	// (Options.PlateauSteps search steps).
	PlateauSeconds float64 `json:"l1_plateau_s,omitempty"`
	// PeakAge is the transfers the search's steps before the peak's
	// included: the chain's age when the peak was offered.
	PeakAge int `json:"l1_peak_age"`
	// Fresh is set when the plateau, the reference and the half-peak step
	// ran on the fresh chain; Replay holds the search's steps before the
	// peak as offered again there (the same rates, recipients and length).
	Fresh  bool             `json:"l1_plateau_on_fresh_chain,omitempty"`
	Replay []loadgen.Result `json:"l1_replay_steps,omitempty"`
	// SearchBestTPS is the search's best step's finalized throughput, and
	// PeakReplays that step offered again (Options.PeakReplays) on a fresh
	// chain of their own, after PeakChainReplay (the search's steps before
	// the peak's, offered again there): the peak (L1TPS) is their mean.
	SearchBestTPS   float64          `json:"l1_search_best_tps,omitempty"`
	PeakChainReplay []loadgen.Result `json:"l1_peak_chain_replay_steps,omitempty"`
	PeakReplays     []loadgen.Result `json:"l1_peak_replays,omitempty"`
	// SearchPlateau is twice the search's best step offered
	// (its OfferedRate) on the search's own chain right after the search
	// (every search step before it, the peak's followers included, so
	// 45–95k transfers older than the peak's chain), SearchPlateauRatio
	// its finalized throughput over the peak's: the plateau as measured
	// until session 35, kept beside the goal's for comparison.
	SearchPlateau      loadgen.Result `json:"l1_search_chain_plateau"`
	SearchPlateauRatio float64        `json:"l1_search_chain_plateau_ratio"`
	// Reference is the step offered the peak (its finalized throughput)
	// right after the plateau step, on the same fresh chain, so as old as
	// the plateau's but one step older. A validator's cost per transfer
	// grows with the chain (docs/decisions.md, issue 17, sessions 8 and
	// 9), so the reference runs on a dearer chain than the peak did, by
	// the plateau step's transfers: SameAgeRatio (the plateau over the
	// reference) is what overload costs against the peak's rate offered,
	// AgingRatio (the reference over the peak) what the chain's growth
	// over the plateau step costs.
	ReferenceRate float64        `json:"l1_reference_offered_tps"`
	Reference     loadgen.Result `json:"l1_reference"`
	SameAgeRatio  float64        `json:"l1_plateau_same_age_ratio"`
	AgingRatio    float64        `json:"l1_aging_ratio"`
	// ReferenceMicrosPerIncluded and PlateauMicrosPerIncluded are a
	// validator's CPU per transfer those steps included, counted from the
	// first send to the last inclusion (validatorMicrosPerIncluded): their
	// ratio is what overload costs a transfer, refusals and all, where
	// SameAgeRatio also holds what an overloaded step's window leaves to
	// the drain after it (issue 17, session 33).
	ReferenceMicrosPerIncluded float64 `json:"l1_reference_us_per_included,omitempty"`
	PlateauMicrosPerIncluded   float64 `json:"l1_plateau_us_per_included,omitempty"`
	// PeakMicrosPerIncluded is the same for the peak's step. The peak is
	// the best of the search's steps, each one 10 s sample: a step whose
	// transfers happened to cost less finalizes more and is the one chosen.
	// Beside the plateau's, it shows when goal 2's ratio is low because the
	// peak's step was cheap rather than the plateau dear (issue 17, session
	// 40: over thirteen runs the peak's step cost 164–229 µs, the plateau
	// 181–222, and every miss had a peak step cheaper than its plateau by
	// 11–29 %).
	PeakMicrosPerIncluded float64 `json:"l1_peak_us_per_included,omitempty"`
	// HalfPeak is the step offered half the peak, for latency.
	HalfPeakRate float64        `json:"l1_half_peak_tps"`
	HalfPeak     loadgen.Result `json:"l1_half_peak"`
	ProfilePath  string         `json:"l1_profile,omitempty"`
	// ProfilePaths are the profiles' files when several factors were
	// profiled (ProfilePath is the first's).
	ProfilePaths []string `json:"l1_profiles,omitempty"`
	// ProfileError says why the CPU profile asked for was not written
	// (loadgen.ErrNoProfile); the rest of the run stands.
	ProfileError string          `json:"l1_profile_error,omitempty"`
	Machine      loadgen.Machine `json:"machine"`
	FinishedAt   string          `json:"finished_at"`
	// Prefund is Options.Prefund: the accounts funded at genesis that the
	// load's transfers went to (0: each transfer created an account).
	Prefund int `json:"l1_prefund,omitempty"`
	// TxCostStolen is the share of the CPU time the machine asked for that
	// the hypervisor withheld (a virtual machine's steal time over busy and
	// steal time; loadgen.MachineTimes) while the state transition was
	// measured, both times together: a cost measured while it withheld
	// some is too high, and the ceiling too low.
	TxCostStolen float64 `json:"state_transition_stolen_share"`
	// StealRead is set when the machine's steal time could be read (on
	// Linux; a results file written before session 37 has none).
	StealRead bool `json:"l1_steal_read,omitempty"`
	// GaugeIdle is the cores' speed gauge on the machine before anything
	// of the bench runs (loadgen.GaugeMedian), TxCostGauge the gauge during
	// the state transition's runs (the mean of both times' medians): with
	// each step's Result.Gauge, how fast the cores did the same work then
	// (Speed).
	GaugeIdle   time.Duration `json:"l1_gauge_idle_ns,omitempty"`
	TxCostGauge time.Duration `json:"state_transition_gauge_ns,omitempty"`
	PeakGauge   time.Duration `json:"l1_peak_gauge_ns,omitempty"`
	// PeakStolen is that share during the peak's step (stolenShare).
	PeakStolen float64 `json:"l1_peak_stolen_share"`
	// Pair is a paired run's comparison of its two groups of validators
	// (Options.PairBin, PairEnv); nil in a normal run.
	Pair *Pair `json:"l1_pair,omitempty"`
}

// setTxCost sets the state transition's cost per transfer from the
// benchmark's runs (their median, in transfers per second on one core) and
// the ceiling it gives validators validators on the machine's cores.
func (r *Report) setTxCost(runs []float64, validators int) {
	txps := median(runs)
	if txps <= 0 || validators <= 0 {
		return
	}
	r.TxCostMicros = 1e6 / txps
	r.L1CeilingTPS = txps * float64(r.Machine.Cores) / float64(validators)
}

type endpoints struct {
	ChainID uint64 `json:"chainId"`
	Nodes   []struct {
		Name string `json:"name"`
		Role string `json:"role"`
		RPC  string `json:"rpc"`
		PID  int    `json:"pid"`
		// Metrics is the node's metrics URL (with --pprof, its profiler
		// is served on the same address).
		Metrics string `json:"metrics"`
		Log     string `json:"log"`
	} `json:"nodes"`
}

// sendInterval paces the L1 load: each connection sends what is due every
// 50 ms in one batch (at 1,500 tx/s over 8 connections, batches of about
// 9) instead of every 10 ms (batches of 1 or 2): five times fewer HTTP
// requests for the same offered load, which costs the validators' RPC
// servers and the load generator less, for at most 50 ms more wait
// against one-second blocks.
const sendInterval = 50 * time.Millisecond

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (*Report, error) {
	rep := &Report{Validators: o.Validators, Machine: loadgen.DescribeMachine(o.Root)}
	logf := func(format string, args ...any) { fmt.Fprintf(o.Log, format+"\n", args...) }

	logf("Measuring the state transition on one core (1,000 transfers over 100k accounts; the median of %d runs, and of %d more after the search)...",
		txCostRuns, txCostRuns)
	if g, err := loadgen.GaugeMedian(loadgen.GaugeIdleRuns); err == nil {
		rep.GaugeIdle = g
	}
	var txCostSteal stealMeter
	txCostSteal.start()
	stopGauge := loadgen.StartGauge(loadgen.GaugeInterval)
	costRuns, _, err := measureTxCost(o.Root, "5x")
	gaugeBefore := stopGauge()
	if err != nil {
		return nil, err
	}
	txCostSteal.stop()
	rep.setTxCost(costRuns, o.Validators)
	rep.TxCostBeforeMicros = rep.TxCostMicros
	logf("  %.0f tx/s on one core (%.1f µs/tx): ceiling with %d validators on %d cores = %.0f tx/s (before the search)",
		1e6/rep.TxCostMicros, rep.TxCostMicros, o.Validators, rep.Machine.Cores, rep.L1CeilingTPS)

	dir, err := os.MkdirTemp("", "bilayer-bench-")
	if err != nil {
		return nil, err
	}
	if o.Keep {
		logf("Keeping the devnet data directory %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if o.Prefund > 0 {
		logf("  with %d more accounts funded at genesis: every transfer goes to one of them", o.Prefund)
		rep.Prefund = o.Prefund
	}
	pair, err := rep.pairOptions(o, logf)
	if err != nil {
		return nil, err
	}
	cur, startTime, err := startDevnet(ctx, o, dir, "devnet", pair, logf)
	if err != nil {
		return nil, err
	}
	// The devnet in use is stopped on the way out (the plateau runs on a
	// second one: saturation).
	defer func() { cur.stop() }()
	rep.DevnetStart = startTime.Seconds()
	logf("  first block on every node %.2f s after the processes started", rep.DevnetStart)

	accounts, err := loadgen.DeriveAccounts("bilayer-bench", o.Accounts)
	if err != nil {
		return nil, err
	}
	if err := fundAccounts(ctx, cur, accounts, logf); err != nil {
		return nil, err
	}
	logf("Searching for the finalized throughput (%.0f tx/s, ×%.2f per %s step)...", o.StartRate, o.Factor, o.StepDuration)
	sc := searchConfig(o, cur, accounts, logf)
	found, err := loadgen.Search(ctx, sc, accounts)
	if err != nil {
		return nil, err
	}
	best := found.Best
	rep.Steps = found.Steps
	if found.StillGaining {
		rep.SearchStillGaining = found.LastGain
	}
	// The state transition again, while the devnet idles between steps:
	// this machine's speed drifts by a quarter within minutes, and the
	// ceiling should be the one of the minutes the peak was measured in.
	logf("Measuring the state transition again, right after the search...")
	txCostSteal.start()
	stopGauge = loadgen.StartGauge(loadgen.GaugeInterval)
	after, _, err := measureTxCost(o.Root, "5x")
	gaugeAfter := stopGauge()
	if err != nil {
		return nil, err
	}
	txCostSteal.stop()
	if gaugeBefore > 0 && gaugeAfter > 0 {
		rep.TxCostGauge = (gaugeBefore + gaugeAfter) / 2
	}
	rep.TxCostStolen, rep.StealRead = txCostSteal.share(), txCostSteal.read()
	rep.TxCostAfterMicros = 1e6 / median(after)
	rep.setTxCost(append(costRuns, after...), o.Validators)
	txps := 1e6 / rep.TxCostMicros
	logf("  %.1f µs/tx before the search, %.1f after; the median of all %d runs, %.1f µs/tx: ceiling %.0f tx/s; the hypervisor withheld %.0f %% of the CPU time asked for meanwhile",
		rep.TxCostBeforeMicros, rep.TxCostAfterMicros, len(costRuns)+len(after), rep.TxCostMicros, rep.L1CeilingTPS, 100*rep.TxCostStolen)
	rep.L1TPS = best.FinalizedTPS
	rep.PeakMicrosPerIncluded = validatorMicrosPerIncluded(best, rep.Validators)
	rep.L1Ratio = rep.L1TPS / rep.L1CeilingTPS
	rep.BlockInterval = best.BlockInterval.Seconds()
	rep.LatencyP50 = float64(best.LatencyP50.Microseconds()) / 1000
	rep.LatencyP99 = float64(best.LatencyP99.Microseconds()) / 1000
	rep.cpuShares(best, txps)
	rep.PeakStolen, rep.PeakGauge = stolenShare(best), best.Gauge
	logf("  peak %.0f tx/s; CPU cores used then: %s", best.FinalizedTPS, loadgen.CPUString(best.CPU))
	// The plateau runs on a second devnet (saturation), which cur then
	// names, so the profile below and the deferred stop take that one.
	if err := rep.saturation(ctx, o, dir, pair, &cur, &sc, accounts, found, logf); err != nil {
		return nil, err
	}
	if len(rep.RSSPerNodeMB) == 0 {
		if err := rep.readMemory(cur.eps); err != nil {
			return nil, err
		}
	}
	if o.ProfilePath != "" && best.OfferedRate > 0 {
		factors := profileFactors(o.ProfileFactors)
		paths := profilePaths(o.ProfilePath, factors)
		for i, factor := range factors {
			if err := rep.profile(ctx, sc, accounts, cur.eps, best.OfferedRate*factor, paths[i], o, logf); errors.Is(err, loadgen.ErrNoProfile) {
				// The step ran; only its profile is missing (session 38: a
				// profile another client took at the same time cost a whole
				// run's figures).
				rep.ProfileError = err.Error()
				logf("  %v; the run's figures are kept", err)
			} else if err != nil {
				return nil, err
			}
		}
		if len(paths) > 1 {
			rep.ProfilePaths = paths
		}
	}
	if rep.Pair != nil {
		comparePair(rep.Pair, rep.labeledSteps(), rep.Machine.Cores)
		logf("  paired run: group B's CPU per finalized transfer over group A's, geometric mean of %d loaded steps: %.3f",
			rep.Pair.LoadedSteps, rep.Pair.LoadedRatio)
	}
	rep.FinishedAt = time.Now().UTC().Format(time.RFC3339)
	return rep, nil
}

// profileFactors returns the profiled steps' factors: factors, or one
// step at the peak's rate if none is above zero.
func profileFactors(factors []float64) []float64 {
	var kept []float64
	for _, f := range factors {
		if f > 0 {
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 {
		return []float64{1}
	}
	return kept
}

// profilePaths names the profile of each factor: path itself for one,
// and for several path with ".x" and the factor before its extension, a
// factor given again numbered from its second step (v0.pprof with 1, 2,
// 1: v0.x1.pprof, v0.x2.pprof, v0.x1-2.pprof).
func profilePaths(path string, factors []float64) []string {
	if len(factors) == 1 {
		return []string{path}
	}
	ext := filepath.Ext(path)
	base := strings.TrimSuffix(path, ext)
	paths := make([]string, len(factors))
	seen := make(map[float64]int)
	for i, f := range factors {
		seen[f]++
		name := fmt.Sprintf("%s.x%s", base, strconv.FormatFloat(f, 'f', -1, 64))
		if n := seen[f]; n > 1 {
			name += fmt.Sprintf("-%d", n)
		}
		paths[i] = name + ext
	}
	return paths
}

// profile runs one more step at rate, from drained pools, while
// validator-0's profiler records its CPU into path.
func (rep *Report) profile(ctx context.Context, sc loadgen.SearchConfig, accounts []*loadgen.Account, eps *endpoints, rate float64,
	path string, o Options, logf func(string, ...any)) error {
	u, err := url.Parse(eps.Nodes[0].Metrics)
	if err != nil || u.Host == "" {
		return fmt.Errorf("metrics address of %s: %q: %v", eps.Nodes[0].Name, eps.Nodes[0].Metrics, err)
	}
	if err := sc.Settle(ctx); err != nil {
		return err
	}
	logf("Profiling %s at %.0f offered tx/s...", eps.Nodes[0].Name, rate)
	if err := loadgen.ProfileStep(ctx, sc, accounts, rate, u.Host, eps.Nodes[0].Name, path); err != nil {
		return err
	}
	if rep.ProfilePath == "" {
		rep.ProfilePath = path
	}
	logf("  CPU profile written to %s (go tool pprof -top %s %s)", path, filepath.Join(o.Bin, "validator"), path)
	return nil
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// waitFirstBlock waits for endpoints.json and for block 1 on every node.
func waitFirstBlock(ctx context.Context, datadir string, validators int, timeout time.Duration) (*endpoints, error) {
	deadline := time.Now().Add(timeout)
	for {
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("devnet did not commit a block on every node within %s", timeout)
		}
		if eps, err := readEndpoints(datadir); err == nil && len(eps.Nodes) >= validators && allAtBlock(ctx, eps) {
			return eps, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func readEndpoints(datadir string) (*endpoints, error) {
	data, err := os.ReadFile(filepath.Join(datadir, "endpoints.json"))
	if err != nil {
		return nil, err
	}
	var eps endpoints
	if err := json.Unmarshal(data, &eps); err != nil {
		return nil, err
	}
	// Only the validators take the load (a devnet may list its sequencer).
	validators := eps.Nodes[:0]
	for _, n := range eps.Nodes {
		if n.Role == "" || n.Role == devnet.RoleValidator {
			validators = append(validators, n)
		}
	}
	eps.Nodes = validators
	return &eps, nil
}

func allAtBlock(ctx context.Context, eps *endpoints) bool {
	for _, n := range eps.Nodes {
		c, err := ethclient.DialContext(ctx, n.RPC)
		if err != nil {
			return false
		}
		h, err := c.BlockNumber(ctx)
		c.Close()
		if err != nil || h < 1 {
			return false
		}
	}
	return true
}

// stopDevnet interrupts `devnet up` (which stops its nodes) and waits,
// killing the process group if it does not exit in time.
func stopDevnet(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}
