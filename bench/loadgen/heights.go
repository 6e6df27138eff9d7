package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The metrics of a validator's heights (node/metrics.go) that a step
// reads before and after its send window.
const (
	heightMetric     = "bilayer_height_seconds"
	gasTargetMetric  = "bilayer_block_gas_target"
	builtAheadMetric = "bilayer_blocks_built_ahead_total"
	cutsMetric       = "bilayer_block_gas_target_cuts_total"
	admissionsMetric = "bilayer_txpool_admissions_total"
	blockRecMetric   = "bilayer_block_sender_recoveries_total"
	blockTxsMetric   = "bilayer_block_transactions"
	proposedMetric   = "bilayer_blocks_proposed_total"
	// LateHeight is how long a height may take before the validator's gas
	// target may be cut (one and a half block times at the devnet's 1 s
	// blocks): a bucket bound of bilayer_height_seconds.
	LateHeight = 1.5
)

// Heights is what one validator's height metrics said over a step's send
// window: how many heights it committed, how many took over LateHeight,
// their mean duration, and its gas target (the gas at which it closes the
// blocks it builds) at the window's end. Under a load above what the chain
// carries, late heights cut the target, and the target is what the chain
// then carries (issue 17). BuiltAhead is how many of the blocks it proposed
// in the window it had built ahead, while the height before was decided
// (node/driver_ahead.go): behind a backlog that takes its build off the
// height's critical path, and for three sessions it almost never happened
// unseen (issue 17, session 22). Cuts is how many of its heights cut the
// target: in session 38 the plateaus that collapsed had their targets cut
// twice within the first seconds of the overload (from 3,237 transfers to
// 1,821 in one), and the target then grew back by a tenth a height
// between further cuts, while the steps that held were cut less.
//
// Admissions counts the transactions offered to its pool by path and
// outcome ("rpc/added", "gossip/recovered_refused", ...; node/metrics.go),
// BlockRecoveries the transactions of blocks it received whose senders it
// recovered when they arrived, and Committed the transactions of the blocks
// it committed: with them Recoveries says how many senders it recovered per
// transfer the chain took, the largest single cost of a transfer (issue 17,
// session 39: 60–90 µs of a validator's CPU per included transfer, where
// one recovery costs about 42).
type Heights struct {
	Count           int            `json:"count"`
	Late            int            `json:"late"`
	MeanSeconds     float64        `json:"mean_s"`
	GasTarget       float64        `json:"gas_target"`
	BuiltAhead      int            `json:"built_ahead"`
	Cuts            int            `json:"gas_target_cuts"`
	Admissions      map[string]int `json:"admissions,omitempty"`
	BlockRecoveries int            `json:"block_recoveries,omitempty"`
	Committed       int            `json:"committed_txs,omitempty"`
	// ProposedClosedBy counts the blocks the validator proposed in the
	// window by what closed them ("source": its pool had no candidate
	// left, "gas_target", "enough": its fill time ran out; node/metrics.go):
	// which of them sizes the blocks at a step (issue 17, session 42).
	ProposedClosedBy map[string]int `json:"proposed_closed_by,omitempty"`
}

// recoveringOutcomes are the admission outcomes that cost a sender
// recovery: "refused" is decided before one, "known" before decoding.
var recoveringOutcomes = []string{"added", "recovered_refused", "invalid"}

// Recoveries returns the senders the validator recovered over the window
// on path ("rpc", "gossip", or "block" for received blocks). An invalid
// transaction is counted though its check may have failed before the
// recovery: there are none under the bench's load.
func (h Heights) Recoveries(path string) int {
	if path == "block" {
		return h.BlockRecoveries
	}
	n := 0
	for _, o := range recoveringOutcomes {
		n += h.Admissions[path+"/"+o]
	}
	return n
}

// RecoveriesPerCommitted returns the validator's sender recoveries over the
// window per transaction it committed, on each path and in all, or ok false
// when it committed none.
func (h Heights) RecoveriesPerCommitted() (rpc, gossip, block, all float64, ok bool) {
	if h.Committed <= 0 {
		return 0, 0, 0, 0, false
	}
	c := float64(h.Committed)
	rpc, gossip, block = float64(h.Recoveries("rpc"))/c, float64(h.Recoveries("gossip"))/c, float64(h.Recoveries("block"))/c
	return rpc, gossip, block, rpc + gossip + block, true
}

// heightsSnapshot is a validator's height metrics at one moment.
type heightsSnapshot struct {
	count, onTime uint64 // heights, and those within LateHeight
	sum           float64
	gasTarget     float64
	builtAhead    float64
	cuts          float64
	admissions    map[string]float64 // by "path/outcome"
	proposed      map[string]float64 // by what closed the block
	blockRec      float64
	committed     float64
}

