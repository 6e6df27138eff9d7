package loadgen

import (
	"context"
	"maps"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/bilayer/bilayer/node"
)

// TestHeightsReadsAValidatorsMetrics serves a validator's own metrics
// (node.NewMetrics) and reads what its heights did between two scrapes:
// three heights, two of them over 1.5 s, a mean of 1.53 s, two blocks it
// built ahead, one cut of the gas target, and the target at the second
// scrape; and its sender recoveries per committed transaction: of 200
// committed, 20 recovered on JSON-RPC (15 added, 5 refused after the
// recovery; 30 refused before it cost none), 150 on gossip (the 40 known
// copies and 10 refused by the precheck cost none) and 10 when a block
// arrived; and the blocks it proposed by what closed them (node.Metrics.
// Proposed: 4 by the fill time, 1 by the gas target in the window). An
// endpoint without the height metrics is an error that names them.
func TestHeightsReadsAValidatorsMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := node.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	ctx := context.Background()
	m.GasTarget.Set(21e6)
	m.HeightDuration.Observe(0.9)
	m.HeightDuration.Observe(1.2)
	m.BuiltAhead.Inc()
	m.Admissions.WithLabelValues("rpc", "added").Add(7)
	m.BlockTxs.Observe(1000)
	m.Proposed.WithLabelValues("source").Add(3)
	before, err := scrapeHeights(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []float64{0.8, 1.6, 2.2} {
		m.HeightDuration.Observe(s)
	}
	m.GasTarget.Set(15.75e6)
	m.GasTargetCuts.Inc()
	m.BuiltAhead.Add(2)
	for _, a := range []struct {
		path, outcome string
		n             float64
	}{{"rpc", "added", 15}, {"rpc", "recovered_refused", 5}, {"rpc", "refused", 30},
		{"gossip", "added", 120}, {"gossip", "recovered_refused", 30}, {"gossip", "known", 40}, {"gossip", "refused", 10}} {
		m.Admissions.WithLabelValues(a.path, a.outcome).Add(a.n)
	}
	m.BlockRecoveries.Add(10)
	m.Proposed.WithLabelValues("enough").Add(4)
	m.Proposed.WithLabelValues("gas_target").Inc()
	m.BlockTxs.Observe(120)
	m.BlockTxs.Observe(80)
	after, err := scrapeHeights(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	h := after.since(before)
	if h.Count != 3 || h.Late != 2 || math.Abs(h.MeanSeconds-4.6/3) > 1e-9 || h.GasTarget != 15.75e6 || h.BuiltAhead != 2 || h.Cuts != 1 {
		t.Fatalf("got %+v, want 3 heights, 2 late, a mean of 1.533 s, a target of 15,750,000 after 1 cut and 2 blocks built ahead", h)
	}
	rpc, gossip, block, all, ok := h.RecoveriesPerCommitted()
	if !ok || h.Committed != 200 || rpc != 0.1 || gossip != 0.75 || block != 0.05 || math.Abs(all-0.9) > 1e-9 || h.Admissions["gossip/known"] != 40 {
		t.Fatalf("got %+v: recoveries per committed %v rpc, %v gossip, %v block, %v in all (ok %v); want 200 committed, 0.1, 0.75, 0.05, 0.9 and 40 known copies",
			h, rpc, gossip, block, all, ok)
	}
	if want := map[string]int{"enough": 4, "gas_target": 1}; !maps.Equal(h.ProposedClosedBy, want) {
		t.Fatalf("blocks proposed by what closed them: got %v, want %v (the 3 closed by the source before the window left out)", h.ProposedClosedBy, want)
	}
	if _, _, _, _, ok := (Heights{}).RecoveriesPerCommitted(); ok {
		t.Fatal("a window that committed nothing has no recoveries per committed transaction")
	}

	empty := httptest.NewServer(promhttp.HandlerFor(prometheus.NewRegistry(), promhttp.HandlerOpts{}))
	defer empty.Close()
	if _, err := scrapeHeights(ctx, empty.URL); err == nil || !strings.Contains(err.Error(), heightMetric) {
		t.Fatalf("an endpoint without height metrics: got %v, want an error naming %s", err, heightMetric)
	}
}
