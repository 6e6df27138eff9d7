package sequencer

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bilayer/bilayer/core/block"
)

// Metrics are the sequencer's Prometheus metrics. A nil *Metrics records
// nothing.
type Metrics struct {
	UnsafeHead   prometheus.Gauge
	OriginNumber prometheus.Gauge
	L1Head       prometheus.Gauge
	PoolSize     prometheus.Gauge
	Transactions prometheus.Counter
	Skipped      prometheus.Counter
	Operations   prometheus.Counter
	BlockTxs     prometheus.Histogram
	BuildSeconds prometheus.Histogram
	// The batcher's.
	SafeHead      prometheus.Gauge
	FinalizedHead prometheus.Gauge
	Batches       prometheus.Counter
	BatchBytes    prometheus.Counter
}

// NewMetrics creates the sequencer's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	ns := "bilayer_sequencer"
	m := &Metrics{
		UnsafeHead: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "unsafe_head",
			Help: "Number of the newest L2 block (soft-confirmed)."}),
		OriginNumber: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "origin",
			Help: "L1 origin of the newest L2 block."}),
		L1Head: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "l1_head",
			Help: "Newest L1 block seen."}),
		PoolSize: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "pool_transactions",
			Help: "Transactions waiting in the L2 pool."}),
		Transactions: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "transactions_total",
			Help: "Transactions included in L2 blocks."}),
		Skipped: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "skipped_total",
			Help: "Invalid transactions left out of L2 blocks."}),
		Operations: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "l1_operations_total",
			Help: "L1 operations (deposits, forced operations) applied on L2."}),
		BlockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "block_transactions",
			Help: "Transactions per L2 block.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)}),
		BuildSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "block_build_seconds",
			Help: "Time to build and commit one L2 block.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 10)}),
		SafeHead: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "safe_head",
			Help: "Newest L2 block whose batch the L1 accepted."}),
		FinalizedHead: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "finalized_head",
			Help: "Newest L2 block whose batch outlived the challenge window."}),
		Batches: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "batches_total",
			Help: "Batches the L1 accepted from this sequencer."}),
		BatchBytes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "batch_bytes_total",
			Help: "Bytes of batch data the L1 accepted from this sequencer."}),
	}
	for _, c := range []prometheus.Collector{m.UnsafeHead, m.OriginNumber, m.L1Head, m.PoolSize, m.Transactions, m.Skipped,
		m.Operations, m.BlockTxs, m.BuildSeconds, m.SafeHead, m.FinalizedHead, m.Batches, m.BatchBytes} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register sequencer metrics: %w", err)
		}
	}
	return m, nil
}

func (m *Metrics) observeBlock(b *block.Block, skipped int, took time.Duration, pool int) {
	if m == nil {
		return
	}
	m.UnsafeHead.Set(float64(b.Number()))
	m.OriginNumber.Set(float64(b.L2.Origin.Number))
	m.PoolSize.Set(float64(pool))
	m.Transactions.Add(float64(len(b.Transactions)))
	m.Skipped.Add(float64(skipped))
	m.Operations.Add(float64(len(b.L2.Operations)))
	m.BlockTxs.Observe(float64(len(b.Transactions)))
	m.BuildSeconds.Observe(took.Seconds())
}
