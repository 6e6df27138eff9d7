package store_test

import (
	"errors"
	"testing"

	"github.com/bilayer/bilayer/store"
	"github.com/bilayer/bilayer/store/memdb"
)

func TestAccessorsRoundTrip(t *testing.T) {
	db := memdb.New()
	defer db.Close()
	var gen, blk, tx [32]byte
	gen[0], blk[0], tx[0] = 1, 2, 3

	b := db.NewBatch() // accessors work on batches as on stores
	for _, err := range []error{
		store.WriteSchemaVersion(b, store.SchemaVersion),
		store.WriteGenesisHash(b, gen),
		store.WriteHeadHeight(b, 42),
		store.WriteHeightByHash(b, blk, 42),
		store.WriteTxLookup(b, tx, store.TxLocation{Height: 42, Index: 7}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
	if v, err := store.ReadSchemaVersion(db); err != nil || v != store.SchemaVersion {
		t.Errorf("schema version = %d, %v", v, err)
	}
	if h, err := store.ReadGenesisHash(db); err != nil || h != gen {
		t.Errorf("genesis = %x, %v", h, err)
	}
	if h, err := store.ReadHeadHeight(db); err != nil || h != 42 {
		t.Errorf("head = %d, %v", h, err)
	}
	if h, err := store.ReadHeightByHash(db, blk); err != nil || h != 42 {
		t.Errorf("height by hash = %d, %v", h, err)
	}
	if loc, err := store.ReadTxLookup(db, tx); err != nil || loc != (store.TxLocation{Height: 42, Index: 7}) {
		t.Errorf("tx lookup = %+v, %v", loc, err)
	}
}

func TestAccessorsNotFound(t *testing.T) {
	db := memdb.New()
	defer db.Close()
	var h [32]byte
	checks := map[string]error{}
	_, checks["head"] = store.ReadHeadHeight(db)
	_, checks["genesis"] = store.ReadGenesisHash(db)
	_, checks["version"] = store.ReadSchemaVersion(db)
	_, checks["height by hash"] = store.ReadHeightByHash(db, h)
	_, checks["tx lookup"] = store.ReadTxLookup(db, h)
	for name, err := range checks {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s on empty store: %v, want ErrNotFound", name, err)
		}
	}
}

func TestAccessorsCorrupt(t *testing.T) {
	db := memdb.New()
	defer db.Close()
	var h [32]byte
	for _, k := range [][]byte{store.HeadHeightKey(), store.GenesisHashKey(), store.TxLookupKey(h), store.HeightByHashKey(h)} {
		if err := db.Put(k, []byte{1, 2, 3}); err != nil {
			t.Fatal(err)
		}
	}
	checks := map[string]error{}
	_, checks["head"] = store.ReadHeadHeight(db)
	_, checks["genesis"] = store.ReadGenesisHash(db)
	_, checks["height by hash"] = store.ReadHeightByHash(db, h)
	_, checks["tx lookup"] = store.ReadTxLookup(db, h)
	for name, err := range checks {
		if !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("%s of a 3-byte value: %v, want ErrCorrupt", name, err)
		}
	}
}

func TestAccessorsWriteErrors(t *testing.T) {
	db := memdb.New()
	db.Close()
	if err := store.WriteHeadHeight(db, 1); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("write to closed store: %v, want ErrClosed", err)
	}
}

func FuzzDecodeTxLocation(f *testing.F) {
	f.Add(store.EncodeTxLocation(store.TxLocation{Height: 1, Index: 2}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		loc, err := store.DecodeTxLocation(b)
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("decode error is not ErrCorrupt: %v", err)
			}
			return
		}
		if got := store.EncodeTxLocation(loc); string(got) != string(b) {
			t.Fatalf("re-encoding %x gave %x", b, got)
		}
	})
}

func FuzzDecodeUint64(f *testing.F) {
	f.Add(store.EncodeUint64(7))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := store.DecodeUint64(b)
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("decode error is not ErrCorrupt: %v", err)
			}
			return
		}
		if got := store.EncodeUint64(v); string(got) != string(b) {
			t.Fatalf("re-encoding %x gave %x", b, got)
		}
	})
}
