package pebblestore

// Stats is what the database has done since it was opened, for a node's
// metrics: how often blocks came from the block cache, how often a bloom
// filter spared a table's data block, how many tables a read may have to
// check, and what flushes and compactions wrote.
type Stats struct {
	// BlockCacheHits and BlockCacheMisses count block reads answered from
	// the block cache and read from a file.
	BlockCacheHits, BlockCacheMisses int64
	// BlockCacheBytes is what the block cache holds.
	BlockCacheBytes int64
	// FilterHits counts table reads a bloom filter spared; FilterMisses
	// the checks that could not rule the table out.
	FilterHits, FilterMisses int64
	// ReadAmp is the number of sorted runs a read may have to check (each
	// L0 file and each non-empty level below it).
	ReadAmp int
	// L0Files is the number of tables in level 0.
	L0Files int64
	// Compactions counts the compactions finished.
	Compactions int64
	// CompactedBytes is what compactions have written (tables and blob
	// files, every level), and FlushedBytes what memtable flushes have:
	// the write amplification's two parts.
	CompactedBytes, FlushedBytes int64
}

// Stats returns the database's statistics.
func (d *DB) Stats() (Stats, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if err := d.readable("stats"); err != nil {
		return Stats{}, err
	}
	m := d.db.Metrics()
	var compacted, flushed uint64
	for _, l := range m.Levels {
		// Pebble counts a flush's blob files in BlobBytesCompacted as well
		// as in BlobBytesFlushed (pebble v2.1: compaction.go sets the first
		// for every run), so the flushed part is taken out of it here.
		compacted += l.TableBytesCompacted + l.BlobBytesCompacted - l.BlobBytesFlushed
		flushed += l.TableBytesFlushed + l.BlobBytesFlushed
	}
	return Stats{
		BlockCacheHits:   m.BlockCache.Hits,
		BlockCacheMisses: m.BlockCache.Misses,
		BlockCacheBytes:  m.BlockCache.Size,
		FilterHits:       m.Filter.Hits,
		FilterMisses:     m.Filter.Misses,
		ReadAmp:          m.ReadAmp(),
		L0Files:          m.Levels[0].TablesCount,
		Compactions:      m.Compact.Count,
		CompactedBytes:   int64(compacted),
		FlushedBytes:     int64(flushed),
	}, nil
}
