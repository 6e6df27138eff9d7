//go:build !linux

package signer

import "os"

// datasync makes the file's written data durable (fsync where fdatasync is
// not available).
func datasync(f *os.File) error { return f.Sync() }
