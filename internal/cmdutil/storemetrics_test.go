package cmdutil

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	pebblestore "github.com/bilayer/bilayer/store/pebble"
)

// TestStoreMetrics: every database metric is gathered from an open store,
// the block cache's reads among them; a closed store reports none rather
// than failing the scrape.
func TestStoreMetrics(t *testing.T) {
	db, err := pebblestore.Open("db", pebblestore.Options{FS: pebblestore.NewMemFS()})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := RegisterStoreMetrics(reg, db); err != nil {
		t.Fatal(err)
	}
	want := []string{"bilayer_db_block_cache_hits_total", "bilayer_db_block_cache_misses_total", "bilayer_db_block_cache_bytes",
		"bilayer_db_filter_hits_total", "bilayer_db_filter_misses_total", "bilayer_db_read_amp", "bilayer_db_l0_tables", "bilayer_db_compactions_total", "bilayer_db_compacted_bytes_total", "bilayer_db_flushed_bytes_total"}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, name := range want {
		if !got[name] {
			t.Errorf("%s not gathered (got %v)", name, got)
		}
	}
	if err := RegisterStoreMetrics(reg, db); err == nil {
		t.Error("registering the database metrics twice: no error")
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	families, err = reg.Gather()
	if err != nil {
		t.Fatalf("scrape after the store closed: %v", err)
	}
	if len(families) != 0 {
		t.Errorf("a closed store reported %d metric families", len(families))
	}
}
