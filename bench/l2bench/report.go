package l2bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// Markdown prints the report as markdown tables: the headline numbers
// beside their targets with a pass or miss mark, then every search step.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n### bilayer L2 benchmark — one sequencer on a 1-validator L1, %d cores (%s), commit %s\n\n",
		r.Machine.Cores, r.Machine.CPU, r.Machine.Commit)
	flags := "devnet defaults"
	if len(r.SequencerArgs) > 0 {
		flags = strings.Join(r.SequencerArgs, " ")
	}
	fmt.Fprintf(w, "%d load accounts, %d connections, JSON-RPC batches of 100, %.0f s steps; sequencer: %s (genesis block time %s, cap %d tx/block)\n\n",
		r.Accounts, r.Connections, r.StepDurationS, flags, time.Duration(r.BlockTimeDefault*float64(time.Second)), r.MaxTxsPerBlock)
	fmt.Fprintln(w, "| metric | value | target |")
	fmt.Fprintln(w, "|---|---:|---|")
	fmt.Fprintf(w, "| L2 soft-confirmed throughput (peak, from block contents) | %.0f tx/s | ≥ %.0f tx/s %s |\n",
		r.TPS, r.Targets.TPS, mark(r.TPS >= r.Targets.TPS))
	if r.CeilingTPS > 0 {
		fmt.Fprintf(w, "| ceiling = min(1 / produce, cores / (admit + produce), block policy cap) | %.0f tx/s | |\n", r.CeilingTPS)
		fmt.Fprintf(w, "| ratio to ceiling | %.0f %% | |\n", 100*r.TPS/r.CeilingTPS)
		fmt.Fprintf(w, "| sequencer cost in one process: admission / production (serial) | %.0f / %.0f µs/tx | |\n", r.AdmitMicros, r.ProduceMicros)
	} else {
		fmt.Fprintln(w, "| ceiling | not measured (the cost benchmark failed; see the log) | |")
	}
	fmt.Fprintf(w, "| block policy cap: %d tx/block every min-block-time | %.0f tx/s | |\n", r.MaxTxsPerBlock, r.PolicyCapTPS)
	fmt.Fprintf(w, "| send → receipt latency p50 at half the peak (%.0f tx/s) | %.0f ms | ≤ %d ms %s |\n",
		r.LatencyRate, r.LatencyP50, r.Targets.P50.Milliseconds(), mark(r.LatencyP50 > 0 && r.LatencyP50 <= ms(r.Targets.P50)))
	fmt.Fprintf(w, "| send → receipt latency p99 at half the peak | %.0f ms | ≤ %d ms %s |\n",
		r.LatencyP99, r.Targets.P99.Milliseconds(), mark(r.LatencyP99 > 0 && r.LatencyP99 <= ms(r.Targets.P99)))
	fmt.Fprintf(w, "| included / sent at half the peak | %d / %d | |\n", r.LatencyIncluded, r.LatencySent)
	fmt.Fprintf(w, "| block interval / transfers per block at the peak | %.3f s / %.0f | |\n", r.BlockInterval, r.TxsPerBlock)
	fmt.Fprintf(w, "| CPU cores used at the peak (of %d) | %s | |\n", r.Machine.Cores, loadgen.CPUString(r.PeakCPU))
	fmt.Fprintf(w, "| cores the hypervisor took at the peak (a shared host's steal) | %.2f | ≈ 0 |\n", r.PeakStolenCores)
	if v := loadgen.Speed(r.GaugeIdle, r.PeakGauge); v > 0 {
		fmt.Fprintf(w, "| the cores' speed at the peak against the idle machine (a fixed piece of work's CPU time) | %.2f | |\n", v)
	}
	fmt.Fprintf(w, "| sequencer start → RPC answering | %.2f s | |\n", r.SequencerStart)
	fmt.Fprintf(w, "| sequencer resident memory | %.0f MiB | |\n", r.SequencerRSSMB)
	fmt.Fprintf(w, "| funding %d load accounts on the L2 (fan-out) | %.1f s | |\n", r.Accounts, r.FundSeconds)
	if r.ProfilePath != "" {
		fmt.Fprintf(w, "| sequencer CPU profile at the peak | %s | |\n", r.ProfilePath)
	}
	if r.ProfileError != "" {
		fmt.Fprintf(w, "| sequencer CPU profile at the peak | not written: %s | |\n", firstLine(r.ProfileError))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| offered tx/s | soft-confirmed tx/s | included / sent | blocks | p50 ms | p99 ms | send errors | cores the hypervisor took | the cores' speed against idle | CPU cores |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, s := range r.Steps {
		r.stepRow(w, fmt.Sprintf("%.0f", s.OfferedRate), s)
	}
	if r.HalfPeak.Sent > 0 {
		r.stepRow(w, fmt.Sprintf("%.0f (half peak)", r.HalfPeak.OfferedRate), r.HalfPeak)
	}
	if o := r.PeakCPU[loadgen.OtherProcesses]; o >= quietCores {
		fmt.Fprintf(w, "\n⚠ The machine was not quiet: other processes used %.2f of its %d cores during the peak step, so these numbers understate the sequencer.\n",
			o, r.Machine.Cores)
	}
	if r.PeakStolenCores >= quietCores {
		fmt.Fprintf(w, "\n⚠ The host was not quiet: the hypervisor took %.2f of the machine's %d cores during the peak step (another guest ran on them), so these numbers understate the sequencer.\n",
			r.PeakStolenCores, r.Machine.Cores)
	}
	for _, s := range append(slices.Clone(r.Steps), r.HalfPeak) {
		if s.FirstError != "" {
			fmt.Fprintf(w, "\nFirst send error at %.0f tx/s: %s\n", s.OfferedRate, s.FirstError)
			break
		}
	}
}

// stepRow writes one row of the steps table, for the step offered as
// offered says.
func (r *Report) stepRow(w io.Writer, offered string, s loadgen.Result) {
	speed := "n/a"
	if v := loadgen.Speed(r.GaugeIdle, s.Gauge); v > 0 {
		speed = fmt.Sprintf("%.2f", v)
	}
	fmt.Fprintf(w, "| %s | %.0f | %d / %d | %d | %d | %d | %d | %.2f | %s | %s |\n", offered, s.FinalizedTPS, s.Included, s.Sent,
		s.Blocks, s.LatencyP50.Milliseconds(), s.LatencyP99.Milliseconds(), s.SendErrors, s.StolenCores, speed, loadgen.CPUString(s.CPU))
}

// firstLine is s up to its first line break, for a table cell.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func mark(ok bool) string {
	if ok {
		return "✅ met"
	}
	return "❌ missed"
}
