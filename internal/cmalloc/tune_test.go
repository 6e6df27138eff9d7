package cmalloc

import (
	"runtime"
	"testing"
)

// TestAllocatorIsTuned: with cgo on Linux (glibc) the allocator took the
// settings made when the program was loaded. A large block freed and
// allocated again gets a mapping of its own both times (without the
// setting glibc raises its mapping threshold past a freed mapped block's
// size, so the second one comes from an arena and stays there once freed:
// a memtable's 4 MiB, issue 17), and threads allocating at once share
// NodeArenas arenas (glibc otherwise makes up to eight per core).
// Elsewhere Tuned reports that nothing was tuned.
func TestAllocatorIsTuned(t *testing.T) {
	want := cgoEnabled && runtime.GOOS == "linux"
	if got := Tuned(); got != want {
		t.Fatalf("Tuned() = %v, want %v (cgo %v, %s)", got, want, cgoEnabled, runtime.GOOS)
	}
	if !want {
		return
	}
	first, second := mappedAfterFree(4 << 20)
	if !first || !second {
		t.Fatalf("a 4 MiB block mapped on its own: first %v, after one was freed %v; want both", first, second)
	}
	if heaps := heapsAfterThreads(16); heaps < 1 || heaps > NodeArenas {
		t.Fatalf("16 threads allocating at once left %d heaps, want 1 to %d", heaps, NodeArenas)
	}
}
