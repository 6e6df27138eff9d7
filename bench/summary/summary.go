package summary

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/bilayer/bilayer/bench/devnetbench"
	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/bilayer/bilayer/bench/l2bench"
	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/bench/rollupbench"
	"github.com/bilayer/bilayer/rollup/protocol"
)

// L1RatioGoal is the goal for the L1's finalized throughput as a share
// of its ceiling.
const L1RatioGoal = 0.6

// Row is one figure of the table.
type Row struct {
	// Figure names what was measured, and how.
	Figure string `json:"figure"`
	// Value is the measurement with its unit, or NotMeasured.
	Value string `json:"value"`
	// Target is the target or goal, empty when there is none.
	Target string `json:"target,omitempty"`
	// Met says whether the target was met; nil without a target or a
	// measurement.
	Met *bool `json:"met,omitempty"`
}

// NotMeasured is the value of a figure whose part never ran.
const NotMeasured = "not measured"

// Parts are the reports the table is built from; a nil part was never
// measured (its rows say so).
type Parts struct {
	L1     *l1bench.Report
	L2     *l2bench.Report
	Rollup *rollupbench.Report
	Devnet *devnetbench.Report
}

// rows collects rows.
type rows []Row

func (rs *rows) add(figure, value, target string, met *bool) {
	*rs = append(*rs, Row{Figure: figure, Value: value, Target: target, Met: met})
}

// missing adds a row for a figure whose part did not run.
func (rs *rows) missing(figure, target string) { rs.add(figure, NotMeasured, target, nil) }

func is(ok bool) *bool { return &ok }

// Build returns the table's rows, in the order.
func Build(p Parts) []Row {
	var rs rows
	rs.l1(p.L1)
	rs.l2(p.L2)
	rs.rollup(p.Rollup)
	rs.devnet(p.Devnet)
	return rs
}

func (rs *rows) l1(r *l1bench.Report) {
	ratioTarget := fmt.Sprintf("≥ %.0f %%", 100*L1RatioGoal)
	if r == nil || r.L1TPS == 0 {
		rs.missing("L1 finalized throughput", "")
		rs.missing("L1 ratio to the ceiling", ratioTarget)
		return
	}
	peak := fmt.Sprintf("L1 finalized throughput (%d validators, 1 s blocks, from block contents)", r.Validators)
	value := fmt.Sprintf("%s tx/s", thousands(r.L1TPS))
	if len(r.PeakReplays) > 0 {
		// Since session 41 the peak is the mean of the search's best step
		// and its replays on the fresh chain at the same age.
		peak += ": the peak, the mean of the search's best step and its replays on a fresh chain at the same age"
		samples := []string{thousands(r.SearchBestTPS)}
		for _, s := range r.PeakReplays {
			samples = append(samples, thousands(s.FinalizedTPS))
		}
		value = fmt.Sprintf("%s → %s tx/s", strings.Join(samples, " and "), thousands(r.L1TPS))
	}
	rs.add(peak, value, "", nil)
	rs.add(fmt.Sprintf("L1 ratio to the ceiling (%d cores / (%d validators × %.1f µs) = %s tx/s)", r.Machine.Cores, r.Validators,
		r.TxCostMicros, thousands(r.L1CeilingTPS)), fmt.Sprintf("%.0f %%", 100*r.L1Ratio), ratioTarget, is(r.L1Ratio >= L1RatioGoal))
	rs.l1Saturation(r)
}

