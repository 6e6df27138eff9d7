package memdb

import (
	"testing"

	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) store.Store {
		db := New()
		t.Cleanup(func() { _ = db.Close() })
		return db
	})
}
