package signer

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync makes the file's written data durable without its metadata
// (fdatasync): an overwrite in place changes only the modification time,
// which need not wait for a filesystem journal commit.
func datasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }
