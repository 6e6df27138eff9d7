package l1bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	fmt.Fprintf(w, "| ceiling = cores / (validators × cost) | %.0f tx/s | |\n", r.L1CeilingTPS)
	fmt.Fprintf(w, "| ratio to ceiling | %.0f %% | ≥ 60 %% |\n", 100*r.L1Ratio)
	fmt.Fprintf(w, "| state transition cost (one core) | %.1f µs/tx | |\n", r.TxCostMicros)
	fmt.Fprintf(w, "| block interval under load | %.2f s | 1 s |\n", r.BlockInterval)
	fmt.Fprintf(w, "| inclusion latency p50 / p99 | %.0f / %.0f ms | |\n", r.LatencyP50, r.LatencyP99)
	fmt.Fprintf(w, "| process start → first block on every node | %.2f s | ≤ 3 s |\n", r.DevnetStart)
	fmt.Fprintf(w, "| resident memory per node (max) | %.0f MiB | |\n", r.RSSMB)
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| offered tx/s | finalized tx/s | included / sent | p50 ms | p99 ms | send errors |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.Steps {
		fmt.Fprintf(w, "| %.0f | %.0f | %d / %d | %d | %d | %d |\n", s.OfferedRate, s.FinalizedTPS, s.Included, s.Sent,
			s.LatencyP50.Milliseconds(), s.LatencyP99.Milliseconds(), s.SendErrors)
	}
}
