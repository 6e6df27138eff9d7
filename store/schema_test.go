package store

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

// TestSchemaFamiliesDoNotOverlap checks that no key of one family can be a
// key of another: prefixes are distinct and singletons live under PrefixMeta.
func TestSchemaFamiliesDoNotOverlap(t *testing.T) {
	seen := map[byte]bool{}
	for _, p := range prefixes() {
		if seen[p] {
			t.Fatalf("prefix %q used twice", p)
		}
		seen[p] = true
	}
	metas := map[string]bool{}
	for _, k := range metaKeys() {
		if k[0] != PrefixMeta {
			t.Errorf("singleton key %q is outside PrefixMeta", k)
		}
		if metas[k] {
			t.Errorf("singleton key %q listed twice", k)
		}
		for other := range metas {
			if strings.HasPrefix(k, other) || strings.HasPrefix(other, k) {
				t.Errorf("singleton keys %q and %q overlap", k, other)
			}
		}
		metas[k] = true
	}
}

// TestSchemaKeyLayout pins the byte layout of every key constructor: a
// change here is a database format change (bump SchemaVersion).
func TestSchemaKeyLayout(t *testing.T) {
	var h [32]byte
	for i := range h {
		h[i] = byte(i)
	}
	hh := hex.EncodeToString(h[:])
	cases := []struct {
		name string
		key  []byte
		want string
	}{
		{"header", HeaderKey(0x0102), "68" + "0000000000000102"},
		{"commit", CommitKey(1), "63" + "0000000000000001"},
		{"height by hash", HeightByHashKey(h), "6e" + hh},
		{"body", BodyKey(h), "62" + hh},
		{"receipts", ReceiptsKey(h), "72" + hh},
		{"tx lookup", TxLookupKey(h), "6c" + hh},
		{"wal", ConsensusWALKey(2, 3), "77" + "0000000000000002" + "00000003"},
		{"wal height", ConsensusWALHeightPrefix(2), "77" + "0000000000000002"},
		{"trie", TrieNamespace(), "74"},
		{"head", HeadHeightKey(), hex.EncodeToString([]byte("mHeadHeight"))},
		{"genesis", GenesisHashKey(), hex.EncodeToString([]byte("mGenesisHash"))},
		{"signer", SignerStateKey(), hex.EncodeToString([]byte("mSignerState"))},
		{"version", SchemaVersionKey(), hex.EncodeToString([]byte("mSchemaVersion"))},
	}
	for _, c := range cases {
		if got := hex.EncodeToString(c.key); got != c.want {
			t.Errorf("%s key = %s, want %s", c.name, got, c.want)
		}
		if err := CheckKey(c.key); err != nil {
			t.Errorf("%s key: %v", c.name, err)
		}
	}
}

// TestHeightKeysSortNumerically checks that big-endian heights iterate in
// numeric order.
func TestHeightKeysSortNumerically(t *testing.T) {
	heights := []uint64{0, 1, 255, 256, 65535, 1 << 32, 1<<64 - 1}
	for i := 1; i < len(heights); i++ {
		if bytes.Compare(HeaderKey(heights[i-1]), HeaderKey(heights[i])) >= 0 {
			t.Fatalf("header key of %d does not sort before %d", heights[i-1], heights[i])
		}
	}
	if !bytes.HasPrefix(ConsensusWALKey(7, 9), ConsensusWALHeightPrefix(7)) {
		t.Fatal("WAL entry key lacks its height prefix")
	}
}

// TestKeysAreFresh checks that constructors return new slices each time.
func TestKeysAreFresh(t *testing.T) {
	k := HeadHeightKey()
	k[0] = 'X'
	if HeadHeightKey()[0] != PrefixMeta {
		t.Fatal("mutating a returned key changed the schema")
	}
	n := TrieNamespace()
	n[0] = 'X'
	if TrieNamespace()[0] != PrefixTrie {
		t.Fatal("mutating the trie namespace changed the schema")
	}
}
