//go:build !cgo || !linux

package cmalloc

// LimitArenas does nothing without cgo (pebble then allocates from the Go
// heap) or off Linux, and reports false.
func LimitArenas(n int) bool { return false }
