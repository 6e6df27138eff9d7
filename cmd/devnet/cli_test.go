package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bilayer/bilayer/devnet"
)

func runApp(args ...string) error {
	return newApp().Run(append([]string{"devnet"}, args...))
}

func TestUpWithoutValidatorBinarySaysHowToBuildIt(t *testing.T) {
	err := runApp("up", "--datadir", t.TempDir(), "--bin-dir", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Fatalf("up without a validator binary: %v", err)
	}
}

func TestUpRefusesVerboseAndQuietTogether(t *testing.T) {
	err := runApp("up", "--datadir", t.TempDir(), "--bin-dir", t.TempDir(), "--verbose", "--quiet")
	if err == nil || !strings.Contains(err.Error(), "pick one") {
		t.Fatalf("up --verbose --quiet: %v", err)
	}
}

func TestResetRefusesADirectoryThatIsNotADevnet(t *testing.T) {
	dir := t.TempDir()
	keep := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runApp("reset", "--datadir", dir); err == nil || !strings.Contains(err.Error(), "not deleting") {
		t.Fatalf("reset of a non-devnet directory: %v", err)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("reset deleted a file it should not have: %v", err)
	}
}

func TestResetRefusesARunningDevnetAndWipesAStoppedOne(t *testing.T) {
	l := devnet.Layout{Dir: filepath.Join(t.TempDir(), "d")}
	cfg := devnet.Config{Validators: 1, Mode: devnet.ModeLocal, ChainID: devnet.L1ChainID,
		Nodes: []devnet.NodeIdentity{{Name: "validator-0"}}}
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := devnet.SaveConfig(l, cfg); err != nil {
		t.Fatal(err)
	}
	lock, err := devnet.AcquireLock(l, os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := runApp("reset", "--datadir", l.Dir); err == nil || !strings.Contains(err.Error(), "running") {
		t.Fatalf("reset of a running devnet: %v", err)
	}
	lock.Release()
	if err := runApp("reset", "--datadir", l.Dir); err != nil {
		t.Fatalf("reset: %v", err)
	}
	if _, err := os.Stat(l.Dir); !os.IsNotExist(err) {
		t.Fatalf("reset left %s: %v", l.Dir, err)
	}
}

func TestNodeRejectsABadName(t *testing.T) {
	l := devnet.Layout{Dir: t.TempDir()}
	cfg := devnet.Config{Validators: 1, Mode: devnet.ModeDocker, ChainID: devnet.L1ChainID,
		Nodes: []devnet.NodeIdentity{{Name: "validator-0"}}}
	if err := devnet.SaveConfig(l, cfg); err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "validator"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sequencer", "challenger", "validator-01", "validator-1"} {
		if err := runApp("node", "--datadir", l.Dir, "--bin-dir", bin, "--name", name); err == nil {
			t.Errorf("node --name %s accepted", name)
		}
	}
}

// --dev.validator-bin and --dev.validator-env take N=VALUE per validator,
// repeatable, and refuse an index the devnet does not have or no value.
func TestPerValidatorFlags(t *testing.T) {
	got, err := perValidator("dev.validator-env", []string{"2=GOMEMLIMIT=150MiB", "3=A=1", "2=B=2"}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || strings.Join(got[2], " ") != "GOMEMLIMIT=150MiB B=2" || strings.Join(got[3], " ") != "A=1" {
		t.Fatalf("got %v", got)
	}
	for _, bad := range []string{"4=/bin/x", "-1=/bin/x", "x=/bin/x", "2", "2="} {
		if _, err := perValidator("dev.validator-bin", []string{bad}, 4); err == nil || !strings.Contains(err.Error(), "--dev.validator-bin") {
			t.Errorf("%q: %v, want an error naming the flag", bad, err)
		}
	}
}