// l1Saturation adds the rows of issue 17 beyond the ratio, for a report
// that has them: the load generator's share of the cores and the ratio on
// the cores it left, the plateau at twice the peak, latency at half the
// peak, and a validator's memory under saturating load.
func (rs *rows) l1Saturation(r *l1bench.Report) {
	if r.CeilingLeftTPS > 0 {
		rs.add(fmt.Sprintf("L1 load generator's CPU at the peak (of %d cores)", r.Machine.Cores),
			fmt.Sprintf("%.2f cores (%.0f %%)", r.LoadgenCores, 100*r.LoadgenShare), "", nil)
		rs.add(fmt.Sprintf("L1 ratio to the ceiling on the cores left to the validators ((%d − %.2f) cores: %s tx/s; not the goal's measure)",
			r.Machine.Cores, r.LoadgenCores, thousands(r.CeilingLeftTPS)), fmt.Sprintf("%.0f %%", 100*r.RatioLeft), "", nil)
	}
	if r.Plateau.Sent > 0 {
		// A search that ran out of steps still gaining may have found
		// less than the peak, and twice that is not twice the peak: the
		// plateau is then not judged.
		where := ""
		if r.Fresh {
			// Since session 36 the plateau runs on a fresh chain whose
			// history replays the search's up to the peak.
			where = fmt.Sprintf("; on a fresh chain replayed to the peak's age: %s transfers old, the peak's step began at %s",
				thousands(float64(r.PlateauAge())), thousands(float64(r.PeakAge)))
		}
		length := ""
		if r.PlateauSeconds > 0 {
			length = fmt.Sprintf(" for %.0f s", r.PlateauSeconds)
		}
		figure := fmt.Sprintf("L1 plateau: finalized at 2× the peak offered (%s tx/s%s; blocks every %.2f s; %s refusals at admission%s)",
			thousands(r.PlateauRate), length, r.Plateau.BlockInterval.Seconds(), thousands(float64(r.Plateau.SendErrors)), where)
		met := is(r.PlateauRatio >= l1bench.PlateauGoal)
		if r.SearchStillGaining > 0 {
			figure += fmt.Sprintf("; not judged: the search ran out of steps still gaining (+%.0f %%), so the peak may lie higher", 100*r.SearchStillGaining)
			met = nil
		}
		rs.add(figure, fmt.Sprintf("%s tx/s (%.0f %% of the peak)", thousands(r.Plateau.FinalizedTPS), 100*r.PlateauRatio),
			fmt.Sprintf("≥ %.0f %% of the peak", 100*l1bench.PlateauGoal), met)
	}
	if h := r.Plateau.HalvesTPS; r.Plateau.Sent > 0 && h[0] > 0 && h[1] > 0 {
		rs.add("L1 "+l1bench.PlateauHalvesRow, fmt.Sprintf("%s / %s tx/s (%.0f / %.0f %% of the peak)",
			thousands(h[0]), thousands(h[1]), 100*h[0]/r.L1TPS, 100*h[1]/r.L1TPS), "", nil)
	}
	if adj := r.SpeedAdjustedPlateau(); adj > 0 {
		figure := "L1 " + l1bench.SpeedAdjustedRow
		if warn := r.SpeedShiftWarning(); warn != "" {
			figure += "; " + warn
		}
		rs.add(figure, fmt.Sprintf("%.0f %%", 100*adj), "", nil)
	}
	if r.SearchPlateau.Sent > 0 {
		offered := "2× the peak"
		if len(r.PeakReplays) > 0 && r.SearchPlateau.OfferedRate > 0 {
			offered = fmt.Sprintf("2× the search's best step (%s tx/s)", thousands(r.SearchPlateau.OfferedRate))
		}
		rs.add(fmt.Sprintf("L1 plateau on the search's own chain (%s offered right after the search, %s transfers old; the goal's measure until session 35)",
			offered, thousands(float64(r.SearchAge()))),
			fmt.Sprintf("%s tx/s (%.0f %% of the peak)", thousands(r.SearchPlateau.FinalizedTPS), 100*r.SearchPlateauRatio), "", nil)
	}
	if r.Reference.Sent > 0 {
		rs.add(fmt.Sprintf("L1 the peak (%s tx/s) offered just after the plateau: finalized (what the chain's growth alone costs)",
			thousands(r.ReferenceRate)),
			fmt.Sprintf("%s tx/s (%.0f %% of the peak)", thousands(r.Reference.FinalizedTPS), 100*r.AgingRatio), "", nil)
		rs.add("L1 plateau against that reference (what overload alone costs; not the goal's measure)",
			fmt.Sprintf("%.0f %%", 100*r.SameAgeRatio), "", nil)
	}
	if r.HalfPeak.Sent > 0 {
		rs.add(fmt.Sprintf("L1 inclusion latency p50 / p99 at half the peak (%s tx/s)", thousands(r.HalfPeakRate)),
			fmt.Sprintf("%s / %s ms", thousands(float64(r.HalfPeak.LatencyP50.Milliseconds())), thousands(float64(r.HalfPeak.LatencyP99.Milliseconds()))),
			"p50 ≤ 1,500 ms", is(r.HalfPeak.LatencyP50 <= 1500*time.Millisecond))
	}
	if cell := r.SpeedCell(); cell != "" {
		rs.add("L1 the cores' speed against the idle machine (a fixed piece of work's CPU time) during "+r.SpeedOf(), cell, "", nil)
	}
	if r.StealRead {
		figure := "L1 the hypervisor's steal: the share of the CPU time asked for that a shared host withheld during " + r.StealOf()
		if c := r.Contended(); c != "" {
			figure += "; " + l1bench.ContendedWarning(c)
		}
		rs.add(figure, r.StealCell(), "≈ 0", nil)
	}
	if r.Plateau.Sent > 0 && r.RSSMB > 0 {
		rs.add("L1 validator resident memory under saturating load (max over validators, right after the plateau step)",
			fmt.Sprintf("%.0f MiB", r.RSSMB), fmt.Sprintf("≤ %d MiB", l1bench.MemoryGoalMiB), is(r.RSSMB <= l1bench.MemoryGoalMiB))
	}
}

