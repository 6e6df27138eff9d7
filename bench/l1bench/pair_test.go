package l1bench

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// A paired run splits the validators into groups, passes group B's binary
// and environment to "devnet up", and compares the groups' CPU per
// finalized transfer over the loaded steps only.
func TestPairComparesGroupsOverLoadedSteps(t *testing.T) {
	args, p, err := pairUpArgs(Options{Validators: 4, PairBin: "/b/validator", PairEnv: []string{"GOMEMLIMIT=150MiB"}})
	if err != nil {
		t.Fatal(err)
	}
	wantArgs := []string{"--dev.validator-bin", "2=/b/validator", "--dev.validator-env", "2=GOMEMLIMIT=150MiB",
		"--dev.validator-bin", "3=/b/validator", "--dev.validator-env", "3=GOMEMLIMIT=150MiB"}
	if !slices.Equal(args, wantArgs) || !slices.Equal(p.A, []string{"validator-0", "validator-1"}) || !slices.Equal(p.B, []string{"validator-2", "validator-3"}) {
		t.Fatalf("args %q, groups %v / %v", args, p.A, p.B)
	}
	step := func(fin float64, a, b float64) loadgen.Result {
		return loadgen.Result{OfferedRate: 2 * fin, FinalizedTPS: fin, CPU: map[string]float64{
			"validator-0": a, "validator-1": a, "validator-2": b, "validator-3": b, loadgenName: 0.1}}
	}
	comparePair(p, []labeledStep{
		{"search", step(500, 0.1, 0.2)},      // light: 0.6 of 2 cores, not counted
		{"search", step(2000, 0.45, 0.405)},  // B 0.9 of A
		{"2× peak", step(1600, 0.44, 0.484)}, // B 1.1 of A
	}, 2)
	if len(p.Steps) != 3 || p.Steps[0].Loaded || !p.Steps[1].Loaded || p.LoadedSteps != 2 {
		t.Fatalf("steps %+v", p.Steps)
	}
	if want := math.Sqrt(0.9 * 1.1); math.Abs(p.LoadedRatio-want) > 1e-9 {
		t.Fatalf("ratio %v, want %v", p.LoadedRatio, want)
	}
	if a := p.Steps[1].AMicros; math.Abs(a-225) > 1e-9 {
		t.Fatalf("A's µs per transfer %v, want 225", a)
	}
	var md bytes.Buffer
	p.markdown(&md)
	for _, want := range []string{"group B (validator-2, validator-3) ran /b/validator with GOMEMLIMIT=150MiB", "| 2× peak | 3200 | 1600 | yes | 275 | 302 | 1.100 |", "over the 2 loaded steps (geometric mean): 0.995"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("no %q in\n%s", want, md.String())
		}
	}
}

// Group B is the validators asked for, and a paired run refuses groups
// that leave one side empty, indices the devnet lacks and malformed
// environment entries; a normal run has no pair.
func TestPairArgsRefuseBadGroups(t *testing.T) {
	if args, p, err := pairUpArgs(Options{Validators: 4}); err != nil || args != nil || p != nil {
		t.Fatalf("normal run: %v %v %v", args, p, err)
	}
	_, p, err := pairUpArgs(Options{Validators: 4, PairEnv: []string{"GOGC=100"}, PairValidators: []int{1, 0}})
	if err != nil || !slices.Equal(p.B, []string{"validator-0", "validator-1"}) {
		t.Fatalf("groups swapped: %v, %v", p, err)
	}
	args, p, err := pairUpArgs(Options{Validators: 4, PairEnv: []string{"GOGC=100"}, PairValidators: []int{2, 0, 2}})
	if err != nil || !slices.Equal(p.B, []string{"validator-0", "validator-2"}) ||
		!slices.Equal(args, []string{"--dev.validator-env", "0=GOGC=100", "--dev.validator-env", "2=GOGC=100"}) {
		t.Fatalf("a validator named twice: %v %v, %v", p, args, err)
	}
	for _, o := range []Options{
		{Validators: 4, PairBin: "/b", PairValidators: []int{0, 1, 2, 3, 3}},
		{Validators: 4, PairBin: "/b", PairValidators: []int{0, 1, 2, 3}},
		{Validators: 4, PairBin: "/b", PairValidators: []int{4}},
		{Validators: 4, PairEnv: []string{"NOEQUALS"}},
		{Validators: 4, PairValidators: []int{1}},
	} {
		if _, _, err := pairUpArgs(o); err == nil {
			t.Errorf("%+v: accepted", o)
		}
	}
}
