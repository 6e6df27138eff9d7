package signer

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzFileStoreLoad feeds arbitrary file contents (either format: one JSON
// record, or two slots) to Load: it must return an error or a record that
// survives a Save/Load round trip, never panic.
func FuzzFileStoreLoad(f *testing.F) {
	f.Add([]byte(`{"height":3,"round":1,"step":2,"digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signature":"AQI="}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`not json`))
	record := []byte(`{"height":3,"round":1,"step":2,"digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signature":"AQI="}`)
	for _, seq := range []uint64{1, 2} {
		slot, err := encodeSlot(seq, record)
		if err != nil {
			f.Fatal(err)
		}
		two := make([]byte, 2*slotSize)
		copy(two[(seq%2)*slotSize:], slot)
		f.Add(two)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "state.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		fs := NewFileStore(path)
		ls, err := fs.Load()
		if err != nil {
			return
		}
		if err := fs.Save(ls); err != nil {
			t.Fatal(err)
		}
		again, err := fs.Load()
		if err != nil {
			t.Fatal(err)
		}
		if again.Height != ls.Height || again.Round != ls.Round || again.Step != ls.Step || again.Digest != ls.Digest || !bytes.Equal(again.Signature, ls.Signature) {
			t.Fatalf("round trip changed the record: %+v -> %+v", ls, again)
		}
	})
}
