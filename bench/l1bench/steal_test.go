package l1bench

import (
	"bytes"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// TestStealRowsWarnOnlyWhenTheHostTookTheMachine: the L1 table gives the
// share of the machine the hypervisor took while the judged figures were
// measured, and warns, naming them, only for those measured while it took
// StealNotable or more (issue 17, session 37); a report that could not
// read the steal (not Linux, or written before) has no such row.
func TestStealRowsWarnOnlyWhenTheHostTookTheMachine(t *testing.T) {
	r := &Report{Validators: 4, Machine: loadgen.Machine{Cores: 2}, StealRead: true, TxCostStolen: 0.02, PeakStolen: 0.01,
		Plateau: loadgen.Result{OfferedRate: 4000, FinalizedTPS: 1800, Sent: 40000, StolenCores: 0.4}}
	var buf bytes.Buffer
	r.Markdown(&buf)
	out := buf.String()
	for _, s := range []string{
		"| the hypervisor's steal, the share of the machine's cores a shared host took: the state transition's runs / the peak's step / the plateau's | 2 % / 1 % / 20 % | ≈ 0 |",
		"| ⚠ the hypervisor took 5 % or more of the machine during the plateau's step: what was measured then is the shared host's as much as the chain's",
		"| 2× peak: 4000 | 1800 | 0 / 40000 | 0 | – | 0.00 | 0 | 0 | 0 | – | – | – | 0.40 | n/a |", // the steps table's column
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
	r.TxCostStolen, r.PeakStolen, r.Plateau.StolenCores = 0.049, 0, 0.09
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
