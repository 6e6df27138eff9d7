package cmdutil

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/bilayer/bilayer/core/statedb"
)

// RegisterTrieCacheMetrics registers with reg what db's trie-node cache has
// done, read at each scrape: bilayer_trie_node_cache_hits_total and
// _misses_total (node reads answered from memory and from the database),
// _leaf_misses_total (the misses that read a leaf),
// bilayer_trie_node_cache_entries and bilayer_trie_node_cache_bytes (what it
// holds, against the trie share of --cache), and
// bilayer_trie_node_cache_arena_bytes (the memory its arena takes, dropped
// nodes not yet compacted away included) and
// bilayer_trie_node_cache_compactions_total.
func RegisterTrieCacheMetrics(reg prometheus.Registerer, db *statedb.DB) error {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: "bilayer", Subsystem: "trie_node_cache", Name: name, Help: help}
	}
	cs := []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts(opts("hits_total", "Trie node reads answered from the node cache.")),
			func() float64 { return float64(db.NodeCacheStats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts(opts("misses_total", "Trie node reads the node cache could not answer (read from the database).")),
			func() float64 { return float64(db.NodeCacheStats().Misses) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts(opts("leaf_misses_total", "Trie node reads the node cache could not answer whose node was a leaf (the rest of the misses are branch and extension nodes).")),
			func() float64 { return float64(db.NodeCacheStats().LeafMisses) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts(opts("compactions_total", "Times the node cache's arena was compacted (chunks mostly dead given up, their live nodes moved).")),
			func() float64 { return float64(db.NodeCacheStats().Compactions) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("entries", "Trie nodes held by the node cache.")),
			func() float64 { return float64(db.NodeCacheStats().Entries) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("bytes", "Bytes the node cache's nodes are charged against its budget.")),
			func() float64 { return float64(db.NodeCacheStats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("arena_bytes", "Bytes the node cache's arena takes: its nodes, the dropped ones not yet compacted away and the newest chunk's free room.")),
			func() float64 { return float64(db.NodeCacheStats().ArenaBytes) }),
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("register trie node cache metrics: %w", err)
		}
	}
	return nil
}
