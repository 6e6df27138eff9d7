package cmdutil

import "testing"

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
