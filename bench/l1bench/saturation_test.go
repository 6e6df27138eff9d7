package l1bench

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// TestCPUShares: the ceiling on the cores left to the validators is the
// plain ceiling scaled by the cores the load generator did not use, and
// the validators' cores are summed from their per-process figures.
func TestCPUShares(t *testing.T) {
	r := &Report{Validators: 4, Machine: loadgen.Machine{Cores: 2}, L1TPS: 1000}
	best := loadgen.Result{CPU: map[string]float64{loadgenName: 0.4, "validator-0": 0.3, "validator-1": 0.35,
		"validator-2": 0.3, "validator-3": 0.25, loadgen.OtherProcesses: 0.1}}
	r.cpuShares(best, 8000) // 125 µs per transfer
	want := 8000 * (2 - 0.4) / 4.0
	if math.Abs(r.CeilingLeftTPS-want) > 1e-9 || math.Abs(r.RatioLeft-1000/want) > 1e-9 {
		t.Fatalf("ceiling on cores left %.1f (ratio %.3f), want %.1f", r.CeilingLeftTPS, r.RatioLeft, want)
	}
	if r.LoadgenShare != 0.2 || math.Abs(r.ValidatorCores-1.2) > 1e-9 || r.OtherCores != 0.1 {
		t.Fatalf("shares: loadgen %.2f validators %.2f other %.2f", r.LoadgenShare, r.ValidatorCores, r.OtherCores)
	}
	var buf bytes.Buffer
	r.Plateau = loadgen.Result{Sent: 10, SendErrors: 4, FirstError: "txpool is full: 20000 transactions"}
	r.Markdown(&buf)
	for _, s := range []string{"ratio to the ceiling on the cores left to the validators | 31 %", "refusals at admission, for the distinct transfers offered | 0.00 s; 4 for 10 (txpool is full)", "2× peak: "} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
}

