package devnetbench

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/bench/loadgen"
	"github.com/bilayer/bilayer/devnet"
)

func TestMemoryGoal(t *testing.T) {
	if got := GoalTotalMiB(); got < 572.2 || got > 572.3 {
		t.Fatalf("600 MB = %.3f MiB, want 572.2", got)
	}
	for _, c := range []struct {
		measured bool
		mib      float64
		met      bool
	}{{true, 572, true}, {true, 573, false}, {false, 100, false}} {
		r := &Report{MemoryMeasured: c.measured, TotalRSSMiB: c.mib}
		if got := r.MemoryGoalMet(); got != c.met {
			t.Errorf("%.0f MiB (measured %v): met %v, want %v", c.mib, c.measured, got, c.met)
		}
	}
}

func TestPerProcessAndMarkdown(t *testing.T) {
	r := &Report{Validators: 4, FirstL1BlockS: 1.25, L2RPCS: 2.1, FirstL2BlockS: 2.6, AllUpS: 3.4, LoadS: 20, LoadRate: 5,
		L1Sent: 100, L1Included: 100, L2Sent: 101, L2Included: 101, MemoryMeasured: true, TotalRSSMiB: 300, TotalPeakMiB: 350,
		Processes: []Process{{Name: "validator-0", Memory: loadgen.Memory{RSSMiB: 120.4, PeakMiB: 130}}, {Name: "challenger", Memory: loadgen.Memory{RSSMiB: 179.6, PeakMiB: 220}}}}
	if got, want := r.PerProcess(), "validator-0 120, challenger 180 MiB"; got != want {
		t.Errorf("PerProcess = %q, want %q", got, want)
	}
	var b bytes.Buffer
	r.Markdown(&b)
	for _, want := range []string{"| 1.25 s | ≤ 3 s ✅ met |", "| 2.10 / 2.60 s |", "L1 100 / 100, L2 101 / 101",
		"| resident memory: challenger (peak) | 180 MiB (220) |", "| 300 MiB = 315 MB (350 MiB) | ≤ 600 MB ✅ met |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, b.String())
		}
	}
	r.MemoryMeasured = false
	b.Reset()
	r.Markdown(&b)
	if r.PerProcess() != "n/a" || !strings.Contains(b.String(), "| resident memory | n/a") {
		t.Errorf("without /proc: %q\n%s", r.PerProcess(), b.String())
	}
}

// TestJSONKeys: every key starts with devnet_, and the one of l1bench's
// L1-only devnet (devnet_start_s) is not among them.
func TestJSONKeys(t *testing.T) {
	data, err := json.Marshal(&Report{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if !strings.HasPrefix(k, "devnet_") || k == "devnet_start_s" {
			t.Errorf("key %q", k)
		}
	}
	for _, k := range []string{"devnet_first_l1_block_s", "devnet_first_l2_block_s", "devnet_processes", "devnet_rss_total_mib", "devnet_rss_goal_mb"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no key %q", k)
		}
	}
}

func TestComplete(t *testing.T) {
	node := func(name, role string, pid int) devnet.Endpoint {
		return devnet.Endpoint{Name: name, Role: role, PID: pid}
	}
	full := devnet.Endpoints{Nodes: []devnet.Endpoint{node("validator-0", devnet.RoleValidator, 10), node("sequencer", devnet.RoleSequencer, 11),
		node("challenger", devnet.RoleChallenger, 12)}}
	if !complete(full, 3) {
		t.Error("every process with a pid: not complete")
	}
	if complete(full, 4) {
		t.Error("3 of 4 processes: complete")
	}
	noPID := devnet.Endpoints{Nodes: append([]devnet.Endpoint{}, full.Nodes...)}
	noPID.Nodes[2].PID = 0
	if complete(noPID, 3) {
		t.Error("the challenger without a pid: complete")
	}
	noChallenger := devnet.Endpoints{Nodes: []devnet.Endpoint{node("validator-0", devnet.RoleValidator, 10), node("validator-1", devnet.RoleValidator, 13),
		node("sequencer", devnet.RoleSequencer, 11)}}
	if complete(noChallenger, 3) {
		t.Error("no challenger: complete")
	}
}

func TestRecipientsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for i := -1; i < 100; i++ {
		a := recipient(i).Hex()
		if seen[a] {
			t.Fatalf("recipient %d repeats %s", i, a)
		}
		seen[a] = true
	}
}
