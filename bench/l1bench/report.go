package l1bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/core/execution"
)

// WriteJSON writes the report to path, creating its directory.
func (r *Report) WriteJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// Markdown prints the report as a markdown table.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n### bilayer L1 benchmark — %d validators, %d cores (%s), commit %s\n\n", r.Validators, r.Machine.Cores, r.Machine.CPU, r.Machine.Commit)
	fmt.Fprintln(w, "| metric | value | goal |")
	fmt.Fprintln(w, "|---|---:|---|")
	fmt.Fprintf(w, "| L1 finalized throughput | %.0f tx/s | |\n", r.L1TPS)
	if len(r.PeakReplays) > 0 {
		fmt.Fprintf(w, "| the peak: the mean of the search's best step and %s on a fresh chain at its age (the best of several 10 s steps is biased up by its own noise) | %s | |\n",
			replaysOf(len(r.PeakReplays)), r.PeakSamplesCell())
	}
	fmt.Fprintf(w, "| ceiling = cores / (validators × cost) | %.0f tx/s | |\n", r.L1CeilingTPS)
	fmt.Fprintf(w, "| ratio to ceiling | %.0f %% | ≥ 60 %% |\n", 100*r.L1Ratio)
	if r.SearchStillGaining > 0 {
		fmt.Fprintf(w, "| ⚠ the search ran out of steps still gaining (its last ramp step +%.0f %%): the peak may lie higher; run again with more --max-steps | | |\n",
			100*r.SearchStillGaining)
	}
	if r.CeilingLeftTPS > 0 {
		fmt.Fprintf(w, "| load generator CPU at the peak (its share of the %d cores) | %.2f cores (%.0f %%) | |\n",
			r.Machine.Cores, r.LoadgenCores, 100*r.LoadgenShare)
		fmt.Fprintf(w, "| ceiling on the cores left to the validators = (%d − %.2f) cores / (validators × cost) | %.0f tx/s | |\n",
			r.Machine.Cores, r.LoadgenCores, r.CeilingLeftTPS)
		fmt.Fprintf(w, "| ratio to the ceiling on the cores left to the validators | %.0f %% | |\n", 100*r.RatioLeft)
		fmt.Fprintf(w, "| CPU cores at the peak: validators / other processes | %.2f / %.2f | other ≈ 0 |\n", r.ValidatorCores, r.OtherCores)
	}
	fmt.Fprintf(w, "| state transition cost (one core; median of the runs before and right after the search) | %.1f µs/tx (%.1f before, %.1f after) | |\n",
		r.TxCostMicros, r.TxCostBeforeMicros, r.TxCostAfterMicros)
	if cell := r.SpeedCell(); cell != "" {
		fmt.Fprintf(w, "| the cores' speed, a fixed piece of work's CPU time on the idle machine over the same during %s (1: as fast as idle; the bench's own load lowers it too) | %s | |\n",
			r.SpeedOf(), cell)
	}
	if r.StealRead {
		fmt.Fprintf(w, "| the hypervisor's steal, the share of the CPU time asked for that a shared host withheld: %s | %s | ≈ 0 |\n", r.StealOf(), r.StealCell())
		if c := r.Contended(); c != "" {
			fmt.Fprintf(w, "| %s | | |\n", ContendedWarning(c))
		}
	}
	if r.Prefund > 0 {
		fmt.Fprintf(w, "| the load's recipients | %d accounts funded at genesis (the state does not grow) | |\n", r.Prefund)
	} else {
		fmt.Fprintln(w, "| the load's recipients | a new account per transfer (the state grows with the load) | |")
	}
	fmt.Fprintf(w, "| block interval at the peak | %.2f s | 1 s |\n", r.BlockInterval)
	fmt.Fprintf(w, "| inclusion latency p50 / p99 at the peak | %.0f / %.0f ms | |\n", r.LatencyP50, r.LatencyP99)
	if r.Plateau.Sent > 0 {
		where := ""
		if r.Fresh {
			where = fmt.Sprintf(" on a fresh chain replayed to the peak's age (%d transfers old; the peak's step began at %d)",
				r.PlateauAge(), r.PeakAge)
		}
		fmt.Fprintf(w, "| plateau: offered 2× the peak (%.0f tx/s)%s%s, finalized | %.0f tx/s = %.0f %% of the peak | ≥ %.0f %% |\n",
			r.PlateauRate, r.plateauFor(), where, r.Plateau.FinalizedTPS, 100*r.PlateauRatio, 100*PlateauGoal)
		if h := r.Plateau.HalvesTPS; h[0] > 0 && h[1] > 0 && r.L1TPS > 0 {
			fmt.Fprintf(w, "| %s | %.0f / %.0f tx/s = %.0f / %.0f %% of the peak | |\n",
				PlateauHalvesRow, h[0], h[1], 100*h[0]/r.L1TPS, 100*h[1]/r.L1TPS)
		}
		// A refused transfer is offered again, so the refusals can
		// outnumber the distinct transfers offered.
		fmt.Fprintf(w, "| plateau: block interval; refusals at admission, for the distinct transfers offered | %.2f s; %d for %d (%s) | 1 s |\n",
			r.Plateau.BlockInterval.Seconds(), r.Plateau.SendErrors, r.Plateau.Sent, firstWords(r.Plateau.FirstError))
	}
	if r.PeakMicrosPerIncluded > 0 && r.PlateauMicrosPerIncluded > 0 {
		fmt.Fprintf(w, "| validator CPU per transfer included, first send to last inclusion: the peak's step / the plateau (a peak step cheaper than the plateau lowers goal 2's ratio) | %.0f / %.0f µs (the plateau %+.0f %%) | |\n",
			r.PeakMicrosPerIncluded, r.PlateauMicrosPerIncluded, 100*(r.PlateauMicrosPerIncluded/r.PeakMicrosPerIncluded-1))
	}
	if adj := r.SpeedAdjustedPlateau(); adj > 0 {
		fmt.Fprintf(w, "| %s | %.0f %% (speeds %.2f at the peak, %.2f at the plateau) | |\n", SpeedAdjustedRow, 100*adj, r.Speed(r.PeakGauge), r.Speed(r.Plateau.Gauge))
	}
	if warn := r.SpeedShiftWarning(); warn != "" {
		fmt.Fprintf(w, "| %s | | |\n", warn)
	}
	if r.SearchPlateau.Sent > 0 {
		fmt.Fprintf(w, "| plateau on the search's own chain: offered %s%s right after the search, %d transfers old (the goal's measure until session 35) | %.0f tx/s = %.0f %% of the peak; blocks every %.2f s | |\n",
			r.searchPlateauOffered(), r.plateauFor(), r.SearchAge(), r.SearchPlateau.FinalizedTPS, 100*r.SearchPlateauRatio, r.SearchPlateau.BlockInterval.Seconds())
	}
	if lo, hi, ok := r.replayRange(); ok {
		fmt.Fprintf(w, "| the search's %d steps before the peak, offered again on the fresh chain: finalized against the search's | %.0f–%.0f %% | |\n",
			len(r.Replay), 100*lo, 100*hi)
	}
	if r.Reference.Sent > 0 {
		fmt.Fprintf(w, "| the peak (%.0f tx/s) offered just after the plateau: finalized (the chain's growth alone) | %.0f tx/s = %.0f %% of the peak | |\n",
			r.ReferenceRate, r.Reference.FinalizedTPS, 100*r.AgingRatio)
		fmt.Fprintf(w, "| plateau against that reference (overload alone; not the goal's measure) | %.0f %% | |\n", 100*r.SameAgeRatio)
		if r.ReferenceMicrosPerIncluded > 0 && r.PlateauMicrosPerIncluded > 0 {
			fmt.Fprintf(w, "| validator CPU per transfer included, first send to last inclusion (admission, refusals, drain): the reference / the plateau | %.0f / %.0f µs (the plateau %+.0f %%) | |\n",
				r.ReferenceMicrosPerIncluded, r.PlateauMicrosPerIncluded, 100*(r.PlateauMicrosPerIncluded/r.ReferenceMicrosPerIncluded-1))
		}
	}
	if r.HalfPeak.Sent > 0 {
		fmt.Fprintf(w, "| inclusion latency p50 / p99 at half the peak (%.0f tx/s) | %d / %d ms | p50 ≤ 1,500 ms |\n",
			r.HalfPeakRate, r.HalfPeak.LatencyP50.Milliseconds(), r.HalfPeak.LatencyP99.Milliseconds())
	}
	fmt.Fprintf(w, "| process start → first block on every node | %.2f s | ≤ 3 s |\n", r.DevnetStart)
	fmt.Fprintf(w, "| resident memory per validator under saturating load (max; peak) | %.0f MiB; %.0f MiB | ≤ %d MiB |\n",
		r.RSSMB, r.RSSPeakMB, MemoryGoalMiB)
	fmt.Fprintln(w)
	// The chain's age (the transfers included before a step: with no
	// prefunded recipients, the accounts the state has grown by) beside
	// the validators' CPU per finalized transfer shows what the age
	// costs: the same code spends about twice as much per transfer on a
	// chain 200k transfers old as on one 50k old (issue 17, session 18).
	// Validator-0's heights beside them show how late the heights ran and
	// the gas target that left (issue 17, session 20: under overload at
	// age the heights run late and the target is cut), and how many of the
	// blocks it proposed it had built ahead (session 22: behind a backlog
	// it almost never had, and nothing showed it). The cuts of its target
	// in the step beside it show how a collapsed plateau came about
	// (session 38: cut twice in its first seconds, grown back slowly).
	fmt.Fprintln(w, "| offered tx/s | finalized tx/s | included / sent | transfers before | validator CPU µs per finalized transfer | block interval s | p50 ms | p99 ms | send errors | validator-0's heights: mean s (over 1.5 s / all) | its gas target at the end, transfers (cuts in the step) | its blocks built ahead | its sender recoveries per transfer it committed: JSON-RPC + gossip + blocks = all | cores the hypervisor took | the cores' speed against idle | CPU cores |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	var before int
	row := func(label string, s loadgen.Result) {
		perTx := "–"
		if us := validatorMicrosPerTx(s, r.Validators); us > 0 {
			perTx = fmt.Sprintf("%.0f", us)
		}
		heights, target, ahead, recoveries := heightCells(s)
		speed := "–"
		if v := r.Speed(s.Gauge); v > 0 {
			speed = fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(w, "| %s%.0f | %.0f | %d / %d | %d | %s | %.2f | %d | %d | %d | %s | %s | %s | %s | %.2f | %s | %s |\n", label, s.OfferedRate, s.FinalizedTPS, s.Included, s.Sent,
			before, perTx, s.BlockInterval.Seconds(), s.LatencyP50.Milliseconds(), s.LatencyP99.Milliseconds(), s.SendErrors, heights, target, ahead, recoveries,
			s.StolenCores, speed, loadgen.CPUString(s.CPU))
		before += s.Included
	}
	for _, s := range r.Steps {
		row("", s)
	}
	if r.SearchPlateau.Sent > 0 {
		row("2× peak, search's chain: ", r.SearchPlateau)
	}
	if len(r.PeakReplays) > 0 {
		before = 0 // the peak's fresh chain's own age
		for _, s := range r.PeakChainReplay {
			row("the peak's chain, replayed: ", s)
		}
		for _, s := range r.PeakReplays {
			row("the peak's chain, the peak's step again: ", s)
		}
	}
	if r.Fresh {
		before = 0 // the plateau's fresh chain's own age
		for _, s := range r.Replay {
			row("fresh chain, replayed: ", s)
		}
	}
	if r.Plateau.Sent > 0 {
		row("2× peak: ", r.Plateau)
	}
	if r.Reference.Sent > 0 {
		row("peak again: ", r.Reference)
	}
	if r.HalfPeak.Sent > 0 {
		row("½ peak: ", r.HalfPeak)
	}
	if r.Pair != nil {
		r.Pair.markdown(w)
	}
	if r.ProfileError != "" {
		line, _, _ := strings.Cut(r.ProfileError, "\n")
		fmt.Fprintf(w, "\nThe CPU profile asked for was not written (%s); the figures above stand.\n", strings.TrimSpace(line))
	}
}

// PlateauHalvesRow names the plateau's halves in the tables: its first
// half covers about the peak's step's span of the chain's age, its second
// a chain older by the first's transfers.
const PlateauHalvesRow = "plateau: finalized in its first half / its second (the first on about the chain the peak's step had, the second on a chain older by the first half's transfers; not the goal's measure)"

// replaysOf names n replays of the peak's step.
func replaysOf(n int) string {
	if n == 1 {
		return "its replay"
	}
	return fmt.Sprintf("its %d replays", n)
}

// PeakSamplesCell gives the peak's samples and their mean: "2,410 and
// 2,260 → 2,335 tx/s", or "" when the peak is the search's step alone.
func (r *Report) PeakSamplesCell() string {
	if len(r.PeakReplays) == 0 {
		return ""
	}
	parts := []string{fmt.Sprintf("%.0f", r.SearchBestTPS)}
	for _, s := range r.PeakReplays {
		parts = append(parts, fmt.Sprintf("%.0f", s.FinalizedTPS))
	}
	return fmt.Sprintf("%s → %.0f tx/s", strings.Join(parts, " and "), r.L1TPS)
}

// searchPlateauOffered says what the search's chain's plateau offered:
// twice the search's best step, which is twice the peak unless the peak
// was confirmed by replays.
func (r *Report) searchPlateauOffered() string {
	if len(r.PeakReplays) > 0 && r.SearchPlateau.OfferedRate > 0 {
		return fmt.Sprintf("2× the search's best step (%.0f tx/s)", r.SearchPlateau.OfferedRate)
	}
	return "2× the peak"
}

// plateauFor says how long the plateaus were offered (" for 20 s"), or
// nothing for a report that did not record it.
func (r *Report) plateauFor() string {
	if r.PlateauSeconds <= 0 {
		return ""
	}
	return fmt.Sprintf(" for %.0f s", r.PlateauSeconds)
}

// replayRange is the least and the most that a replayed step finalized
// against the search's step it replays (ok false if no step was replayed
// or a search step finalized nothing): how closely the fresh chain
// retraced the search's.
func (r *Report) replayRange() (lo, hi float64, ok bool) {
	for i, s := range r.Replay {
		if i >= len(r.Steps) || r.Steps[i].FinalizedTPS <= 0 {
			return 0, 0, false
		}
		q := s.FinalizedTPS / r.Steps[i].FinalizedTPS
		if !ok {
			lo, hi, ok = q, q, true
		}
		lo, hi = min(lo, q), max(hi, q)
	}
	return lo, hi, ok
}

// validatorMicrosPerTx returns the CPU one validator spent per finalized
// transfer in step s, in microseconds: the validators' cores over the
// finalized rate and the number of validators, the figure the ceiling's
// state-transition cost compares with. It is 0 when the step recorded no
// validator CPU or finalized nothing.
func validatorMicrosPerTx(s loadgen.Result, validators int) float64 {
	cores := validatorSum(s.CPU)
	if cores <= 0 || s.FinalizedTPS <= 0 || validators <= 0 {
		return 0
	}
	return cores * 1e6 / s.FinalizedTPS / float64(validators)
}

// validatorMicrosPerIncluded is the validators' CPU per transfer the step
// included, from its first send to its last inclusion
// (Result.CPUThroughDrain), per validator: what a transfer cost with its
// admission, the step's refusals and its backlog's drain counted, or 0 if
// not measured.
func validatorMicrosPerIncluded(s loadgen.Result, validators int) float64 {
	secs := validatorSum(s.CPUThroughDrain)
	if secs <= 0 || s.Included <= 0 || validators <= 0 {
		return 0
	}
	return secs * 1e6 / float64(s.Included) / float64(validators)
}

// heightCells are a step's height cells: validator-0's mean height with
// its late and all heights, its gas target in transfers with the cuts the
// step made to it, the blocks it proposed built ahead, and the senders it
// recovered per transfer it committed (by path, then in all; ideally one
// per transfer, issue 17), or "–" for a step that read no height metrics.
func heightCells(s loadgen.Result) (heights, target, ahead, recoveries string) {
	h := s.Heights
	if h == nil {
		return "–", "–", "–", "–"
	}
	recoveries = "–"
	if rpc, gossip, block, all, ok := h.RecoveriesPerCommitted(); ok {
		recoveries = fmt.Sprintf("%.2f + %.2f + %.2f = %.2f", rpc, gossip, block, all)
	}
	return fmt.Sprintf("%.2f (%d / %d)", h.MeanSeconds, h.Late, h.Count), fmt.Sprintf("%.0f (%d)", h.GasTarget/float64(execution.TxGas), h.Cuts),
		fmt.Sprint(h.BuiltAhead), recoveries
}

// firstWords shortens an error for a table cell.
func firstWords(s string) string {
	if s == "" {
		return "none"
	}
	if i := strings.IndexAny(s, ":|"); i > 0 {
		s = s[:i]
	}
	return s
}
