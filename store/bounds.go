package store

import (
	"bytes"
	"fmt"
)

// maxKey is one byte longer than MaxKeyLen and all 0xff, so it sorts after
// every valid key. It is unexported so nobody can mutate it; use MaxKey.
var maxKey = bytes.Repeat([]byte{0xff}, MaxKeyLen+1)

// MaxKey returns a fresh copy of the key that sorts after every valid key.
// Backends use it to encode an unbounded DeleteRange end.
func MaxKey() []byte { return bytes.Clone(maxKey) }

// IsMaxKey reports whether k is the unbounded-end marker returned by MaxKey.
func IsMaxKey(k []byte) bool { return bytes.Equal(k, maxKey) }

// CheckKey returns an error wrapping ErrKeyTooLong if key is longer than
// MaxKeyLen.
func CheckKey(key []byte) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("key of %d bytes (max %d): %w", len(key), MaxKeyLen, ErrKeyTooLong)
	}
	return nil
}

// PrefixEnd returns the smallest key greater than every key that starts with
// prefix, or nil when there is none (prefix empty or all 0xff): nil then
// means "no upper bound".
func PrefixEnd(prefix []byte) []byte {
	for i := len(prefix) - 1; i >= 0; i-- {
		if prefix[i] != 0xff {
			end := bytes.Clone(prefix[:i+1])
			end[i]++
			return end
		}
	}
	return nil
}

// InRange reports whether key lies in [start, end), where a nil start means
// the first key and a nil end means past the last key.
func InRange(key, start, end []byte) bool {
	if start != nil && bytes.Compare(key, start) < 0 {
		return false
	}
	return end == nil || bytes.Compare(key, end) < 0
}
