//go:build cgo && linux

package cmalloc

/*
#cgo LDFLAGS: -lpthread
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BILAYER_ARENAS 1
#define BILAYER_LARGE_BLOCK (128 << 10)

static int bilayer_tuned;

// glibc decides how many arenas it may make the first time a thread other
// than the first needs one, and keeps that: M_ARENA_MAX set after any such
// thread has allocated is ignored. The Go runtime runs cgo calls and
// package initialization on threads of its own, so the settings are made
// here, when the program is loaded, before any of them exists.
__attribute__((constructor)) static void bilayer_tune(void) {
	int ok = 1;
#ifdef M_ARENA_MAX
	ok &= mallopt(M_ARENA_MAX, BILAYER_ARENAS);
#else
	ok = 0;
#endif
	ok &= mallopt(M_MMAP_THRESHOLD, BILAYER_LARGE_BLOCK);
	ok &= mallopt(M_TRIM_THRESHOLD, BILAYER_LARGE_BLOCK);
	bilayer_tuned = ok;
}

static int bilayer_is_tuned(void) { return bilayer_tuned; }
static int bilayer_arenas(void) { return BILAYER_ARENAS; }
static int bilayer_large_block(void) { return BILAYER_LARGE_BLOCK; }

// bilayer_mapped_blocks is how many blocks the allocator holds mapped on
// their own (mallinfo2's hblks), or -1 where it cannot tell.
static long bilayer_mapped_blocks(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	return (long)mallinfo2().hblks;
#else
	return -1;
#endif
}

static void *bilayer_malloc(size_t n) { return malloc(n); }
static void bilayer_free(void *p) { free(p); }

static void *bilayer_churn(void *arg) {
	for (int i = 0; i < 1000; i++) {
		void *p = malloc(64 + i % 512);
		free(p);
	}
	return NULL;
}

// bilayer_heaps_after_threads runs n threads that allocate at once and
// returns how many heaps (arenas) malloc_info then lists, or -1.
static int bilayer_heaps_after_threads(int n) {
	pthread_t t[64];
	if (n > 64) n = 64;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, bilayer_churn, NULL) != 0) return -1;
	}
	for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (f == NULL) return -1;
	if (malloc_info(0, f) != 0) { fclose(f); free(buf); return -1; }
	fclose(f);
	int heaps = 0;
	for (char *p = buf; (p = strstr(p, "<heap nr=")) != NULL; p++) heaps++;
	free(buf);
	return heaps;
}
*/
import "C"

// NodeArenas is how many arenas the C allocator may use in a program that
// links this package: one. Pebble's allocations come from its block reads
// and flushes, a few a second; one arena's lock does not make them wait
// on this machine (issue 17, session 26).
var NodeArenas = int(C.bilayer_arenas())

// LargeBlock is the size from which the allocator maps a block on its own
// and returns it to the system when freed (glibc's default, held fixed:
// glibc otherwise raises it after each such block is freed). Pebble's
// cached blocks are smaller and come from the arena; its memtables are
// larger.
var LargeBlock = int(C.bilayer_large_block())

// Tuned reports whether the C allocator took the settings this package
// makes when the program is loaded (glibc does; others have no such
// settings).
func Tuned() bool { return C.bilayer_is_tuned() == 1 }

// mappedAfterFree allocates and frees a block of n bytes twice and reports
// whether each time the block had a mapping of its own (the allocator's
// count of such blocks rose while it was held), and false, false where the
// allocator cannot tell.
func mappedAfterFree(n int) (first, second bool) {
	held := func() bool {
		before := C.bilayer_mapped_blocks()
		p := C.bilayer_malloc(C.size_t(n))
		during := C.bilayer_mapped_blocks()
		C.bilayer_free(p)
		return before >= 0 && during > before
	}
	first = held()
	second = held()
	return first, second
}

// heapsAfterThreads runs n C threads that allocate at once and returns how
// many heaps (arenas) the allocator then has, or -1 where it cannot tell.
func heapsAfterThreads(n int) int { return int(C.bilayer_heaps_after_threads(C.int(n))) }
