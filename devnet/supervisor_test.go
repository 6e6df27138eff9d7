package devnet

import (
	"slices"
	"strconv"
	"testing"
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