// TestPlateauRatios: the plateau is measured against the search's peak
// (the goal) and against the peak offered just after it (about the same
// chain age), and that reference against the peak; a reference that
// did not run leaves its ratios zero, not infinite.
func TestPlateauRatios(t *testing.T) {
	// Two validators: the reference's 4 + 4 CPU seconds through its drain
	// for 20,000 included are 200 µs a transfer each, the plateau's 5.5 +
	// 5.5 for 25,000 (the load generator's seconds not counted) 220.
	r := &Report{Validators: 2,
		Plateau: loadgen.Result{Sent: 10, FinalizedTPS: 1200, Included: 25000,
			CPUThroughDrain: map[string]float64{"validator-0": 5.5, "validator-1": 5.5, loadgenName: 3}},
		Reference: loadgen.Result{Sent: 10, FinalizedTPS: 1300, Included: 20000,
			CPUThroughDrain: map[string]float64{"validator-0": 4, "validator-1": 4, loadgenName: 2}},
		ReferenceRate: 1700, PeakMicrosPerIncluded: 176}
	r.plateauRatios(1600)
	if r.PlateauRatio != 0.75 || r.AgingRatio != 1300.0/1600 || r.SameAgeRatio != 1200.0/1300 {
		t.Fatalf("plateau %.3f, aging %.3f, same age %.3f", r.PlateauRatio, r.AgingRatio, r.SameAgeRatio)
	}
	if math.Abs(r.ReferenceMicrosPerIncluded-200) > 1e-9 || math.Abs(r.PlateauMicrosPerIncluded-220) > 1e-9 {
		t.Fatalf("µs per included transfer: reference %.1f, plateau %.1f; want 200, 220", r.ReferenceMicrosPerIncluded, r.PlateauMicrosPerIncluded)
	}
	var buf bytes.Buffer
	r.Markdown(&buf)
	for _, s := range []string{"the peak (1700 tx/s) offered just after the plateau: finalized (the chain's growth alone) | 1300 tx/s = 81 % of the peak",
		"plateau against that reference (overload alone; not the goal's measure) | 92 %", "| peak again: 0 | 1300 |",
		"| the load's recipients | a new account per transfer",
		"first send to last inclusion (admission, refusals, drain): the reference / the plateau | 200 / 220 µs (the plateau +10 %)",
		"first send to last inclusion: the peak's step / the plateau (a peak step cheaper than the plateau lowers goal 2's ratio) | 176 / 220 µs (the plateau +25 %)"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
	none := &Report{Validators: 2, Plateau: loadgen.Result{Sent: 10, FinalizedTPS: 1200, Included: 100}}
	none.plateauRatios(1600)
	if none.SameAgeRatio != 0 || none.AgingRatio != 0 || none.PlateauRatio != 0.75 || none.PlateauMicrosPerIncluded != 0 {
		t.Fatalf("no reference, no CPU: same age %.3f, aging %.3f, plateau %.3f, µs per included %.1f",
			none.SameAgeRatio, none.AgingRatio, none.PlateauRatio, none.PlateauMicrosPerIncluded)
	}
	buf.Reset()
	none.Markdown(&buf)
	if strings.Contains(buf.String(), "first send to last inclusion") {
		t.Errorf("a row for CPU that was not measured:\n%s", buf.String())
	}
}

// TestMedianTxRate: the ceiling comes from the median of the runs.
func TestMedianTxRate(t *testing.T) {
	out := "BenchmarkApplyBlock1000Transfers \t 5\t 183703225 ns/op\t 5444 tx/s\n" +
		"BenchmarkApplyBlock1000Transfers \t 5\t 152890321 ns/op\t 6541 tx/s\n" +
		"BenchmarkApplyBlock1000Transfers \t 5\t 203214223 ns/op\t 4921 tx/s\n"
	if v, err := medianTxRate(out); err != nil || v != 5444 {
		t.Fatalf("median %v, %v; want 5444", v, err)
	}
	if _, err := medianTxRate("PASS\n"); err == nil {
		t.Fatal("no figure: no error")
	}
}

// TestSetTxCost: the cost and the ceiling come from the median of every
// run given, those before the search and those after it together.
func TestSetTxCost(t *testing.T) {
	r := &Report{Machine: loadgen.Machine{Cores: 2}}
	before, after := []float64{5000, 8000, 6000}, []float64{4000, 4500, 4200}
	r.setTxCost(before, 4)
	if r.TxCostMicros != 1e6/6000 || r.L1CeilingTPS != 3000 {
		t.Fatalf("before: %.1f µs, ceiling %.0f; want the median 6,000 tx/s: 166.7 µs, 3,000 tx/s", r.TxCostMicros, r.L1CeilingTPS)
	}
	r.setTxCost(append(slices.Clone(before), after...), 4)
	if r.TxCostMicros != 1e6/5000 || r.L1CeilingTPS != 2500 {
		t.Fatalf("both: %.1f µs, ceiling %.0f; want the median of six, 5,000 tx/s: 200 µs, 2,500 tx/s", r.TxCostMicros, r.L1CeilingTPS)
	}
	if median(nil) != 0 || !slices.Equal(before, []float64{5000, 8000, 6000}) {
		t.Fatal("median of none is not 0, or it sorted its argument")
	}
}

// TestStepRowsShowAgeAndCostPerTransfer: each step's row names the
// transfers included before it (the chain's age), the CPU one validator
// spent per finalized transfer, and validator-0's heights (mean, late of
// all) with its gas target in transfers and the cuts the step made to it;
// a step without CPU figures or
// height metrics shows a dash. The rows follow the run's order: the
// plateau on the search's chain right after the search, then the fresh
// chain's rows, its age counted from zero again: the steps replayed, the
// plateau, then the peak offered again.
func TestStepRowsShowAgeAndCostPerTransfer(t *testing.T) {
	cpu := map[string]float64{"validator-0": 0.4, "validator-1": 0.4, "validator-2": 0.4, "validator-3": 0.4, loadgenName: 0.1}
	r := &Report{Validators: 4,
		Steps: []loadgen.Result{
			{OfferedRate: 1000, FinalizedTPS: 1000, Included: 10000, Sent: 10000, CPU: cpu},
			{OfferedRate: 2000, FinalizedTPS: 1600, Included: 16000, Sent: 20000,
				Heights: &loadgen.Heights{Count: 9, Late: 3, MeanSeconds: 1.234, GasTarget: 2000 * 21000, BuiltAhead: 2, Cuts: 3,
					Committed: 16000, BlockRecoveries: 800, Admissions: map[string]int{"rpc/added": 4000, "rpc/refused": 4000, "gossip/added": 12000, "gossip/known": 9000}}},
		},
		SearchPlateau:  loadgen.Result{OfferedRate: 3200, FinalizedTPS: 700, Included: 14000, Sent: 32000, CPU: cpu},
		Fresh:          true,
		PeakAge:        10000,
		Replay:         []loadgen.Result{{OfferedRate: 1000, FinalizedTPS: 950, Included: 9500, Sent: 10000, CPU: cpu}},
		Plateau:        loadgen.Result{OfferedRate: 4000, FinalizedTPS: 800, Included: 16000, Sent: 40000, CPU: cpu},
		PlateauSeconds: 10,
		Reference:      loadgen.Result{OfferedRate: 1600, FinalizedTPS: 1500, Included: 15000, Sent: 16000, CPU: cpu}}
	if got := validatorMicrosPerTx(r.Steps[0], 4); math.Abs(got-400) > 1e-9 {
		t.Fatalf("1.6 validator cores at 1,000 tx/s over 4 validators: %.1f µs, want 400", got)
	}
	var buf bytes.Buffer
	r.Markdown(&buf)
	for _, s := range []string{"| 1000 | 1000 | 10000 / 10000 | 0 | 400 |", "| 2000 | 1600 | 16000 / 20000 | 10000 | – |",
		"| 2× peak, search's chain: 3200 | 700 | 14000 / 32000 | 26000 |", // right after the search, on its chain
		"| fresh chain, replayed: 1000 | 950 | 9500 / 10000 | 0 |",        // the fresh chain's age starts again
		"| 2× peak: 4000 | 800 | 16000 / 40000 | 9500 | 500 |",
		"| peak again: 1600 | 1500 | 15000 / 16000 | 25500 |", // after the plateau, on a fresh chain 25,500 transfers old
		"| plateau on the search's own chain: offered 2× the peak for 10 s right after the search, 26000 transfers old",
		"| plateau: offered 2× the peak (0 tx/s) for 10 s on a fresh chain replayed to the peak's age (9500 transfers old; the peak's step began at 10000), finalized |",
		"| the search's 1 steps before the peak, offered again on the fresh chain: finalized against the search's | 95–95 % |",
		// validator-0's heights, gas target (cuts), blocks built ahead and
		// sender recoveries per committed transfer
		"| 0 | 0 | 1.23 (3 / 9) | 2000 (3) | 2 | 0.25 + 0.75 + 0.05 = 1.05 |",
		"| 0 | 0 | – | – | – | – |"} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
}

// TestMarkdownWarnsWhenTheSearchStillGained: a report whose search ran out
// of steps still gaining says so under the ratio, with the gain; one whose
// search found its peak does not.
func TestMarkdownWarnsWhenTheSearchStillGained(t *testing.T) {
	r := &Report{Validators: 4, L1TPS: 3392, L1CeilingTPS: 5202, L1Ratio: 0.65, SearchStillGaining: 0.17}
	var buf bytes.Buffer
	r.Markdown(&buf)
	if !strings.Contains(buf.String(), "the search ran out of steps still gaining (its last ramp step +17 %)") {
		t.Fatalf("table lacks the warning:\n%s", buf.String())
	}
	r.SearchStillGaining = 0
	buf.Reset()
	r.Markdown(&buf)
	if strings.Contains(buf.String(), "ran out of steps") {
		t.Fatalf("a search that found its peak is warned about:\n%s", buf.String())
	}
}

// TestMarkdownSaysAProfileWasNotWritten: a run whose CPU profile could not
// be had (loadgen.ErrNoProfile) says so under its tables, on one line; a
// run without ProfileError says nothing of it.
func TestMarkdownSaysAProfileWasNotWritten(t *testing.T) {
	r := &Report{Validators: 4, ProfileError: "no CPU profile of validator-0: 500 Internal Server Error: cpu profiling already in use\n"}
	var buf bytes.Buffer
	r.Markdown(&buf)
	want := "The CPU profile asked for was not written (no CPU profile of validator-0: 500 Internal Server Error: cpu profiling already in use); the figures above stand."
	if !strings.Contains(buf.String(), want) {
		t.Fatalf("report lacks %q:\n%s", want, buf.String())
	}
	r.ProfileError = ""
	buf.Reset()
	r.Markdown(&buf)
	if strings.Contains(buf.String(), "was not written") {
		t.Fatalf("a run with its profile says it is missing:\n%s", buf.String())
	}
}

// TestProfileFactorsNameAFileEach: no factor above zero profiles one step
// at the peak's rate into the path given; several factors profile a step
// each, in the order given, each into the path with ".x" and its factor
// before the extension (numbered when a factor comes again), so the
// profiles of one run stand side by side and none overwrites another.
func TestProfileFactorsNameAFileEach(t *testing.T) {
	if got := profileFactors(nil); !slices.Equal(got, []float64{1}) {
		t.Errorf("no factors: %v, want [1]", got)
	}
	if got := profileFactors([]float64{0, -1}); !slices.Equal(got, []float64{1}) {
		t.Errorf("no factor above zero: %v, want [1]", got)
	}
	if got := profileFactors([]float64{2, 0, 1}); !slices.Equal(got, []float64{2, 1}) {
		t.Errorf("factors 2, 0, 1: %v, want [2 1]", got)
	}
	if got := profilePaths("/tmp/v0.pprof", []float64{2}); !slices.Equal(got, []string{"/tmp/v0.pprof"}) {
		t.Errorf("one factor: %v, want the path itself", got)
	}
	if got, want := profilePaths("/tmp/v0.pprof", []float64{1, 2, 1.5}), []string{"/tmp/v0.x1.pprof", "/tmp/v0.x2.pprof", "/tmp/v0.x1.5.pprof"}; !slices.Equal(got, want) {
		t.Errorf("three factors: %v, want %v", got, want)
	}
	if got, want := profilePaths("prof", []float64{1, 2}), []string{"prof.x1", "prof.x2"}; !slices.Equal(got, want) {
		t.Errorf("a path without an extension: %v, want %v", got, want)
	}
	if got, want := profilePaths("v0.pprof", []float64{1, 2, 1, 2, 1}), []string{"v0.x1.pprof", "v0.x2.pprof", "v0.x1-2.pprof", "v0.x2-2.pprof", "v0.x1-3.pprof"}; !slices.Equal(got, want) {
		t.Errorf("factors given again: %v, want %v", got, want)
	}
}

// TestPlateauStepsFollowTheOption: the plateaus last DefaultPlateauSteps
// search steps unless --l1-plateau-steps says otherwise, and a report
// that recorded their length names it in both plateau rows (a test above);
// one that did not names none.
func TestPlateauStepsFollowTheOption(t *testing.T) {
	if got := plateauSteps(Options{}); got != DefaultPlateauSteps {
		t.Fatalf("no option: %d steps, want %d", got, DefaultPlateauSteps)
	}
	if got := plateauSteps(Options{PlateauSteps: 1}); got != 1 {
		t.Fatalf("--l1-plateau-steps 1: %d steps", got)
	}
	if got := (&Report{}).plateauFor(); got != "" {
		t.Fatalf("no length recorded: %q, want nothing", got)
	}
	if got := (&Report{PlateauSeconds: 20}).plateauFor(); got != " for 20 s" {
		t.Fatalf("20 s: %q", got)
	}
}

// TestConfirmPeakAveragesTheSamples: with the peak's step replayed, the
// peak is the mean of the search's step and its replay, and the ratios
// and the peak's CPU per transfer follow it; the tables say all of it,
// the peak's own chain's steps apart from the plateau's chain's.
func TestConfirmPeakAveragesTheSamples(t *testing.T) {
	r := &Report{Validators: 2, L1CeilingTPS: 4000, CeilingLeftTPS: 3000, SearchBestTPS: 2400,
		Fresh: true, PeakAge: 30000, Replay: []loadgen.Result{{Sent: 10, OfferedRate: 1000, Included: 30000}},
		PeakChainReplay: []loadgen.Result{{Sent: 10, OfferedRate: 1000, Included: 29000}},
		PeakReplays: []loadgen.Result{{Sent: 10, OfferedRate: 2500, FinalizedTPS: 2200, Included: 22000,
			CPUThroughDrain: map[string]float64{"validator-0": 4.4, "validator-1": 4.4}}}}
	best := loadgen.Result{OfferedRate: 2500, FinalizedTPS: 2400, Included: 24000,
		CPUThroughDrain: map[string]float64{"validator-0": 3.6, "validator-1": 3.6, loadgenName: 2}}
	if peak := r.confirmPeak(best); peak != 2300 || r.L1TPS != 2300 {
		t.Fatalf("peak %.1f (L1TPS %.1f), want the mean 2300", peak, r.L1TPS)
	}
	if math.Abs(r.L1Ratio-2300.0/4000) > 1e-9 || math.Abs(r.RatioLeft-2300.0/3000) > 1e-9 {
		t.Fatalf("ratios %.3f and %.3f", r.L1Ratio, r.RatioLeft)
	}
	// 150 µs a transfer in the search's step, 200 in the replay.
	if math.Abs(r.PeakMicrosPerIncluded-175) > 1e-9 {
		t.Fatalf("peak's µs per included transfer %.1f, want 175", r.PeakMicrosPerIncluded)
	}
	if r.PlateauAge() != 30000 {
		t.Fatalf("plateau age %d, want its own chain's 30000", r.PlateauAge())
	}
	r.Plateau = loadgen.Result{Sent: 10, FinalizedTPS: 2100, HalvesTPS: [2]float64{2300, 1900}}
	r.SearchPlateau = loadgen.Result{Sent: 10, OfferedRate: 4800, FinalizedTPS: 1800}
	var buf bytes.Buffer
	r.Markdown(&buf)
	for _, s := range []string{
		"| the peak: the mean of the search's best step and its replay on a fresh chain at its age (the best of several 10 s steps is biased up by its own noise) | 2400 and 2200 → 2300 tx/s |",
		"on a fresh chain replayed to the peak's age (30000 transfers old; the peak's step began at 30000)",
		"| the peak's chain, replayed: 1000 | 0 | 29000 / 10 | 0 |",
		"| the peak's chain, the peak's step again: 2500 | 2200 | 22000 / 10 | 29000 |",
		"| fresh chain, replayed: 1000 | 0 | 30000 / 10 | 0 |",
		"plateau on the search's own chain: offered 2× the search's best step (4800 tx/s)",
		"| " + PlateauHalvesRow + " | 2300 / 1900 tx/s = 100 / 83 % of the peak |",
	} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
	labels := r.labeledSteps()
	var names []string
	for _, l := range labels {
		names = append(names, l.label)
	}
	if want := []string{"2× peak, search's chain", "the peak's chain, replayed", "the peak's step again", "replayed", "2× peak"}; !slices.Equal(names, want) {
		t.Fatalf("labeled steps %q, want %q", names, want)
	}
	// Without replays the search's step is the peak, as before.
	plain := &Report{Validators: 2, L1TPS: 2400}
	if plain.PeakSamplesCell() != "" {
		t.Fatalf("no replays: cell %q", plain.PeakSamplesCell())
	}
}
