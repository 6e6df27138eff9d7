package l2bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
)

func TestMarkdownMarksTargets(t *testing.T) {
	r := &Report{TPS: 16_000, LatencyP50: 80, LatencyP99: 200, LatencyRate: 8_000, Targets: DefaultTargets(),
		PeakCPU: map[string]float64{"sequencer": 1.6, loadgen.OtherProcesses: 0.5}, PeakStolenCores: 0.45,
		GaugeIdle: 2 * time.Millisecond, PeakGauge: 2500 * time.Microsecond,
		ProfileError: "no CPU profile of sequencer: 500 Internal Server Error: cpu profiling already in use\nmore",
		Steps: []loadgen.Result{{OfferedRate: 20_000, FinalizedTPS: 16_000, LatencyP50: time.Second, StolenCores: 0.45, Gauge: 2500 * time.Microsecond},
			{OfferedRate: 30_000, FinalizedTPS: 15_000}}}
	var b bytes.Buffer
	r.Markdown(&b)
	out := b.String()
	for _, want := range []string{
		"| 16000 tx/s | ≥ 15000 tx/s ✅ met |",
		"| 80 ms | ≤ 50 ms ❌ missed |",
		"| 200 ms | ≤ 300 ms ✅ met |",
		"sequencer 1.60, other processes 0.50",
		"The machine was not quiet",
		"| cores the hypervisor took at the peak (a shared host's steal) | 0.45 | ≈ 0 |",
		"| 20000 | 16000 | 0 / 0 | 0 | 1000 | 0 | 0 | 0.45 | 0.80 | n/a |",
		"| 30000 | 15000 | 0 / 0 | 0 | 0 | 0 | 0 | 0.00 | n/a | n/a |", // a step the gauge did not read
		"| the cores' speed at the peak against the idle machine (a fixed piece of work's CPU time) | 0.80 | |",
		"| sequencer CPU profile at the peak | not written: no CPU profile of sequencer: 500 Internal Server Error: cpu profiling already in use | |",
		"The host was not quiet: the hypervisor took 0.45 of the machine's 0 cores",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestNotQuietRetriesStepsTheHostTook: the search offers a step once more
// when other processes or the hypervisor (session 37: a shared host's
// steal) took quietCores or more during it, and not otherwise.
func TestNotQuietRetriesStepsTheHostTook(t *testing.T) {
	for _, c := range []struct {
		r    loadgen.Result
		want bool
	}{
		{loadgen.Result{CPU: map[string]float64{loadgen.OtherProcesses: 0.1}, StolenCores: 0.1}, false},
		{loadgen.Result{CPU: map[string]float64{loadgen.OtherProcesses: quietCores}}, true},
		{loadgen.Result{StolenCores: quietCores}, true},
		{loadgen.Result{}, false},
	} {
		if got := notQuiet(c.r); got != c.want {
			t.Errorf("other processes %.2f, stolen %.2f: notQuiet %v, want %v", c.r.CPU[loadgen.OtherProcesses], c.r.StolenCores, got, c.want)
		}
	}
}
