package pebblestore

import "github.com/cockroachdb/pebble/v2/vfs"

// FS is pebble's filesystem interface, re-exported so other packages can
// choose a filesystem without importing pebble.
type FS = vfs.FS

// MemFS is pebble's in-memory filesystem. Created by NewCrashableMemFS it
// supports CrashClone, which returns the filesystem as a crash at that
// moment could leave it.
type MemFS = vfs.MemFS

// CrashCloneCfg chooses how much unsynced data a crash clone keeps.
type CrashCloneCfg = vfs.CrashCloneCfg

// NewMemFS returns an in-memory filesystem (fast; no crash simulation).
func NewMemFS() *MemFS { return vfs.NewMem() }

// NewCrashableMemFS returns an in-memory filesystem that tracks what was
// synced, for crash tests with MemFS.CrashClone.
func NewCrashableMemFS() *MemFS { return vfs.NewCrashableMem() }
