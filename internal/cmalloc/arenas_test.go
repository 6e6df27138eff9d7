package cmalloc

import (
	"runtime"
	"testing"
)

// TestLimitArenas: with cgo on Linux (glibc, statically linked or not) the
// allocator takes the bound; elsewhere LimitArenas reports that it did
// nothing.
func TestLimitArenas(t *testing.T) {
	got := LimitArenas(2)
	want := cgoEnabled && runtime.GOOS == "linux"
	if got != want {
		t.Errorf("LimitArenas(2) = %v, want %v (cgo %v, %s)", got, want, cgoEnabled, runtime.GOOS)
	}
}
