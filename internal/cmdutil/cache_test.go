package cmdutil

import (
	"runtime/debug"
	"testing"
)

// TestCacheSizes: --cache splits in halves between the trie-node cache and
// the block cache; below 16 MiB is refused.
func TestCacheSizes(t *testing.T) {
	trie, block, err := CacheSizes(DefaultCacheMiB)
	if err != nil || trie != 32<<20 || block != 32<<20 {
		t.Fatalf("default: %d + %d, %v", trie, block, err)
	}
	if trie, block, err = CacheSizes(33); err != nil || trie+block != 33<<20 {
		t.Fatalf("odd size: %d + %d, %v", trie, block, err)
	}
	if _, _, err := CacheSizes(15); err == nil {
		t.Fatal("15 MiB accepted")
	}
}

// TestValidatorCacheSizes: a validator's --cache is half trie-node cache,
// a quarter block cache; the last quarter is the heap's (MemoryLimit).
func TestValidatorCacheSizes(t *testing.T) {
	trie, block, err := ValidatorCacheSizes(32)
	if err != nil || trie != 16<<20 || block != 8<<20 {
		t.Fatalf("--cache 32: %d + %d, %v", trie, block, err)
	}
	if _, _, err := ValidatorCacheSizes(15); err == nil {
		t.Fatal("15 MiB accepted")
	}
}

// TestMemoryLimit: the Go soft memory limit grows with --cache from a
// fixed base, by twice the trie-node cache's share (in the heap) and by
// the quarter left to the heap's room between collections;
// GOMEMLIMIT, when set, wins and is left alone.
func TestMemoryLimit(t *testing.T) {
	if got := MemoryLimit(32); got != 136<<20 {
		t.Fatalf("--cache 32: limit %d MiB, want 136", got>>20)
	}
	if got := MemoryLimit(1024); got != 1376<<20 {
		t.Fatalf("--cache 1024: limit %d MiB, want 1376", got>>20)
	}
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	t.Setenv("GOMEMLIMIT", "")
	if limit, fromEnv := ApplyMemoryLimit(32); fromEnv || limit != 136<<20 || debug.SetMemoryLimit(-1) != 136<<20 {
		t.Fatalf("applied %d MiB (from env %v), runtime says %d MiB", limit>>20, fromEnv, debug.SetMemoryLimit(-1)>>20)
	}
	t.Setenv("GOMEMLIMIT", "300MiB")
	debug.SetMemoryLimit(300 << 20)
	if limit, fromEnv := ApplyMemoryLimit(32); !fromEnv || limit != 300<<20 {
		t.Fatalf("with GOMEMLIMIT: %d MiB, from env %v", limit>>20, fromEnv)
	}
}

// TestApplyGCPercent: the validator's collector percentage is gcPercent
// unless GOGC chose one.
func TestApplyGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	t.Setenv("GOGC", "")
	if p, fromEnv := ApplyGCPercent(); fromEnv || p != gcPercent || debug.SetGCPercent(gcPercent) != gcPercent {
		t.Fatalf("applied %d (from env %v), want %d", p, fromEnv, gcPercent)
	}
	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	if p, fromEnv := ApplyGCPercent(); !fromEnv || p != 150 || debug.SetGCPercent(150) != 150 {
		t.Fatalf("with GOGC=150: %d (from env %v)", p, fromEnv)
	}
}
