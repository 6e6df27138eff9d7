package summary

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/bench/devnetbench"
	"github.com/bilayer/bilayer/bench/l1bench"
	"github.com/bilayer/bilayer/bench/l2bench"
	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/bench/rollupbench"
)

func fullParts() Parts {
	return Parts{
		L1: &l1bench.Report{L1TPS: 1785, L1CeilingTPS: 4170, L1Ratio: 0.428, TxCostMicros: 119.9, Validators: 4, Machine: loadgen.Machine{Cores: 2}},
		L2: &l2bench.Report{TPS: 3838, LatencyRate: 1919, LatencyP50: 48, LatencyP99: 1499, LatencySent: 1000, Targets: l2bench.DefaultTargets()},
		Rollup: &rollupbench.Report{BytesPerTransferWallet: 86.4, BytesPerTransferRandom: 95.2, ChallengeWitnessBytes: 612_345, ChallengeProofBytes: 650_000,
			ChallengeMsPerVerify: 140, DepositMs: 27, DepositSendMs: 1000, WithdrawalBeyondWindow: 0, WithdrawalToPayoutS: 33, BridgeChallengeWindow: 30, BridgeL1BlockTimeS: 1,
			Deposits: make([]rollupbench.DepositSample, 3), Withdrawals: make([]rollupbench.WithdrawalSample, 3)},
		Devnet: &devnetbench.Report{Validators: 4, FirstL1BlockS: 1.3, FirstL2BlockS: 3.9, LoadS: 20, MemoryMeasured: true, TotalRSSMiB: 580,
			Processes: []devnetbench.Process{{Name: "validator-0", Memory: loadgen.Memory{RSSMiB: 120}}, {Name: "sequencer", Memory: loadgen.Memory{RSSMiB: 90}}}},
	}
}

// find returns the row whose figure starts with prefix.
func find(t *testing.T, rs []Row, prefix string) Row {
	t.Helper()
	for _, r := range rs {
		if strings.HasPrefix(r.Figure, prefix) {
			return r
		}
	}
	t.Fatalf("no row %q", prefix)
	return Row{}
}

func TestBuildMarksEveryTarget(t *testing.T) {
	rs := Build(fullParts())
	for _, c := range []struct {
		prefix, value, target string
		met                   *bool
	}{
		{"L1 finalized throughput", "1,785 tx/s", "", nil},
		{"L1 ratio to the ceiling (2 cores / (4 validators × 119.9 µs) = 4,170 tx/s)", "43 %", "≥ 60 %", is(false)},
		{"L2 soft-confirmed throughput", "3,838 tx/s", "≥ 15,000 tx/s", is(false)},
		{"L2 send → receipt p50 at half the peak (1,919 tx/s)", "48 ms", "≤ 50 ms", is(true)},
		{"L2 send → receipt p99", "1,499 ms", "≤ 300 ms", is(false)},
		{"L1 bytes per L2 transfer (zstd batch; wallet amounts)", "86.4 B", "≤ 90 B", is(true)},
		{"L1 bytes per L2 transfer (random", "95.2 B", "≤ 90 B", is(false)},
		{"fraud-proof witness size", "612 kB (650 kB)", "whole proof ≤ 4 MiB (one L1 transaction)", is(true)},
		{"fraud-proof L1 verification time", "140 ms", "≤ 100 ms", is(false)},
		{"deposit latency: L1 inclusion → L2 credit (median of 3; from sending the L1 transaction, 1 s L1 blocks: 1,000 ms)", "27 ms", "", nil},
		{"withdrawal latency beyond the challenge window", "0 L1 blocks", "≤ 2 L1 blocks", is(true)},
		{"withdrawal latency: L2 transaction → L1 payout (W = 30 L1 blocks of 1 s)", "33.0 s", "", nil},
		{"devnet start (`devnet up`) → first L1 block on all 4 validators", "1.30 s", "≤ 3 s", is(true)},
		{"devnet start → first L2 block", "3.90 s", "", nil},
		{"resident memory per process (after 20 s of light load)", "validator-0 120, sequencer 90 MiB", "", nil},
		{"resident memory, all 2 processes", "580 MiB (608 MB)", "≤ 600 MB (572 MiB)", is(false)},
	} {
		r := find(t, rs, c.prefix)
		if r.Value != c.value || r.Target != c.target || (r.Met == nil) != (c.met == nil) || (r.Met != nil && *r.Met != *c.met) {
			t.Errorf("row %q: %q, target %q, met %v; want %q, %q, %v", r.Figure, r.Value, r.Target, metString(r.Met), c.value, c.target, metString(c.met))
		}
	}
	if len(rs) != 16 {
		t.Errorf("%d rows, want 16", len(rs))
	}
}

