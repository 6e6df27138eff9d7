package devnet

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
)

// TestValidatorEnv: a validator runs with GOMAXPROCS at its share of the
// machine's cores, at least one, unless the environment chose one.
func TestValidatorEnv(t *testing.T) {
	base := []string{"HOME=/root", "PATH=/bin"}
	for _, c := range []struct{ cores, validators, want int }{{2, 4, 1}, {16, 4, 4}, {8, 3, 2}, {1, 1, 1}, {4, 0, 4}} {
		env := validatorEnv(base, c.cores, c.validators)
		if want := "GOMAXPROCS=" + strconv.Itoa(c.want); !slices.Contains(env, want) || len(env) != len(base)+1 {
			t.Errorf("%d cores, %d validators: %v, want %s added", c.cores, c.validators, env, want)
		}
	}
	if len(base) != 2 {
		t.Fatal("validatorEnv changed its argument")
	}
	set := []string{"GOMAXPROCS=3", "HOME=/root"}
	if env := validatorEnv(set, 2, 4); !slices.Equal(env, set) {
		t.Fatalf("with GOMAXPROCS set: %v, want it kept", env)
	}
}

// A paired benchmark's validators: ValidatorBins runs another binary for
// the nodes it names, ValidatorEnv adds to their environment (winning over
// the devnet's own), and the other nodes run ValidatorBin as before.
func TestSupervisorRunsPairedValidators(t *testing.T) {
	dir := t.TempDir()
	l := Layout{Dir: filepath.Join(dir, "d")}
	script := func(name, say string) string {
		bin := filepath.Join(dir, name)
		writeScript(t, bin, fmt.Sprintf("trap 'exit 0' INT\necho %s \"x=$PAIRED_X procs=$GOMAXPROCS\"\nwhile :; do sleep 0.05; done\n", say))
		return bin
	}
	cfg := testConfig(ModeLocal)
	var term syncBuilder
	sup, err := Start(SuperviseOptions{Layout: l, Config: cfg, ValidatorBin: script("validator", "usual"), Terminal: &term,
		ValidatorBins: map[int]string{1: script("other", "other")},
		ValidatorEnv:  map[int][]string{1: {"PAIRED_X=b", "GOMAXPROCS=97"}, 2: {"PAIRED_X=c"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sup.Stop(5 * time.Second)
	want := []string{"[validator-0] usual x= procs=", "[validator-1] other x=b procs=97", "[validator-2] usual x=c procs="}
	if err := waitfor.Within(20*time.Second, func() error {
		for _, w := range want {
			if !strings.Contains(term.String(), w) {
				return fmt.Errorf("no %q in %q", w, term.String())
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(term.String(), "[validator-0] usual x= procs=97") {
		t.Fatalf("validator-0 got validator-1's environment: %q", term.String())
	}
}
