package node

import (
	"testing"

	"github.com/bilayer/bilayer/core/block"
)

func TestVerifiedCacheHandsEachProposalOverOnceAndStaysBounded(t *testing.T) {
	var c verifiedCache
	key := func(i int) [32]byte { return [32]byte{byte(i), byte(i >> 8)} }
	for i := range verifiedCacheSize + 10 {
		c.put(key(i), consensusMsg{block: &block.Block{}})
	}
	if len(c.m) != verifiedCacheSize {
		t.Fatalf("cache holds %d, bound %d", len(c.m), verifiedCacheSize)
	}
	if _, ok := c.take(key(0)); ok {
		t.Fatal("the oldest entry was not evicted")
	}
	last := key(verifiedCacheSize + 9)
	if _, ok := c.take(last); !ok {
		t.Fatal("the newest entry is missing")
	}
	if _, ok := c.take(last); ok {
		t.Fatal("an entry was handed over twice")
	}
}