// TestBuildWithoutParts: a part never measured gives its rows as not
// measured, with their targets, and no verdict.
func TestBuildWithoutParts(t *testing.T) {
	full := Build(fullParts())
	empty := Build(Parts{})
	if len(empty) != len(full) {
		t.Fatalf("%d rows without parts, %d with every part: the table must keep its shape", len(empty), len(full))
	}
	for _, r := range empty {
		if r.Value != NotMeasured || r.Met != nil {
			t.Errorf("row %+v of a part that never ran", r)
		}
	}
	if r := find(t, empty, "resident memory, all six"); r.Target != "≤ 600 MB (572 MiB)" {
		t.Errorf("the memory goal is lost without a measurement: %+v", r)
	}
}

// TestBuildWithoutMemory: outside Linux the memory rows say n/a.
func TestBuildWithoutMemory(t *testing.T) {
	p := fullParts()
	p.Devnet.MemoryMeasured = false
	rs := Build(p)
	for _, prefix := range []string{"resident memory per process", "resident memory, all six"} {
		if r := find(t, rs, prefix); r.Value != "n/a" || r.Met != nil {
			t.Errorf("%+v; want n/a and no verdict", r)
		}
	}
}

func TestMarkdown(t *testing.T) {
	var b bytes.Buffer
	Markdown(&b, Header{Cores: 2, CPU: "AMD EPYC", Commit: "abc1234", Date: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC),
		Carried: []string{"L2 (measured 2026-12-01T00:00:00Z)"}, Notes: []string{"⚠ busy"}}, Build(fullParts()))
	out := b.String()
	for _, want := range []string{
		"### bilayer — both layers (2026-12-02, 2 cores: AMD EPYC, commit abc1234)",
		"| figure | value | target / goal | met? |",
		"| 43 % | ≥ 60 % | ❌ missed |",
		"| 48 ms | ≤ 50 ms | ✅ met |",
		"| 1,785 tx/s |  |  |",
		"not run this time: L2 (measured 2026-12-01T00:00:00Z).",
		"⚠ busy",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
}

func TestFormats(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999.4: "999", 1000: "1,000", 15000: "15,000", 1234567.8: "1,234,568", -4170: "-4,170"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]string{1: "1 s", 0.25: "0.25 s", 1.5: "1.5 s"} {
		if got := seconds(v); got != want {
			t.Errorf("seconds(%v) = %q, want %q", v, got, want)
		}
	}
}

// TestBuildSaysWhatTheHostDidToTheL2: an L2 run that read the cores' speed
// gauge gives the speed at its peak against the idle machine and the
// cores the hypervisor took then; one that did not (older than session
// 38) gives neither row.
func TestBuildSaysWhatTheHostDidToTheL2(t *testing.T) {
	p := fullParts()
	p.L2.GaugeIdle, p.L2.PeakGauge, p.L2.PeakStolenCores = 2*time.Millisecond, 2500*time.Microsecond, 0.45
	rs := Build(p)
	if r := find(t, rs, "L2 the cores' speed against the idle machine"); r.Value != "0.80" || r.Met != nil {
		t.Errorf("speed row %+v, want 0.80 and no verdict", r)
	}
	if r := find(t, rs, "L2 cores the hypervisor took during the peak's step"); r.Value != "0.45" || r.Target != "≈ 0" {
		t.Errorf("steal row %+v, want 0.45 against ≈ 0", r)
	}
	if got, without := len(rs), len(Build(fullParts())); got != without+2 {
		t.Errorf("%d rows with the gauge read, %d without: want two more", got, without)
	}
}
