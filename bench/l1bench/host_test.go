package l1bench

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// TestStealRowsWarnOnlyWhenTheHostTookTheMachine: the L1 table gives the
// share of the CPU time asked for that the hypervisor withheld while the
// judged figures were measured, and warns, naming them, only for those
// measured while it withheld StealNotable or more (issue 17, session 37);
// a report that could not read the steal (not Linux, or written before)
// has no such row.
func TestStealRowsWarnOnlyWhenTheHostTookTheMachine(t *testing.T) {
	r := &Report{Validators: 4, Machine: loadgen.Machine{Cores: 2}, StealRead: true, TxCostStolen: 0.02, PeakStolen: 0.01,
		Plateau: loadgen.Result{OfferedRate: 4000, FinalizedTPS: 1800, Sent: 40000, StolenCores: 0.4, CPU: map[string]float64{"validator-0": 1.6}}}
	var buf bytes.Buffer
	r.Markdown(&buf)
	out := buf.String()
	for _, s := range []string{
		// 0.4 cores withheld where the processes used 1.6: 20 % of the 2 asked for
		"| the hypervisor's steal, the share of the CPU time asked for that a shared host withheld: the state transition's runs / the peak's step / the plateau's | 2 % / 1 % / 20 % | ≈ 0 |",
		"| ⚠ the hypervisor withheld 5 % or more of the CPU time asked for during the plateau's step: what was measured then is the shared host's as much as the chain's",
		"| 2× peak: 4000 | 1800 | 0 / 40000 | 0 | 222 | 0.00 | 0 | 0 | 0 | – | – | – | – | 0.40 | – | validator-0 1.60 |", // the steps table's column
	} {
		if !strings.Contains(out, s) {
			t.Errorf("table lacks %q:\n%s", s, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "| ⚠ the hypervisor") && (strings.Contains(line, "the peak's step") || strings.Contains(line, "the state transition")) {
			t.Errorf("the warning names a figure measured on a quiet host: %s", line)
		}
	}

	r.TxCostStolen, r.PeakStolen = 0.3, 0.05
	if got, want := r.Contended(), "the state transition's runs, the peak's step, the plateau's step"; got != want {
		t.Errorf("Contended: %q, want %q", got, want)
	}
	r.TxCostStolen, r.PeakStolen, r.Plateau.StolenCores = 0.049, 0, 0.08 // 0.08 of 1.68: 4.8 %
	if got := r.Contended(); got != "" {
		t.Errorf("Contended below %.2f: %q, want nothing", StealNotable, got)
	}
	buf.Reset()
	r.Markdown(&buf)
	if strings.Contains(buf.String(), "⚠ the hypervisor") {
		t.Errorf("a quiet host is warned about:\n%s", buf.String())
	}

	r.StealRead = false
	buf.Reset()
	r.Markdown(&buf)
	if strings.Contains(buf.String(), "the hypervisor's steal") {
		t.Errorf("a report that read no steal has a steal row:\n%s", buf.String())
	}
}

// TestStealMeterCountsWhatWasAskedFor: the state transition's runs use one
// core of two, so the steal is counted against the busy time the machine
// asked for, not against all its cores: one busy core that lost a tenth
// of its time reads 10 %, not 5 %.
func TestStealMeterCountsWhatWasAskedFor(t *testing.T) {
	if got := withheld(0.9, 0.1); got < 0.0999 || got > 0.1001 {
		t.Errorf("withheld(0.9 busy, 0.1 stolen) = %.4f, want 0.1", got)
	}
	if got := withheld(0, 0); got != 0 {
		t.Errorf("nothing asked for: %.2f, want 0", got)
	}
	var m stealMeter
	if m.read() || m.share() != 0 {
		t.Error("a meter that never ran reads something")
	}
	m.start()
	m.stop()
	if !m.read() {
		t.Skip("no /proc/stat here")
	}
	if s := m.share(); s < 0 || s > 1 {
		t.Errorf("share %.2f outside [0, 1]", s)
	}
}

// TestSpeedRowsCompareTheGaugeWithTheIdleMachine: the cores' speed is the
// gauge's CPU time on the idle machine over the same during the state
// transition's runs, the peak's step and the plateau's, in the L1 table
// and in the steps table's column; without an idle reading there is no
// such row and the column reads "–".
// TestSpeedShiftWarnsOnlyPastItsBound: a plateau on cores 15 % or more
// slower or faster than the peak's is warned of (reading low or high);
// within that, or with a step not gauged, it is not.
func TestSpeedShiftWarnsOnlyPastItsBound(t *testing.T) {
	const idle = 2 * time.Millisecond
	at := func(speed float64) time.Duration { return time.Duration(float64(idle) / speed) }
	for _, tc := range []struct {
		peak, plateau float64
		want          string // "" for no warning
	}{
		{1.46, 0.93, "at 0.64 of the peak's step's speed (36 % slower): goal 2's ratio is the shared host's as much as the chain's, and reads low;"},
		{1.00, 0.86, ""}, // 14 % slower: within the bound
		{1.00, 0.84, "at 0.84 of the peak's step's speed (16 % slower)"},
		{1.13, 1.34, "at 1.19 of the peak's step's speed (19 % faster): goal 2's ratio is the shared host's as much as the chain's, and reads high;"},
		{1.10, 1.10, ""},
		{0, 1.10, ""},
	} {
		r := &Report{GaugeIdle: idle, PlateauRatio: 0.8, Plateau: loadgen.Result{Sent: 1}}
		if tc.peak > 0 {
			r.PeakGauge = at(tc.peak)
		}
		r.Plateau.Gauge = at(tc.plateau)
		got := r.SpeedShiftWarning()
		var buf bytes.Buffer
		r.Markdown(&buf)
		if tc.want == "" {
			if got != "" || strings.Contains(buf.String(), "⚠ the cores ran the plateau's step") {
				t.Errorf("speeds %.2f / %.2f: warned %q", tc.peak, tc.plateau, got)
			}
			continue
		}
		if !strings.Contains(got, tc.want) || !strings.Contains(buf.String(), "| "+got+" | | |") {
			t.Errorf("speeds %.2f / %.2f: warning %q, want it to hold %q and be a row of:\n%s", tc.peak, tc.plateau, got, tc.want, buf.String())
		}
	}
}

func TestSpeedRowsCompareTheGaugeWithTheIdleMachine(t *testing.T) {
	ms := time.Millisecond
	r := &Report{Validators: 4, Machine: loadgen.Machine{Cores: 2}, GaugeIdle: 3 * ms, TxCostGauge: 3300 * time.Microsecond, PeakGauge: 4 * ms,
		Plateau: loadgen.Result{OfferedRate: 4000, FinalizedTPS: 1800, Sent: 40000, Gauge: 5 * ms}}
	if got := r.SpeedCell(); got != "0.91 / 0.75 / 0.60" {
		t.Errorf("SpeedCell: %q, want 0.91 / 0.75 / 0.60", got)
	}
	var buf bytes.Buffer
	r.Markdown(&buf)
	for _, s := range []string{
		"| the cores' speed, a fixed piece of work's CPU time on the idle machine over the same during the state transition's runs (one core busy) / the peak's step / the plateau's (1: as fast as idle; the bench's own load lowers it too) | 0.91 / 0.75 / 0.60 | |",
		"| 2× peak: 4000 | 1800 | 0 / 40000 | 0 | – | 0.00 | 0 | 0 | 0 | – | – | – | – | 0.00 | 0.60 | n/a |",
	} {
		if !strings.Contains(buf.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, buf.String())
		}
	}
	if r.Speed(0) != 0 {
		t.Error("a step without a gauge reading has a speed")
	}
	// g2's case: 120 % of the peak, the plateau's cores at 1.16 of idle and
	// the peak's at 0.90, reads 93 % on cores of one speed.
	g2 := &Report{PlateauRatio: 1.2, GaugeIdle: 2 * ms, PeakGauge: time.Duration(float64(2*ms) / 0.90),
		Plateau: loadgen.Result{Sent: 1, Gauge: time.Duration(float64(2*ms) / 1.16)}}
	if got := g2.SpeedAdjustedPlateau(); got < 0.925 || got > 0.935 {
		t.Errorf("SpeedAdjustedPlateau: %.3f, want 0.93", got)
	}
	buf.Reset()
	g2.Markdown(&buf)
	if !strings.Contains(buf.String(), "| "+SpeedAdjustedRow+" | 93 % (speeds 0.90 at the peak, 1.16 at the plateau) | |") {
		t.Errorf("table lacks the speed-adjusted plateau:\n%s", buf.String())
	}
	// The plateau on cores 1.29 times as fast as the peak's: warned of, as
	// reading high.
	if !strings.Contains(buf.String(), "| ⚠ the cores ran the plateau's step at 1.29 of the peak's step's speed (29 % faster): goal 2's ratio is the shared host's as much as the chain's, and reads high;") {
		t.Errorf("table lacks the warning of a faster plateau:\n%s", buf.String())
	}
	g2.Plateau.Gauge = 0
	if g2.SpeedAdjustedPlateau() != 0 {
		t.Error("an ungauged plateau is adjusted")
	}
	if g2.SpeedShiftWarning() != "" {
		t.Error("an ungauged plateau is warned of")
	}
	r.GaugeIdle = 0
	buf.Reset()
	r.Markdown(&buf)
	if strings.Contains(buf.String(), "the cores' speed, a fixed piece") || r.SpeedCell() != "" {
		t.Errorf("a report without an idle gauge reading has a speed row:\n%s", buf.String())
	}
}
