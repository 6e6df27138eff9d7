package main

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bench/devnetbench"
	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/bilayer/bilayer/bench/l2bench"
	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/bench/rollupbench"
	"github.com/bilayer/bilayer/bench/summary"
)

var (
	testMachine = loadgen.Machine{Cores: 2, CPU: "test CPU", Commit: "abc1234"}
	testNow     = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
)

// runOnce builds and writes the results of one run to path, as run does.
func runOnce(t *testing.T, path string, r reports) *results {
	t.Helper()
	prev, err := readPrevious(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := buildResults(prev, r, testMachine, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.write(path); err != nil {
		t.Fatal(err)
	}
	return res
}

// readResults reads the results file back: its keys and its summary.
func readResults(t *testing.T, path string) (map[string]json.RawMessage, Summary) {
	t.Helper()
	data, err := readPrevious(path)
	if err != nil || data == nil {
		t.Fatalf("read %s: %v", path, err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var s Summary
	if err := json.Unmarshal(m[summaryKey], &s); err != nil {
		t.Fatalf("summary: %v", err)
	}
	return m, s
}

// row returns the summary row whose figure starts with prefix.
func row(t *testing.T, s Summary, prefix string) summary.Row {
	t.Helper()
	i := slices.IndexFunc(s.Rows, func(r summary.Row) bool { return strings.HasPrefix(r.Figure, prefix) })
	if i < 0 {
		t.Fatalf("no summary row %q in %+v", prefix, s.Rows)
	}
	return s.Rows[i]
}

// TestResultsKeepTheSkippedParts checks that a partial run replaces the
// keys of the parts that ran and keeps the others' from the previous
// file, and that the summary shows the kept figures and says where they
// come from.
func TestResultsKeepTheSkippedParts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latest.json")
	runOnce(t, path, reports{l1: &l1bench.Report{L1TPS: 100, DevnetStart: 1.5, FinishedAt: "2026-12-01T00:00:00Z"}, l2: &l2bench.Report{TPS: 200},
		devnet: &devnetbench.Report{FirstL1BlockS: 1.2, FinishedAt: "2026-12-01T00:01:00Z"}})
	m, s := readResults(t, path)
	if string(m["l1_tps"]) != "100" || string(m["l2_tps"]) != "200" || string(m["devnet_first_l1_block_s"]) != "1.2" {
		t.Fatalf("all parts: l1_tps %s, l2_tps %s, devnet_first_l1_block_s %s", m["l1_tps"], m["l2_tps"], m["devnet_first_l1_block_s"])
	}
	if len(s.CarriedOver) != 0 || s.Commit != "abc1234" || s.Date != "2026-12-02T08:00:00Z" {
		t.Fatalf("summary of a first run: %+v", s)
	}
	if r := row(t, s, "deposit latency"); r.Value != summary.NotMeasured {
		t.Fatalf("the rollup part never ran, yet: %+v", r)
	}

	// L2 alone: the L1's keys (devnet_start_s among them, which is not
	// the devnet part's) and the devnet part's stay.
	runOnce(t, path, reports{l2: &l2bench.Report{TPS: 300}})
	m, s = readResults(t, path)
	if string(m["l1_tps"]) != "100" || string(m["l2_tps"]) != "300" || string(m["devnet_start_s"]) != "1.5" || string(m["devnet_first_l1_block_s"]) != "1.2" {
		t.Fatalf("L2 only: l1_tps %s (want 100), l2_tps %s (want 300), devnet_start_s %s (want 1.5), devnet_first_l1_block_s %s (want 1.2)",
			m["l1_tps"], m["l2_tps"], m["devnet_start_s"], m["devnet_first_l1_block_s"])
	}
	if want := []string{"L1 (measured 2026-12-01T00:00:00Z)", "devnet (measured 2026-12-01T00:01:00Z)"}; !slices.Equal(s.CarriedOver, want) {
		t.Fatalf("carried over %q, want %q", s.CarriedOver, want)
	}
	if r := row(t, s, "L1 finalized throughput"); r.Value != "100 tx/s" {
		t.Fatalf("the L1 row from the previous run: %+v", r)
	}
	if r := row(t, s, "L2 soft-confirmed throughput"); r.Value != "300 tx/s" {
		t.Fatalf("the L2 row of this run: %+v", r)
	}

	// The L1 part alone replaces devnet_start_s and keeps the devnet
	// part's keys.
	res := runOnce(t, path, reports{l1: &l1bench.Report{L1TPS: 400, DevnetStart: 2.5, RSSMB: 300}})
	m, _ = readResults(t, path)
	if len(res.header.Notes) != 0 {
		t.Errorf("notes %q: the devnet part's memory was not measured", res.header.Notes)
	}
	if string(m["l1_tps"]) != "400" || string(m["l2_tps"]) != "300" || string(m["devnet_start_s"]) != "2.5" || string(m["devnet_first_l1_block_s"]) != "1.2" {
		t.Fatalf("L1 only: l1_tps %s, l2_tps %s, devnet_start_s %s, devnet_first_l1_block_s %s", m["l1_tps"], m["l2_tps"], m["devnet_start_s"], m["devnet_first_l1_block_s"])
	}
}

// TestResultsHoldEveryFigure checks that every figure of the benchmark
// issue has its key in the results file and its row in the summary.
func TestResultsHoldEveryFigure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latest.json")
	res := runOnce(t, path, reports{
		l1: &l1bench.Report{L1TPS: 1785, L1CeilingTPS: 4170, L1Ratio: 0.43, Validators: 4},
		l2: &l2bench.Report{TPS: 3838, LatencyRate: 1919, LatencyP50: 234, LatencyP99: 499, LatencySent: 100, Targets: l2bench.DefaultTargets()},
		rollup: &rollupbench.Report{BytesPerTransferWallet: 86, BytesPerTransferRandom: 95, ChallengeWitnessBytes: 600_000, ChallengeProofBytes: 650_000,
			ChallengeMsPerVerify: 60, DepositMs: 1500, WithdrawalBeyondWindow: 1, WithdrawalToPayoutS: 34, BridgeChallengeWindow: 30, BridgeL1BlockTimeS: 1,
			Deposits: make([]rollupbench.DepositSample, 3), Withdrawals: make([]rollupbench.WithdrawalSample, 3)},
		devnet: &devnetbench.Report{Validators: 4, FirstL1BlockS: 1.3, FirstL2BlockS: 3.9, MemoryMeasured: true, TotalRSSMiB: 500,
			Processes: []devnetbench.Process{{Name: "validator-0", Memory: loadgen.Memory{RSSMiB: 100}}}},
	})
	for _, k := range []string{
		"l1_tps", "l1_ratio_to_ceiling", "l2_tps", "l2_latency_p50_ms", "l2_latency_p99_ms", "l2_latency_offered_tps",
		"rollup_batch_bytes_per_transfer_wallet_amount", "rollup_challenge_witness_bytes", "rollup_challenge_verify_ms",
		"rollup_deposit_latency_ms", "rollup_withdrawal_beyond_window_l1_blocks", "rollup_withdrawal_l2_tx_to_payout_s",
		"devnet_first_l1_block_s", "devnet_first_l2_block_s", "devnet_processes", "devnet_rss_total_mib", "devnet_rss_goal_mb", summaryKey,
	} {
		if _, ok := res.merged[k]; !ok {
			t.Errorf("the results lack %q; they hold %q", k, res.keys())
		}
	}
	_, s := readResults(t, path)
	for _, r := range s.Rows {
		if r.Value == summary.NotMeasured {
			t.Errorf("row %q not measured although every part ran", r.Figure)
		}
	}
	if n := res.header.Notes; len(n) != 0 {
		t.Errorf("notes %q without a memory figure under load", n)
	}
	if got := len(s.Rows); got != 16 {
		t.Errorf("%d summary rows, want 16: %+v", got, s.Rows)
	}
}

// TestResultsNoteTheMemoryUnderLoad: with the devnet's memory and the L1
// part's memory under load both known, the table says the goal is
// measured at light load and what a validator held under load.
func TestResultsNoteTheMemoryUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latest.json")
	res := runOnce(t, path, reports{l1: &l1bench.Report{L1TPS: 400, RSSMB: 300}, devnet: &devnetbench.Report{FirstL1BlockS: 1, MemoryMeasured: true, TotalRSSMiB: 315}})
	if len(res.header.Notes) != 1 || !strings.Contains(res.header.Notes[0], "held up to 300 MiB") {
		t.Fatalf("notes %q", res.header.Notes)
	}
}
