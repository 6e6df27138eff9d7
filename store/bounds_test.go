package store

import (
	"bytes"
	"errors"
	"testing"
)

func TestPrefixEnd(t *testing.T) {
	cases := []struct {
		prefix, want []byte
	}{
		{nil, nil},
		{[]byte{}, nil},
		{[]byte{0xff}, nil},
		{[]byte{0xff, 0xff}, nil},
		{[]byte{0x00}, []byte{0x01}},
		{[]byte{'a', 0xff}, []byte{'b'}},
		{[]byte{'a', 0xfe}, []byte{'a', 0xff}},
		{[]byte{0x01, 0xff, 0xff}, []byte{0x02}},
	}
	for _, c := range cases {
		got := PrefixEnd(c.prefix)
		if !bytes.Equal(got, c.want) || (got == nil) != (c.want == nil) {
			t.Errorf("PrefixEnd(%x) = %x, want %x", c.prefix, got, c.want)
		}
	}
	// Against the definition: every key with the prefix is below the end,
	// and the end itself does not have the prefix.
	p := []byte{'a', 0xff}
	end := PrefixEnd(p)
	for _, ext := range [][]byte{nil, {0}, {0xff}, {0xff, 0xff, 0xff}} {
		k := append(bytes.Clone(p), ext...)
		if bytes.Compare(k, end) >= 0 {
			t.Errorf("key %x with prefix %x is not below end %x", k, p, end)
		}
	}
	if bytes.HasPrefix(end, p) {
		t.Errorf("end %x has the prefix %x", end, p)
	}
	in := []byte{'x'}
	PrefixEnd(in)
	if in[0] != 'x' {
		t.Error("PrefixEnd modified its argument")
	}
}

func TestMaxKeySortsLast(t *testing.T) {
	longest := bytes.Repeat([]byte{0xff}, MaxKeyLen)
	if bytes.Compare(longest, MaxKey()) >= 0 {
		t.Fatal("the longest valid key does not sort before MaxKey")
	}
	if err := CheckKey(MaxKey()); !errors.Is(err, ErrKeyTooLong) {
		t.Fatalf("MaxKey is a valid key: %v", err)
	}
	if !IsMaxKey(MaxKey()) || IsMaxKey(longest) {
		t.Fatal("IsMaxKey does not recognise exactly MaxKey")
	}
	m := MaxKey()
	m[0] = 0
	if !IsMaxKey(MaxKey()) {
		t.Fatal("mutating a MaxKey result changed MaxKey")
	}
}

func TestInRange(t *testing.T) {
	cases := []struct {
		key, start, end  string
		nilStart, nilEnd bool
		want             bool
	}{
		{"b", "a", "c", false, false, true},
		{"a", "a", "c", false, false, true},
		{"c", "a", "c", false, false, false},
		{"", "", "a", true, false, true},
		{"zzz", "b", "", false, true, true},
		{"a", "b", "", false, true, false},
	}
	for _, c := range cases {
		start, end := []byte(c.start), []byte(c.end)
		if c.nilStart {
			start = nil
		}
		if c.nilEnd {
			end = nil
		}
		if got := InRange([]byte(c.key), start, end); got != c.want {
			t.Errorf("InRange(%q, %q, %q) = %v, want %v", c.key, start, end, got, c.want)
		}
	}
}
