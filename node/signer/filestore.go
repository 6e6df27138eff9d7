package signer

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
)

// FileStore is a StateStore in one file of two fixed-size slots, each a
// record with a sequence number and a checksum. The first Save (of a new
// store, or of one in the older single-JSON-record format) writes the whole
// file to a temporary file, syncs it, renames it over the old one and syncs
// the directory. Every later Save overwrites the slot that does not hold
// the newest record and syncs the file's data alone (fdatasync): the file
// keeps its size and blocks, so no filesystem journal commit is waited for.
// A crash mid-write leaves that slot torn (its checksum fails) and the other
// slot whole, and Load takes the valid slot with the higher sequence number:
// the old record or the new one, as the rename gave before.
//
// Under load the rename's two journal commits per signature took up to a
// third of a second on the devnet's shared disk, on the critical path of
// every vote and proposal (issue 17).
type FileStore struct {
	path string
	// seq is the sequence number of the newest record on disk; slotted
	// says the file is in the two-slot format; loaded says seq and slotted
	// were read.
	seq             uint64
	slotted, loaded bool
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

const (
	// slotSize is one slot: slotMagic, the sequence number, the record's
	// length, the record (JSON) and a CRC-32C of everything before it.
	slotSize   = 512
	slotHeader = 4 + 8 + 2
	slotMagic  = "BLS2"
	maxRecord  = slotSize - slotHeader - 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encodeSlot lays out the record as slot seq.
func encodeSlot(seq uint64, record []byte) ([]byte, error) {
	if len(record) > maxRecord {
		return nil, fmt.Errorf("sign state record of %d bytes, at most %d fit a slot", len(record), maxRecord)
	}
	slot := make([]byte, slotSize)
	copy(slot, slotMagic)
	binary.BigEndian.PutUint64(slot[4:], seq)
	binary.BigEndian.PutUint16(slot[12:], uint16(len(record)))
	copy(slot[slotHeader:], record)
	binary.BigEndian.PutUint32(slot[slotSize-4:], crc32.Checksum(slot[:slotSize-4], castagnoli))
	return slot, nil
}

// decodeSlot returns a slot's sequence number and record, or false if the
// slot is empty or torn.
func decodeSlot(slot []byte) (uint64, []byte, bool) {
	if len(slot) != slotSize || string(slot[:4]) != slotMagic {
		return 0, nil, false
	}
	if crc32.Checksum(slot[:slotSize-4], castagnoli) != binary.BigEndian.Uint32(slot[slotSize-4:]) {
		return 0, nil, false
	}
	n := int(binary.BigEndian.Uint16(slot[12:]))
	if n > maxRecord {
		return 0, nil, false
	}
	return binary.BigEndian.Uint64(slot[4:]), slot[slotHeader : slotHeader+n], true
}

// Load reads the newest record; a missing file means nothing was signed.
func (f *FileStore) Load() (LastSign, error) {
	f.loaded, f.slotted, f.seq = false, false, 0
	data, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		f.loaded = true
		return LastSign{}, nil
	}
	if err != nil {
		return LastSign{}, fmt.Errorf("read %s: %w", f.path, err)
	}
	// The older format is one JSON record, which starts with "{"; a slot
	// starts with slotMagic, or with zeros before its first write.
	record := data
	if !bytes.HasPrefix(data, []byte("{")) {
		if len(data) != 2*slotSize {
			return LastSign{}, fmt.Errorf("decode %s: %d bytes, want two slots of %d", f.path, len(data), slotSize)
		}
		seq0, rec0, ok0 := decodeSlot(data[:slotSize])
		seq1, rec1, ok1 := decodeSlot(data[slotSize:])
		switch {
		case ok0 && (!ok1 || seq0 > seq1):
			f.seq, record = seq0, rec0
		case ok1:
			f.seq, record = seq1, rec1
		default:
			return LastSign{}, fmt.Errorf("decode %s: neither slot holds a whole record", f.path)
		}
		f.slotted = true
	}
	var rec fileRecord
	if err := json.Unmarshal(record, &rec); err != nil {
		return LastSign{}, fmt.Errorf("decode %s: %w", f.path, err)
	}
	if len(rec.Digest) != 32 {
		return LastSign{}, fmt.Errorf("decode %s: digest of %d bytes", f.path, len(rec.Digest))
	}
	ls := LastSign{Height: rec.Height, Round: rec.Round, Step: rec.Step, Signature: rec.Signature}
	copy(ls.Digest[:], rec.Digest)
	f.loaded = true
	return ls, nil
}

// Save replaces the record durably.
func (f *FileStore) Save(ls LastSign) error {
	if !f.loaded {
		if _, err := f.Load(); err != nil {
			return fmt.Errorf("save sign state: %w", err)
		}
	}
	record, err := json.Marshal(fileRecord{Height: ls.Height, Round: ls.Round, Step: ls.Step, Digest: ls.Digest[:], Signature: ls.Signature})
	if err != nil {
		return fmt.Errorf("encode sign state: %w", err)
	}
	slot, err := encodeSlot(f.seq+1, record)
	if err != nil {
		return err
	}
	// A failed write leaves what is on disk unknown: read it again first.
	f.loaded = false
	if f.slotted {
		err = f.overwrite(int64((f.seq+1)%2)*slotSize, slot)
	} else {
		whole := make([]byte, 2*slotSize)
		copy(whole[((f.seq+1)%2)*slotSize:], slot)
		err = f.replace(whole)
	}
	if err != nil {
		return err
	}
	f.seq, f.slotted, f.loaded = f.seq+1, true, true
	return nil
}

// overwrite writes slot at off in the file and syncs the file's data.
func (f *FileStore) overwrite(off int64, slot []byte) error {
	file, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", f.path, err)
	}
	defer file.Close()
	if _, err := file.WriteAt(slot, off); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	if err := datasync(file); err != nil {
		return fmt.Errorf("sync %s: %w", f.path, err)
	}
	return nil
}

// replace writes data to a synced temporary file and renames it over the
// store's file, then syncs the directory.
func (f *FileStore) replace(data []byte) error {
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
