package pebblestore

import (
	"testing"

	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/storetest"
)

// openMem opens a store on a fresh in-memory filesystem.
func openMem(t *testing.T) *DB {
	t.Helper()
	db, err := Open("db", Options{FS: NewMemFS(), CacheSize: minCacheSize, MemTableSize: minMemTableSize})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformanceMemFS(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) store.Store { return openMem(t) })
}

func TestConformanceDisk(t *testing.T) {
	if testing.Short() {
		t.Skip("disk-backed run skipped in -short")
	}
	storetest.TestStore(t, func(t *testing.T) store.Store {
		db, err := Open(t.TempDir(), Options{CacheSize: minCacheSize, MemTableSize: minMemTableSize})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = db.Close() })
		return db
	})
}
