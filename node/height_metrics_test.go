package node

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestHeightMetricsTellWhereHeightsGo: a validator's heights are recorded
// phase by phase (proposal arrival, execution, commit, the whole height),
// once per height it decided, each phase within the height's time; the
// gas target gauge holds the node's target from its start, and light
// blocks neither cut nor move it; the blocks it proposed are counted by
// what closed them, and one built on the emptied pool after the transfers
// was closed by its source.
func TestHeightMetricsTellWhereHeightsGo(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	c := newMemCluster(t, 4)
	c.configure = func(i int, cfg *Config) {
		if i == 0 {
			cfg.Metrics = m
		}
	}
	for i := range 4 {
		c.start(i, memdb.New())
	}
	target := newBuildBudget(time.Second, time.Second, c.gen.GasLimit).gasTarget()
	if got := value(t, m.GasTarget); got != float64(target) {
		t.Fatalf("gas target gauge at start: %.0f, want %d", got, target)
	}
	last := c.sendTransfers(t, 0, 0, 40)
	waitFor(t, 30*time.Second, "the transfers committed and 5 more heights on validator 0", func() bool {
		loc, err := c.nodes[0].Chain().TxLocation(last.Hash())
		return err == nil && c.nodes[0].Chain().Head().Number() >= loc.Height+5
	})
	c.stop()

	height := histogram(t, m.HeightDuration)
	if height.GetSampleCount() < 5 {
		t.Fatalf("%d heights recorded, want at least 5", height.GetSampleCount())
	}
	for name, h := range map[string]prometheus.Histogram{"proposal arrival": m.ProposalArrival, "execution": m.BlockExecution, "commit": m.BlockCommit} {
		phase := histogram(t, h)
		if phase.GetSampleCount() != height.GetSampleCount() {
			t.Fatalf("%s: %d samples for %d heights", name, phase.GetSampleCount(), height.GetSampleCount())
		}
		if phase.GetSampleSum() > height.GetSampleSum() {
			t.Fatalf("%s took %.3f s in all, more than the heights' %.3f s", name, phase.GetSampleSum(), height.GetSampleSum())
		}
	}
	if histogram(t, m.BlockExecution).GetSampleSum() <= 0 || height.GetSampleSum() <= 0 {
		t.Fatal("execution and heights recorded no time")
	}
	if got := value(t, m.GasTarget); got != float64(target) {
		t.Fatalf("gas target gauge %.0f after light blocks, want %d", got, target)
	}
	if got := value(t, m.GasTargetCuts); got != 0 {
		t.Fatalf("%.0f gas target cuts for light blocks", got)
	}
	if got := value(t, m.Proposed.WithLabelValues(string(execution.ClosedBySource))); got < 1 {
		t.Fatalf("%.0f blocks proposed closed by their source: validator 0 proposes one height in four, and the pool was empty for the last five", got)
	}
}

// TestGasTargetMetricCountsCuts: the gauge follows the target, and only a
// smaller target counts as a cut.
func TestGasTargetMetricCountsCuts(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ before, after, cuts uint64 }{
		{0, 21_000_000, 0}, {21_000_000, 23_100_000, 0}, {23_100_000, 23_100_000, 0}, {23_100_000, 17_325_000, 1}, {17_325_000, 12_993_750, 2},
	} {
		m.gasTarget(step.before, step.after)
		if got := value(t, m.GasTarget); got != float64(step.after) {
			t.Fatalf("after %d → %d the gauge reads %.0f", step.before, step.after, got)
		}
		if got := value(t, m.GasTargetCuts); got != float64(step.cuts) {
			t.Fatalf("after %d → %d: %.0f cuts, want %d", step.before, step.after, got, step.cuts)
		}
	}
	var nilMetrics *Metrics
	nilMetrics.gasTarget(1, 0) // a node without metrics
	nilMetrics.heightTimes(time.Second, time.Second, time.Second, time.Second)
}

// value reads a gauge or a counter.
func value(t *testing.T, c prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := c.Write(&out); err != nil {
		t.Fatal(err)
	}
	if g := out.GetGauge(); g != nil {
		return g.GetValue()
	}
	return out.GetCounter().GetValue()
}

func histogram(t *testing.T, h prometheus.Histogram) *dto.Histogram {
	t.Helper()
	var out dto.Metric
	if err := h.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.GetHistogram()
}
