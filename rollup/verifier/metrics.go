package verifier

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bilayer/bilayer/core/block"
)

// Metrics are the verifier's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	L1Block       prometheus.Gauge
	DerivedHead   prometheus.Gauge
	CheckedHead   prometheus.Gauge
	Agreed        prometheus.Counter
	Disagreements prometheus.Counter
}

// NewMetrics creates the verifier's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	ns := "bilayer_verifier"
	m := &Metrics{
		L1Block: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "l1_block",
			Help: "Last L1 block derived from."}),
		DerivedHead: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "derived_head",
			Help: "Newest L2 block derived from the L1 and executed."}),
		CheckedHead: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "checked_head",
			Help: "Newest L2 block whose posted output was compared."}),
		Agreed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "outputs_agreed_total",
			Help: "Posted outputs equal to the L1-derived ones."}),
		Disagreements: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "outputs_disagreed_total",
			Help: "Posted outputs that differ from the L1-derived ones."}),
	}
	for _, c := range []prometheus.Collector{m.L1Block, m.DerivedHead, m.CheckedHead, m.Agreed, m.Disagreements} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register challenger metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observeL1(l1 block.L1Number, head uint64) {
	if m == nil {
		return
	}
	m.L1Block.Set(float64(l1))
	m.DerivedHead.Set(float64(head))
}

func (m *Metrics) observeCheck(n block.L2Number, agreed bool) {
	if m == nil {
		return
	}
	m.CheckedHead.Set(float64(n))
	if agreed {
		m.Agreed.Inc()
	} else {
		m.Disagreements.Inc()
	}
}
