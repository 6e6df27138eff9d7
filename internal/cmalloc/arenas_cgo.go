//go:build cgo && linux

package cmalloc

/*
#include <malloc.h>

static int bilayer_limit_arenas(int n) {
#ifdef M_ARENA_MAX
	return mallopt(M_ARENA_MAX, n);
#else
	return 0;
#endif
}
*/
import "C"

// LimitArenas bounds the C allocator's arenas to n (at least 1) and
// reports whether the allocator took the bound (glibc does; others have
// no such setting). Call it early, before threads allocate: arenas
// already made stay.
func LimitArenas(n int) bool {
	return C.bilayer_limit_arenas(C.int(max(n, 1))) == 1
}