// since returns what happened between an earlier snapshot and s.
func (s heightsSnapshot) since(earlier heightsSnapshot) Heights {
	h := Heights{Count: int(s.count - earlier.count), GasTarget: s.gasTarget, BuiltAhead: int(s.builtAhead - earlier.builtAhead),
		Cuts: int(s.cuts - earlier.cuts), BlockRecoveries: int(s.blockRec - earlier.blockRec), Committed: int(s.committed - earlier.committed)}
	h.Admissions = countsSince(s.admissions, earlier.admissions)
	h.ProposedClosedBy = countsSince(s.proposed, earlier.proposed)
	h.Late = h.Count - int(s.onTime-earlier.onTime)
	if h.Count > 0 {
		h.MeanSeconds = (s.sum - earlier.sum) / float64(h.Count)
	}
	return h
}

// countsSince returns what each of a counter family's series (by key) gained
// from earlier to now, leaving out those that gained nothing; nil if none did.
func countsSince(now, earlier map[string]float64) map[string]int {
	var gained map[string]int
	for k, v := range now {
		if d := int(v - earlier[k]); d > 0 {
			if gained == nil {
				gained = make(map[string]int)
			}
			gained[k] = d
		}
	}
	return gained
}

// countsByLabels sums a counter family's series by the values of labels,
// joined by "/" in their order ("rpc/added" for path and outcome).
func countsByLabels(f *dto.MetricFamily, labels ...string) map[string]float64 {
	counts := make(map[string]float64, len(f.GetMetric()))
	values := make([]string, len(labels))
	for _, m := range f.GetMetric() {
		clear(values)
		for _, l := range m.GetLabel() {
			if i := slices.Index(labels, l.GetName()); i >= 0 {
				values[i] = l.GetValue()
			}
		}
		counts[strings.Join(values, "/")] += m.GetCounter().GetValue()
	}
	return counts
}

// scrapeHeights reads a validator's height metrics from its Prometheus
// endpoint.
func scrapeHeights(ctx context.Context, url string) (heightsSnapshot, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return heightsSnapshot{}, fmt.Errorf("metrics %s: %w", url, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return heightsSnapshot{}, fmt.Errorf("metrics %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return heightsSnapshot{}, fmt.Errorf("metrics %s: %s", url, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return heightsSnapshot{}, fmt.Errorf("metrics %s: %w", url, err)
	}
	return heightsOf(families)
}

// heightsOf picks the height metrics out of parsed families.
func heightsOf(families map[string]*dto.MetricFamily) (heightsSnapshot, error) {
	var s heightsSnapshot
	hf, ok := families[heightMetric]
	if !ok || len(hf.GetMetric()) == 0 || hf.GetMetric()[0].GetHistogram() == nil {
		return s, fmt.Errorf("no %s histogram (a validator older than session 20?)", heightMetric)
	}
	h := hf.GetMetric()[0].GetHistogram()
	s.count, s.sum = h.GetSampleCount(), h.GetSampleSum()
	found := false
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() == LateHeight {
			s.onTime, found = b.GetCumulativeCount(), true
		}
	}
	if !found {
		return s, fmt.Errorf("%s has no %.1f s bucket", heightMetric, LateHeight)
	}
	if gf, ok := families[gasTargetMetric]; ok && len(gf.GetMetric()) > 0 {
		s.gasTarget = gf.GetMetric()[0].GetGauge().GetValue()
	}
	if bf, ok := families[builtAheadMetric]; ok && len(bf.GetMetric()) > 0 {
		s.builtAhead = bf.GetMetric()[0].GetCounter().GetValue()
	}
	if cf, ok := families[cutsMetric]; ok && len(cf.GetMetric()) > 0 {
		s.cuts = cf.GetMetric()[0].GetCounter().GetValue()
	}
	if af, ok := families[admissionsMetric]; ok {
		s.admissions = countsByLabels(af, "path", "outcome")
	}
	if pf, ok := families[proposedMetric]; ok {
		s.proposed = countsByLabels(pf, "closed_by")
	}
	if rf, ok := families[blockRecMetric]; ok && len(rf.GetMetric()) > 0 {
		s.blockRec = rf.GetMetric()[0].GetCounter().GetValue()
	}
	if tf, ok := families[blockTxsMetric]; ok && len(tf.GetMetric()) > 0 && tf.GetMetric()[0].GetHistogram() != nil {
		s.committed = tf.GetMetric()[0].GetHistogram().GetSampleSum()
	}
	return s, nil
}
