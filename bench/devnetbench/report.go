package devnetbench

import (
	"fmt"
	"io"
	"strings"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// Goals of the issue for the whole devnet.
const (
	// GoalTotalMB bounds the resident memory of the six processes, in MB
	// (10^6 bytes).
	GoalTotalMB = 600
	// TargetFirstL1BlockS bounds the time from `devnet up` to the first
	// block on every validator.
	TargetFirstL1BlockS = 3
)

// bytesPerMiB converts the reports' MiB to the goal's MB.
const bytesPerMiB = 1 << 20

// MiBToMB converts mebibytes to megabytes (10^6 bytes).
func MiBToMB(mib float64) float64 { return mib * bytesPerMiB / 1e6 }

// GoalTotalMiB is GoalTotalMB in MiB, the unit the report measures in.
func GoalTotalMiB() float64 { return GoalTotalMB * 1e6 / bytesPerMiB }

// Process is one devnet process and its resident memory at the end of
// the light load.
type Process struct {
	// Name is the node's name (validator-0, sequencer, challenger).
	Name string `json:"name"`
	// Role is its endpoints.json role.
	Role string `json:"role"`
	// PID is its process id.
	PID int `json:"pid"`
	loadgen.Memory
}

// Report is the outcome. Every JSON key starts with devnet_ (l1bench's
// devnet_start_s, the L1-only devnet's start, is not one of them).
type Report struct {
	Validators int `json:"devnet_validators"`
	// GenerateS is `devnet generate`'s time (keys, genesis), before the
	// timed start.
	GenerateS float64 `json:"devnet_generate_s"`
	// FirstL1BlockS is from the start of `devnet up` until every
	// validator's eth_blockNumber is at least 1.
	FirstL1BlockS float64 `json:"devnet_first_l1_block_s"`
	// L2RPCS is from the start until the sequencer's RPC answered (it is
	// started once the L1 commits blocks).
	L2RPCS float64 `json:"devnet_l2_rpc_s"`
	// FirstL2BlockS is from the start until the sequencer's
	// eth_blockNumber is at least 1.
	FirstL2BlockS float64 `json:"devnet_first_l2_block_s"`
	// AllUpS is from the start until endpoints.json lists every process
	// with its pid (`devnet up` writes it once the challenger answers).
	AllUpS float64 `json:"devnet_all_up_s"`
	// LoadS is how long the light load ran before memory was read, at
	// LoadRate transfers a second on each layer.
	LoadS    float64 `json:"devnet_load_s"`
	LoadRate float64 `json:"devnet_load_tps_per_layer"`
	// L1Sent, L1Included, L2Sent and L2Included count the load's
	// transfers (included: in a block when memory was read, or shortly
	// after).
	L1Sent     int `json:"devnet_load_l1_sent"`
	L1Included int `json:"devnet_load_l1_included"`
	L2Sent     int `json:"devnet_load_l2_sent"`
	L2Included int `json:"devnet_load_l2_included"`
	// LoadErrors counts refused sends; FirstLoadError is the first.
	LoadErrors     int    `json:"devnet_load_errors"`
	FirstLoadError string `json:"devnet_load_first_error,omitempty"`
	// MemoryMeasured is false where /proc/<pid>/status cannot be read
	// (not Linux): the memory figures are then zero.
	MemoryMeasured bool `json:"devnet_memory_measured"`
	// Processes are the six processes, validators first.
	Processes []Process `json:"devnet_processes"`
	// TotalRSSMiB and TotalPeakMiB sum the processes' resident memory now
	// and their peaks.
	TotalRSSMiB  float64 `json:"devnet_rss_total_mib"`
	TotalPeakMiB float64 `json:"devnet_peak_rss_total_mib"`
	// SupervisorRSSMiB is `devnet up`'s own memory, not one of the six.
	SupervisorRSSMiB float64         `json:"devnet_supervisor_rss_mib"`
	GoalMB           float64         `json:"devnet_rss_goal_mb"`
	Machine          loadgen.Machine `json:"devnet_machine"`
	FinishedAt       string          `json:"devnet_finished_at"`
}

// MemoryGoalMet says whether the six processes together stayed within
// GoalTotalMB.
func (r *Report) MemoryGoalMet() bool {
	return r.MemoryMeasured && MiBToMB(r.TotalRSSMiB) <= GoalTotalMB
}

// PerProcess lists each process's resident memory, e.g. "validator-0 120,
// …, challenger 80 MiB"; "n/a" if memory was not measured.
func (r *Report) PerProcess() string {
	if !r.MemoryMeasured || len(r.Processes) == 0 {
		return "n/a"
	}
	parts := make([]string, len(r.Processes))
	for i, p := range r.Processes {
		parts[i] = fmt.Sprintf("%s %.0f", p.Name, p.RSSMiB)
	}
	return strings.Join(parts, ", ") + " MiB"
}

func mark(ok bool) string {
	if ok {
		return "✅ met"
	}
	return "❌ missed"
}

// Markdown prints the report as a markdown table.
func (r *Report) Markdown(w io.Writer) {
	fmt.Fprintf(w, "\n### bilayer devnet — `devnet up`: %d validators, a sequencer and a challenger, %d cores (%s), commit %s\n\n",
		r.Validators, r.Machine.Cores, r.Machine.CPU, r.Machine.Commit)
	fmt.Fprintln(w, "| metric | value | goal |")
	fmt.Fprintln(w, "|---|---:|---|")
	fmt.Fprintf(w, "| `devnet up` → first L1 block on every validator | %.2f s | ≤ %d s %s |\n",
		r.FirstL1BlockS, TargetFirstL1BlockS, mark(r.FirstL1BlockS > 0 && r.FirstL1BlockS <= TargetFirstL1BlockS))
	fmt.Fprintf(w, "| `devnet up` → sequencer RPC answering / first L2 block | %.2f / %.2f s | |\n", r.L2RPCS, r.FirstL2BlockS)
	fmt.Fprintf(w, "| `devnet up` → every process up (endpoints.json complete) | %.2f s | |\n", r.AllUpS)
	fmt.Fprintf(w, "| light load before reading memory: %.0f s at %.0f transfers/s per layer, included / sent | L1 %d / %d, L2 %d / %d | |\n",
		r.LoadS, r.LoadRate, r.L1Included, r.L1Sent, r.L2Included, r.L2Sent)
	if !r.MemoryMeasured {
		fmt.Fprintln(w, "| resident memory | n/a (no /proc on this system) | |")
		return
	}
	for _, p := range r.Processes {
		fmt.Fprintf(w, "| resident memory: %s (peak) | %.0f MiB (%.0f) | |\n", p.Name, p.RSSMiB, p.PeakMiB)
	}
	fmt.Fprintf(w, "| resident memory: all %d processes (sum of peaks) | %.0f MiB = %.0f MB (%.0f MiB) | ≤ %d MB %s |\n",
		len(r.Processes), r.TotalRSSMiB, MiBToMB(r.TotalRSSMiB), r.TotalPeakMiB, GoalTotalMB, mark(r.MemoryGoalMet()))
	fmt.Fprintf(w, "| `devnet up` itself (not counted) | %.0f MiB | |\n", r.SupervisorRSSMiB)
	if r.FirstLoadError != "" {
		fmt.Fprintf(w, "\n%d load transfers refused; the first: %s\n", r.LoadErrors, r.FirstLoadError)
	}
}