func (rs *rows) l2(r *l2bench.Report) {
	t := l2bench.DefaultTargets()
	if r != nil && r.Targets.TPS > 0 {
		t = r.Targets
	}
	tpsTarget := fmt.Sprintf("≥ %s tx/s", thousands(t.TPS))
	p50Target, p99Target := fmt.Sprintf("≤ %d ms", t.P50.Milliseconds()), fmt.Sprintf("≤ %d ms", t.P99.Milliseconds())
	if r == nil || r.TPS == 0 {
		rs.missing("L2 soft-confirmed throughput", tpsTarget)
		rs.missing("L2 send → receipt p50 at half the peak", p50Target)
		rs.missing("L2 send → receipt p99 at half the peak", p99Target)
		return
	}
	rs.add("L2 soft-confirmed throughput (one sequencer, peak, from block contents)", fmt.Sprintf("%s tx/s", thousands(r.TPS)),
		tpsTarget, is(r.TPS >= t.TPS))
	// What the shared host did during the peak's step, as the L1 rows say
	// it for theirs; a run that read the gauge (since session 38) read
	// the steal too.
	if v := loadgen.Speed(r.GaugeIdle, r.PeakGauge); v > 0 {
		rs.add("L2 the cores' speed against the idle machine (a fixed piece of work's CPU time) during the peak's step", fmt.Sprintf("%.2f", v), "", nil)
		rs.add("L2 cores the hypervisor took during the peak's step (a shared host's steal)", fmt.Sprintf("%.2f", r.PeakStolenCores), "≈ 0", nil)
	}
	if r.LatencySent == 0 {
		rs.missing("L2 send → receipt p50 at half the peak", p50Target)
		rs.missing("L2 send → receipt p99 at half the peak", p99Target)
		return
	}
	rs.add(fmt.Sprintf("L2 send → receipt p50 at half the peak (%s tx/s)", thousands(r.LatencyRate)), fmt.Sprintf("%s ms", thousands(r.LatencyP50)),
		p50Target, is(r.LatencyP50 <= ms(t.P50)))
	rs.add(fmt.Sprintf("L2 send → receipt p99 at half the peak (%s tx/s)", thousands(r.LatencyRate)), fmt.Sprintf("%s ms", thousands(r.LatencyP99)),
		p99Target, is(r.LatencyP99 <= ms(t.P99)))
}

func (rs *rows) rollup(r *rollupbench.Report) {
	bytesTarget := fmt.Sprintf("≤ %d B", rollupbench.TargetBytesPerTransfer)
	proofTarget := fmt.Sprintf("whole proof ≤ %s (one L1 transaction)", mib(protocol.MaxFraudProofSize))
	verifyTarget := fmt.Sprintf("≤ %d ms", rollupbench.TargetChallengeMs)
	beyondTarget := fmt.Sprintf("≤ %d L1 blocks", rollupbench.TargetBeyondWindowBlocks)
	if r == nil || r.BytesPerTransferWallet == 0 {
		rs.missing("L1 bytes per L2 transfer (wallet amounts)", bytesTarget)
		rs.missing("L1 bytes per L2 transfer (random 18-digit values)", bytesTarget)
		rs.missing("fraud-proof witness size", proofTarget)
		rs.missing("fraud-proof L1 verification time", verifyTarget)
	} else {
		rs.add("L1 bytes per L2 transfer (zstd batch; wallet amounts)", fmt.Sprintf("%.1f B", r.BytesPerTransferWallet),
			bytesTarget, is(r.BytesPerTransferWallet <= rollupbench.TargetBytesPerTransfer))
		rs.add(fmt.Sprintf("L1 bytes per L2 transfer (random 18-digit values; their floor %.1f B)", rollupbench.FloorBytesRandomValue),
			fmt.Sprintf("%.1f B", r.BytesPerTransferRandom), bytesTarget, is(r.BytesPerTransferRandom <= rollupbench.TargetBytesPerTransfer))
		rs.add("fraud-proof witness size (full block: 1,000 transfers over 100k accounts; whole proof)",
			fmt.Sprintf("%s (%s)", kb(r.ChallengeWitnessBytes), kb(r.ChallengeProofBytes)), proofTarget,
			is(r.ChallengeProofBytes > 0 && r.ChallengeProofBytes <= protocol.MaxFraudProofSize))
		rs.add("fraud-proof L1 verification time (same block)", fmt.Sprintf("%.0f ms", r.ChallengeMsPerVerify), verifyTarget,
			is(r.ChallengeMsPerVerify <= rollupbench.TargetChallengeMs))
	}
	if r == nil || len(r.Deposits) == 0 {
		rs.missing("deposit latency: L1 inclusion → L2 credit", "")
	} else {
		rs.add(fmt.Sprintf("deposit latency: L1 inclusion → L2 credit (median of %d; from sending the L1 transaction, %s L1 blocks: %s ms)",
			len(r.Deposits), seconds(r.BridgeL1BlockTimeS), thousands(r.DepositSendMs)), fmt.Sprintf("%s ms", thousands(r.DepositMs)), "", nil)
	}
	if r == nil || len(r.Withdrawals) == 0 {
		rs.missing("withdrawal latency beyond the challenge window", beyondTarget)
		rs.missing("withdrawal latency: L2 transaction → L1 payout", "")
		return
	}
	rs.add(fmt.Sprintf("withdrawal latency beyond the challenge window: batch accepted → paid − W (median of %d)", len(r.Withdrawals)),
		fmt.Sprintf("%.0f L1 blocks", r.WithdrawalBeyondWindow), beyondTarget, is(r.WithdrawalBeyondWindow <= rollupbench.TargetBeyondWindowBlocks))
	rs.add(fmt.Sprintf("withdrawal latency: L2 transaction → L1 payout (W = %d L1 blocks of %s)", r.BridgeChallengeWindow, seconds(r.BridgeL1BlockTimeS)),
		fmt.Sprintf("%.1f s", r.WithdrawalToPayoutS), "", nil)
}

