package node

import (
	"time"

	"github.com/bilayer/bilayer/core/execution"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the node's Prometheus metrics.
type Metrics struct {
	Height        prometheus.Gauge
	Round         prometheus.Gauge
	Peers         prometheus.Gauge
	MempoolSize   prometheus.Gauge
	BlockInterval prometheus.Histogram
	BlockTxs      prometheus.Histogram
	Evidence      prometheus.Counter
	// BuiltAhead counts the blocks this node proposed that it had built
	// before their parent was decided (driver_ahead.go).
	BuiltAhead prometheus.Counter
	// Proposed counts the blocks this node proposed by what closed them
	// (execution.FillClose: "source" when the pool had no candidate left,
	// "gas_target", "enough" when the fill time ran out, "gas_limit"):
	// under a load above what the chain takes it says whether the gas
	// target or the fill time sizes the blocks (issue 17, session 42).
	Proposed *prometheus.CounterVec
	// Admissions counts the transactions offered to the pool, by where
	// they came from (rpc, gossip) and what became of them (see the
	// admission* constants): under a load above what the chain takes it
	// shows how many signature recoveries were spent on transactions the
	// pool then refused.
	Admissions *prometheus.CounterVec
	// BlockRecoveries counts the transactions of blocks this node received
	// (proposals, synced blocks) that were not in its pool, so their
	// senders were recovered when the block arrived (withPooledTxs).
	BlockRecoveries prometheus.Counter
	// BlockHeldSenders counts the transactions of received blocks that
	// were not in the pool but whose senders were recovered when gossip
	// brought them to a full pool (refusedSenders): beside the
	// gossip admissions recovered_refused, it shows how many of those
	// recoveries a block then used.
	BlockHeldSenders prometheus.Counter
	// Where each height's time went, by this node's clock (issue 17: what
	// the "Committed block" log line says, as a distribution): from the
	// height's start until the proposal of the decided block reached this
	// node (ProposalArrival; at once for its own), its build or
	// execution (BlockExecution), its commit (BlockCommit), and until the
	// commit was done (HeightDuration). A height in a later round, or the
	// second in three over a quarter past the block time, with a heavy
	// block, cuts the gas target (buildBudget).
	ProposalArrival prometheus.Histogram
	BlockExecution  prometheus.Histogram
	BlockCommit     prometheus.Histogram
	HeightDuration  prometheus.Histogram
	// GasTarget is the gas at which this node closes the next block it
	// builds (buildBudget), and GasTargetCuts counts the heights that cut
	// it because they ran late.
	GasTarget     prometheus.Gauge
	GasTargetCuts prometheus.Counter
}

// heightTimes records where a committed height's time went; m may be nil.
func (m *Metrics) heightTimes(arrived, exec, commit, took time.Duration) {
	if m == nil {
		return
	}
	m.ProposalArrival.Observe(arrived.Seconds())
	m.BlockExecution.Observe(exec.Seconds())
	m.BlockCommit.Observe(commit.Seconds())
	m.HeightDuration.Observe(took.Seconds())
}

// gasTarget records the gas target after a height: before is the one the
// height started with; m may be nil.
func (m *Metrics) gasTarget(before, after uint64) {
	if m == nil {
		return
	}
	m.GasTarget.Set(float64(after))
	if after < before {
		m.GasTargetCuts.Inc()
	}
}

// proposed records what closed a block this node proposed; m may be nil.
func (m *Metrics) proposed(closedBy execution.FillClose) {
	if m != nil && closedBy != "" {
		m.Proposed.WithLabelValues(string(closedBy)).Inc()
	}
}

// The outcomes of an admission (Metrics.Admissions' outcome label).
const (
	// admissionRefused: refused before its sender was recovered.
	admissionRefused = "refused"
	// admissionInvalid: failed the state transition's checks.
	admissionInvalid = "invalid"
	// admissionRecoveredRefused: its sender recovered, then the pool refused it.
	admissionRecoveredRefused = "recovered_refused"
	// admissionAdded: entered the pool.
	admissionAdded = "added"
	// admissionKnown: a gossiped copy of a pooled transaction, dropped
	// before it was decoded.
	admissionKnown = "known"
)

// admitted records one admission outcome; m may be nil.
func (m *Metrics) admitted(path, outcome string) {
	if m != nil {
		m.Admissions.WithLabelValues(path, outcome).Inc()
	}
}

// phaseBuckets are the buckets of a height's phases, in seconds.
var phaseBuckets = []float64{.01, .025, .05, .1, .25, .5, .75, 1, 1.5, 2, 5}

// NewMetrics creates the node's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		Height: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "bilayer", Name: "height",
			Help: "Height of the last committed block."}),
		Round: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "bilayer", Name: "consensus_round",
			Help: "Consensus round of the height being decided."}),
		Peers: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "bilayer", Name: "peers",
			Help: "Connected peers."}),
		MempoolSize: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "bilayer", Name: "mempool_transactions",
			Help: "Transactions in the mempool."}),
		BlockInterval: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "bilayer", Name: "block_interval_seconds",
			Help: "Time between consecutive committed blocks, by this node's clock.", Buckets: []float64{.25, .5, .75, 1, 1.25, 1.5, 2, 3, 5, 10}}),
		BlockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "bilayer", Name: "block_transactions",
			Help: "Transactions per committed block.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		Evidence: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "bilayer", Name: "evidence_total",
			Help: "Equivocations observed."}),
		BuiltAhead: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "bilayer", Name: "blocks_built_ahead_total",
			Help: "Blocks this node proposed that it built while their parent was still being decided."}),
		Proposed: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "bilayer", Name: "blocks_proposed_total",
			Help: "Blocks this node built and proposed, by what closed them: source (the pool had no candidate left), gas_target, enough (the fill time ran out), gas_limit."},
			[]string{"closed_by"}),
		Admissions: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "bilayer", Name: "txpool_admissions_total",
			Help: "Transactions offered to the pool, by path (rpc, gossip) and outcome (refused before sender recovery, invalid, recovered_refused: refused after it, added, known: a gossiped copy of a pooled transaction, dropped before decoding)."},
			[]string{"path", "outcome"}),
		BlockRecoveries: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "bilayer", Name: "block_sender_recoveries_total",
			Help: "Transactions of received blocks (proposals, synced blocks) that were not pooled here, so their senders were recovered when the block arrived."}),
		BlockHeldSenders: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "bilayer", Name: "block_senders_from_refused_gossip_total",
			Help: "Transactions of received blocks that were not pooled here but whose senders were recovered when gossip offered them to a full pool."}),
		ProposalArrival: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "bilayer", Name: "proposal_arrival_seconds",
			Help: "Time from a height's start until the proposal of the block it decided reached this node (0 for its own), by this node's clock.", Buckets: phaseBuckets}),
		BlockExecution: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "bilayer", Name: "block_execution_seconds",
			Help: "Time this node took to build or execute each committed block of a height it took part in.", Buckets: phaseBuckets}),
		BlockCommit: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "bilayer", Name: "block_commit_seconds",
			Help: "Time from a height's decision until its block was committed here (state staged and flushed, block written).", Buckets: phaseBuckets}),
		HeightDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "bilayer", Name: "height_seconds",
			Help: "Time from a height's start until its block was committed here, by this node's clock; a height in a later round, or the second in three past 1.25 block times, with a heavy block cuts the gas target.", Buckets: []float64{.25, .5, .75, 1, 1.25, 1.5, 2, 3, 5, 10}}),
		GasTarget: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "bilayer", Name: "block_gas_target",
			Help: "Gas at which this node closes the next block it builds: it follows how late the chain's heights run."}),
		GasTargetCuts: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "bilayer", Name: "block_gas_target_cuts_total",
			Help: "Heights that ran late with a heavy block, so this node's gas target was cut."}),
	}
	for _, c := range []prometheus.Collector{m.Height, m.Round, m.Peers, m.MempoolSize, m.BlockInterval, m.BlockTxs, m.Evidence, m.BuiltAhead, m.Proposed, m.Admissions, m.BlockRecoveries, m.BlockHeldSenders,
		m.ProposalArrival, m.BlockExecution, m.BlockCommit, m.HeightDuration, m.GasTarget, m.GasTargetCuts} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
