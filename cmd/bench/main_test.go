package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/bilayer/bilayer/bench/l2bench"
)

func readKeys(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestWriteResultsKeepsTheSkippedPart checks that a one-part run replaces
// that part's keys and keeps the other part's from the previous file.
func TestWriteResultsKeepsTheSkippedPart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latest.json")
	if err := writeResults(path, &l1bench.Report{L1TPS: 100}, &l2bench.Report{TPS: 200}, nil); err != nil {
		t.Fatal(err)
	}
	m := readKeys(t, path)
	if string(m["l1_tps"]) != "100" || string(m["l2_tps"]) != "200" {
		t.Fatalf("both parts: l1_tps %s, l2_tps %s", m["l1_tps"], m["l2_tps"])
	}
	if err := writeResults(path, nil, &l2bench.Report{TPS: 300}, nil); err != nil {
		t.Fatal(err)
	}
	m = readKeys(t, path)
	if string(m["l1_tps"]) != "100" || string(m["l2_tps"]) != "300" {
		t.Fatalf("L2 only: l1_tps %s (want the previous 100), l2_tps %s (want 300)", m["l1_tps"], m["l2_tps"])
	}
	if err := writeResults(path, &l1bench.Report{L1TPS: 400}, nil, nil); err != nil {
		t.Fatal(err)
	}
	m = readKeys(t, path)
	if string(m["l1_tps"]) != "400" || string(m["l2_tps"]) != "300" {
		t.Fatalf("L1 only: l1_tps %s (want 400), l2_tps %s (want the previous 300)", m["l1_tps"], m["l2_tps"])
	}
}
