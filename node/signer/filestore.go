package signer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// FileStore is a StateStore in one JSON file. Save writes a temporary file,
// syncs it, renames it over the old one and syncs the directory, so after a
// crash the file holds either the old or the new record.
type FileStore struct {
	path string
	// beforeRename, if set (tests only), runs after the temporary file is
	// synced and before the rename; an error aborts Save there.
	beforeRename func() error
}

// NewFileStore returns a store at path (the file need not exist yet).
func NewFileStore(path string) *FileStore { return &FileStore{path: path} }

type fileRecord struct {
	Height    uint64 `json:"height"`
	Round     int32  `json:"round"`
	Step      Step   `json:"step"`
	Digest    []byte `json:"digest"`
	Signature []byte `json:"signature"`
}

// Load reads the record; a missing file means nothing was signed.
func (f *FileStore) Load() (LastSign, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return LastSign{}, nil
	}
	if err != nil {
		return LastSign{}, fmt.Errorf("read %s: %w", f.path, err)
	}
	var rec fileRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return LastSign{}, fmt.Errorf("decode %s: %w", f.path, err)
	}
	if len(rec.Digest) != 32 {
		return LastSign{}, fmt.Errorf("decode %s: digest of %d bytes", f.path, len(rec.Digest))
	}
	ls := LastSign{Height: rec.Height, Round: rec.Round, Step: rec.Step, Signature: rec.Signature}
	copy(ls.Digest[:], rec.Digest)
	return ls, nil
}

// Save replaces the record durably.
func (f *FileStore) Save(ls LastSign) error {
	data, err := json.Marshal(fileRecord{Height: ls.Height, Round: ls.Round, Step: ls.Step, Digest: ls.Digest[:], Signature: ls.Signature})
	if err != nil {
		return fmt.Errorf("encode sign state: %w", err)
	}
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, filepath.Base(f.path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("create temp sign state: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp.Name(), err)
	}
	if f.beforeRename != nil {
		if err := f.beforeRename(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("rename sign state into %s: %w", f.path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