func (rs *rows) devnet(r *devnetbench.Report) {
	l1Target := fmt.Sprintf("≤ %d s", devnetbench.TargetFirstL1BlockS)
	memTarget := fmt.Sprintf("≤ %d MB (%.0f MiB)", devnetbench.GoalTotalMB, devnetbench.GoalTotalMiB())
	if r == nil || r.FirstL1BlockS == 0 {
		rs.missing("devnet start → first L1 block", l1Target)
		rs.missing("devnet start → first L2 block", "")
		rs.missing("resident memory per process", "")
		rs.missing("resident memory, all six processes", memTarget)
		return
	}
	rs.add(fmt.Sprintf("devnet start (`devnet up`) → first L1 block on all %d validators", r.Validators), fmt.Sprintf("%.2f s", r.FirstL1BlockS),
		l1Target, is(r.FirstL1BlockS <= devnetbench.TargetFirstL1BlockS))
	rs.add("devnet start → first L2 block (the sequencer starts after the first L1 block)", fmt.Sprintf("%.2f s", r.FirstL2BlockS), "", nil)
	figure := fmt.Sprintf("resident memory per process (after %.0f s of light load)", r.LoadS)
	if !r.MemoryMeasured {
		rs.add(figure, "n/a", "", nil)
		rs.add("resident memory, all six processes", "n/a", memTarget, nil)
		return
	}
	rs.add(figure, r.PerProcess(), "", nil)
	rs.add(fmt.Sprintf("resident memory, all %d processes", len(r.Processes)),
		fmt.Sprintf("%.0f MiB (%.0f MB)", r.TotalRSSMiB, devnetbench.MiBToMB(r.TotalRSSMiB)), memTarget, is(r.MemoryGoalMet()))
}

// Header describes the run above the table.
type Header struct {
	// Cores and CPU describe the machine; Commit is the source's.
	Cores  int
	CPU    string
	Commit string
	// Date is when the table was made.
	Date time.Time
	// Carried names the parts not run this time whose figures come from
	// the results file, with when they were measured.
	Carried []string
	// Notes are printed under the table (e.g. a busy machine).
	Notes []string
}

// Markdown prints the table.
func Markdown(w io.Writer, h Header, rs []Row) {
	fmt.Fprintf(w, "\n### bilayer — both layers (%s, %d cores: %s, commit %s)\n\n", h.Date.UTC().Format("2006-01-02"), h.Cores, h.CPU, h.Commit)
	fmt.Fprintln(w, "| figure | value | target / goal | met? |")
	fmt.Fprintln(w, "|---|---:|---|---|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.Figure, r.Value, r.Target, metString(r.Met))
	}
	if len(h.Carried) > 0 {
		fmt.Fprintf(w, "\nFrom the results file, not run this time: %s.\n", strings.Join(h.Carried, "; "))
	}
	for _, n := range h.Notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
}

func metString(m *bool) string {
	switch {
	case m == nil:
		return ""
	case *m:
		return "✅ met"
	default:
		return "❌ missed"
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// thousands prints v rounded, with commas between thousands.
func thousands(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// kb prints a byte count in kB (10^3 bytes).
func kb(bytes float64) string { return fmt.Sprintf("%s kB", thousands(bytes/1000)) }

// mib prints a byte count in MiB.
func mib(bytes int) string { return fmt.Sprintf("%d MiB", bytes>>20) }

// seconds prints a duration given in seconds, e.g. "1 s", "0.25 s".
func seconds(s float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", s), "0"), ".") + " s"
}
