package pebblestore

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"

	"github.com/bilayer/bilayer/store"
)

// TestWALWriteFailureIsAnError injects a write error into the WAL: pebble
// calls Logger.Fatalf, and the commit must return ErrFailed instead of the
// process dying; later writes fail fast, reads still work.
func TestWALWriteFailureIsAnError(t *testing.T) {
	walWrites := errorfs.InjectorFunc(func(op errorfs.Op) error {
		if strings.HasSuffix(op.Path, ".log") && op.Kind.ReadOrWrite() == errorfs.OpIsWrite {
			return errorfs.ErrInjected
		}
		return nil
	})
	toggle := &errorfs.Toggle{Injector: walWrites}
	db, err := Open("db", Options{FS: errorfs.Wrap(vfs.NewMem(), toggle), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Put([]byte("before"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	toggle.On()
	b := db.NewBatch()
	if err := b.Put([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	err = b.Commit(true)
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("commit with a failing WAL: %v, want ErrFailed", err)
	}
	if err := db.Put([]byte("after"), nil); !errors.Is(err, ErrFailed) {
		t.Fatalf("put after failure: %v, want ErrFailed", err)
	}
	if v, err := db.Get([]byte("before")); err != nil || string(v) != "v" {
		t.Fatalf("read after failure: %q, %v", v, err)
	}
	_ = db.Close()
	if _, err := db.Get([]byte("before")); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("get after close: %v", err)
	}
}
