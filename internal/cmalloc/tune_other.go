//go:build !cgo || !linux

package cmalloc

// NodeArenas and LargeBlock are the C allocator's settings on cgo builds
// for Linux; here there is no C allocator to tune (pebble then allocates
// from the Go heap).
var (
	NodeArenas = 0
	LargeBlock = 0
)

// Tuned reports false: there is no C allocator to tune.
func Tuned() bool { return false }

// mappedAfterFree reports false, false: there is no C allocator to ask.
func mappedAfterFree(n int) (first, second bool) { return false, false }

// heapsAfterThreads reports -1: there is no C allocator to ask.
func heapsAfterThreads(n int) int { return -1 }
