package cmdutil

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	pebblestore "github.com/bilayer/bilayer/store/pebble"
)

// storeCollector reports a pebble store's read-path statistics, read once
// per scrape.
type storeCollector struct {
	db                            *pebblestore.DB
	hits, misses, bytes           *prometheus.Desc
	filterHits, filterMisses      *prometheus.Desc
	readAmp, l0Files, compactions *prometheus.Desc
	compactedBytes, flushedBytes  *prometheus.Desc
}

// RegisterStoreMetrics registers with reg what db's read path has done,
// read at each scrape: bilayer_db_block_cache_hits_total, _misses_total
// and bilayer_db_block_cache_bytes (the block cache, the database share of
// --cache), bilayer_db_filter_hits_total and _misses_total (table reads a
// bloom filter spared, and checks it could not), bilayer_db_read_amp (the
// sorted runs a read may check), bilayer_db_l0_tables and
// bilayer_db_compactions_total.
func RegisterStoreMetrics(reg prometheus.Registerer, db *pebblestore.DB) error {
	desc := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName("bilayer", "db", name), help, nil, nil)
	}
	c := &storeCollector{
		db:             db,
		hits:           desc("block_cache_hits_total", "Database block reads answered from the block cache."),
		misses:         desc("block_cache_misses_total", "Database block reads that went to a file."),
		bytes:          desc("block_cache_bytes", "Bytes the database's block cache holds."),
		filterHits:     desc("filter_hits_total", "Table reads a bloom filter spared."),
		filterMisses:   desc("filter_misses_total", "Bloom filter checks that could not rule a table out."),
		readAmp:        desc("read_amp", "Sorted runs (level-0 tables and non-empty levels) a read may check."),
		l0Files:        desc("l0_tables", "Tables in level 0."),
		compactions:    desc("compactions_total", "Compactions finished."),
		compactedBytes: desc("compacted_bytes_total", "Bytes compactions wrote (tables and blob files)."),
		flushedBytes:   desc("flushed_bytes_total", "Bytes memtable flushes wrote (tables and blob files)."),
	}
	if err := reg.Register(c); err != nil {
		return fmt.Errorf("register database metrics: %w", err)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.hits, c.misses, c.bytes, c.filterHits, c.filterMisses, c.readAmp, c.l0Files, c.compactions, c.compactedBytes, c.flushedBytes} {
		ch <- d
	}
}

// Collect implements prometheus.Collector; a closed store reports nothing.
func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	s, err := c.db.Stats()
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.BlockCacheHits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.BlockCacheMisses))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(s.BlockCacheBytes))
	ch <- prometheus.MustNewConstMetric(c.filterHits, prometheus.CounterValue, float64(s.FilterHits))
	ch <- prometheus.MustNewConstMetric(c.filterMisses, prometheus.CounterValue, float64(s.FilterMisses))
	ch <- prometheus.MustNewConstMetric(c.readAmp, prometheus.GaugeValue, float64(s.ReadAmp))
	ch <- prometheus.MustNewConstMetric(c.l0Files, prometheus.GaugeValue, float64(s.L0Files))
	ch <- prometheus.MustNewConstMetric(c.compactions, prometheus.CounterValue, float64(s.Compactions))
	ch <- prometheus.MustNewConstMetric(c.compactedBytes, prometheus.CounterValue, float64(s.CompactedBytes))
	ch <- prometheus.MustNewConstMetric(c.flushedBytes, prometheus.CounterValue, float64(s.FlushedBytes))
}
