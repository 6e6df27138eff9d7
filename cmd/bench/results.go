package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bilayer/bilayer/bench/devnetbench"
	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/bilayer/bilayer/bench/l2bench"
	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/bench/rollupbench"
	"github.com/bilayer/bilayer/bench/summary"
)

// summaryKey holds the closing table's rows in the results file; it is
// rebuilt on every run.
const summaryKey = "summary"

// reports are the parts' reports of this run; nil: the part did not run.
type reports struct {
	l1     *l1bench.Report
	l2     *l2bench.Report
	rollup *rollupbench.Report
	devnet *devnetbench.Report
}

// part is one part of the results file.
type part struct {
	name string
	// prefix starts its keys ("" for the L1's, which have none).
	prefix string
	// finishedKey holds when it was measured.
	finishedKey string
	// ran: it ran this time, and report is its report.
	ran    bool
	report any
	// keys are its JSON keys (those of its zero report).
	keys map[string]bool
}

// parts lists the parts in the order of the results' summary. A part
// owns the keys its report has, and then those with its prefix; a key no
// part claims is the L1's (its keys have no prefix).
func (r reports) parts() ([]part, error) {
	ps := []part{
		{name: "L1", finishedKey: "finished_at", ran: r.l1 != nil, report: r.l1},
		{name: "L2", prefix: "l2_", finishedKey: "l2_finished_at", ran: r.l2 != nil, report: r.l2},
		{name: "rollup", prefix: "rollup_", finishedKey: "rollup_finished_at", ran: r.rollup != nil, report: r.rollup},
		{name: "devnet", prefix: "devnet_", finishedKey: "devnet_finished_at", ran: r.devnet != nil, report: r.devnet},
	}
	zeros := []any{&l1bench.Report{}, &l2bench.Report{}, &rollupbench.Report{}, &devnetbench.Report{}}
	for i := range ps {
		m, err := toMap(zeros[i])
		if err != nil {
			return nil, err
		}
		ps[i].keys = map[string]bool{}
		for k := range m {
			ps[i].keys[k] = true
		}
	}
	return ps, nil
}

// owner returns the index in ps of the part that owns key.
func owner(ps []part, key string) int {
	for i, p := range ps {
		if p.keys[key] {
			return i
		}
	}
	for i, p := range ps {
		if p.prefix != "" && strings.HasPrefix(key, p.prefix) {
			return i
		}
	}
	return 0
}

// toMap returns v's JSON object as a map of raw values.
func toMap(v any) (map[string]json.RawMessage, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode a report: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("decode a report: %w", err)
	}
	return m, nil
}

// merge returns the keys of the parts that ran, and those of the parts
// that did not from prev (the previous results file; nil or unreadable:
// none), so a partial run does not erase the other parts' figures. It
// also says which parts are present: ran, or found in prev.
func merge(prev []byte, ps []part) (map[string]json.RawMessage, []bool, error) {
	merged := map[string]json.RawMessage{}
	present := make([]bool, len(ps))
	var old map[string]json.RawMessage
	if prev != nil && json.Unmarshal(prev, &old) == nil {
		for k, v := range old {
			if i := owner(ps, k); k != summaryKey && !ps[i].ran {
				merged[k] = v
				present[i] = true
			}
		}
	}
	for i, p := range ps {
		if !p.ran {
			continue
		}
		present[i] = true
		m, err := toMap(p.report)
		if err != nil {
			return nil, nil, err
		}
		maps.Copy(merged, m)
	}
	return merged, present, nil
}

// decodeParts reads every present part's report back from the merged
// keys, for the summary.
func decodeParts(merged map[string]json.RawMessage, present []bool) (summary.Parts, error) {
	data, err := json.Marshal(merged)
	if err != nil {
		return summary.Parts{}, fmt.Errorf("encode the results: %w", err)
	}
	var p summary.Parts
	targets := []any{&p.L1, &p.L2, &p.Rollup, &p.Devnet}
	for i, t := range targets {
		if !present[i] {
			continue
		}
		if err := json.Unmarshal(data, t); err != nil {
			return summary.Parts{}, fmt.Errorf("read the results back: %w", err)
		}
	}
	return p, nil
}

// Summary is the results file's summary key.
type Summary struct {
	Date   string        `json:"date"`
	Commit string        `json:"commit"`
	Rows   []summary.Row `json:"rows"`
	// CarriedOver names the parts not run this time, with when they ran.
	CarriedOver []string `json:"carried_over,omitempty"`
}

// results is what a run writes and prints at its end.
type results struct {
	merged map[string]json.RawMessage
	header summary.Header
	rows   []summary.Row
}

// buildResults merges this run's reports with the previous results file
// (prev; nil: none) and builds the summary from every part present.
func buildResults(prev []byte, r reports, machine loadgen.Machine, now time.Time) (*results, error) {
	ps, err := r.parts()
	if err != nil {
		return nil, err
	}
	merged, present, err := merge(prev, ps)
	if err != nil {
		return nil, err
	}
	parts, err := decodeParts(merged, present)
	if err != nil {
		return nil, err
	}
	h := summary.Header{Cores: machine.Cores, CPU: machine.CPU, Commit: machine.Commit, Date: now}
	for i, p := range ps {
		if !present[i] || p.ran {
			continue
		}
		var at string
		if raw, ok := merged[p.finishedKey]; ok && json.Unmarshal(raw, &at) == nil && at != "" {
			h.Carried = append(h.Carried, fmt.Sprintf("%s (measured %s)", p.name, at))
		} else {
			h.Carried = append(h.Carried, p.name)
		}
	}
	if parts.L2 != nil && r.l2 != nil {
		if o := parts.L2.PeakCPU[loadgen.OtherProcesses]; o >= 0.3 {
			h.Notes = append(h.Notes, fmt.Sprintf("⚠ The machine was not quiet: other processes used %.2f of its %d cores during the L2 peak step.", o, machine.Cores))
		}
	}
	if parts.L1 != nil && parts.L1.RSSMB > 0 && parts.Devnet != nil && parts.Devnet.MemoryMeasured {
		h.Notes = append(h.Notes, fmt.Sprintf("The memory goal is measured on the devnet as a user runs it, under a light load; "+
			"under the L1 part's saturating load one validator alone held up to %.0f MiB (the L1 table's resident memory per node).", parts.L1.RSSMB))
	}
	rows := summary.Build(parts)
	s, err := json.Marshal(Summary{Date: now.UTC().Format(time.RFC3339), Commit: machine.Commit, Rows: rows, CarriedOver: h.Carried})
	if err != nil {
		return nil, fmt.Errorf("encode the summary: %w", err)
	}
	merged[summaryKey] = s
	return &results{merged: merged, header: h, rows: rows}, nil
}

// readPrevious returns the previous results file, nil if there is none.
func readPrevious(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the previous results: %w", err)
	}
	return data, nil
}

// write writes the merged results as one indented JSON object, keys
// sorted.
func (res *results) write(path string) error {
	data, err := json.MarshalIndent(res.merged, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the results: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	return nil
}

// keys returns the merged keys, sorted (for tests and logs).
func (res *results) keys() []string { return slices.Sorted(maps.Keys(res.merged)) }
