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
		PeakCPU: map[string]float64{"sequencer": 1.6, loadgen.OtherProcesses: 0.5},
		Steps:   []loadgen.Result{{OfferedRate: 20_000, FinalizedTPS: 16_000, LatencyP50: time.Second}}}
	var b bytes.Buffer
	r.Markdown(&b)
	out := b.String()
	for _, want := range []string{
		"| 16000 tx/s | ≥ 15000 tx/s ✅ met |",
		"| 80 ms | ≤ 50 ms ❌ missed |",
		"| 200 ms | ≤ 300 ms ✅ met |",
		"sequencer 1.60, other processes 0.50",
		"The machine was not quiet",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
