package walkthrough_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet"
	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/bilayer/bilayer/devnet/devnettest"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m)) }

const (
	// readme and script are the files this test keeps in step, relative
	// to this package's directory.
	readme = "../../README.md"
	script = "../../scripts/walkthrough.sh"

	// bridgeGoal is what the issue asks of deposit → L2 transfer →
	// withdrawal → payout with the devnet's challenge window (30 L1
	// blocks of one second). Tests assert behaviour, not speed: the time
	// is logged here and measured by `make bench` (withdrawal latency).
	bridgeGoal = 2 * time.Minute
	// startTimeout bounds "devnet up" until it prints its summary (its own
	// --start-timeout is a minute per stage).
	startTimeout = 2 * time.Minute
	// stopTimeout bounds a clean stop after SIGINT (its nodes get 15 s
	// each before they are killed).
	stopTimeout = 45 * time.Second
	// scriptTimeout bounds one part of the script; its steps are bounded
	// themselves (the wallet's --timeout defaults, the script's polls), so
	// this only catches a hang.
	scriptTimeout = 5 * time.Minute
)

// summaryMarker is a line of devnet up's summary, printed once every node
// answers.
const summaryMarker = "Listening on http://"

// part is one marked walkthrough block of the README: the script part it
// names, and what its sh code blocks say to do.
type part struct {
	name string
	// reset: the block runs `bin/devnet reset` before starting the devnet.
	reset bool
	// devnetArgs are the DEVNET_ARGS of its `make devnet` line.
	devnetArgs []string
	// commands are its `bin/wallet` lines, comments and spacing removed.
	commands []string
}

var (
	beginRE   = regexp.MustCompile(`^<!-- walkthrough:begin (\w+) -->$`)
	makeDevRE = regexp.MustCompile(`^make devnet(?: DEVNET_ARGS="([^"]*)")?$`)
)

// readWalkthrough parses the README's walkthrough blocks: between
// "<!-- walkthrough:begin PART -->" and "<!-- walkthrough:end -->", the
// lines of ```sh code blocks, each `make devnet [DEVNET_ARGS="…"]`,
// `bin/devnet reset` or `bin/wallet …`, with an optional # comment.
func readWalkthrough(t *testing.T) []part {
	t.Helper()
	data, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	var (
		parts  []part
		cur    *part
		inCode bool
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		where := fmt.Sprintf("%s:%d", readme, n)
		switch {
		case beginRE.MatchString(line):
			if cur != nil {
				t.Fatalf("%s: walkthrough block %q not ended", where, cur.name)
			}
			cur = &part{name: beginRE.FindStringSubmatch(line)[1]}
		case line == "<!-- walkthrough:end -->":
			if cur == nil || inCode {
				t.Fatalf("%s: walkthrough:end without a begin, or inside a code block", where)
			}
			parts = append(parts, *cur)
			cur = nil
		case cur == nil:
		case strings.HasPrefix(line, "```"):
			if !inCode && line != "```sh" {
				t.Fatalf("%s: a walkthrough block's code must be ```sh, not %s", where, line)
			}
			inCode = !inCode
		case !inCode:
		default:
			cmd, _, _ := strings.Cut(line, "#")
			cmd = strings.Join(strings.Fields(cmd), " ")
			switch m := makeDevRE.FindStringSubmatch(cmd); {
			case cmd == "":
			case m != nil:
				if cur.devnetArgs != nil {
					t.Fatalf("%s: two `make devnet` lines in walkthrough block %q", where, cur.name)
				}
				cur.devnetArgs = append([]string{}, strings.Fields(m[1])...)
			case cmd == "bin/devnet reset":
				cur.reset = true
			case strings.HasPrefix(cmd, "bin/wallet "):
				cur.commands = append(cur.commands, cmd)
			default:
				t.Fatalf("%s: walkthrough line %q: want make devnet [DEVNET_ARGS=\"…\"], bin/devnet reset or bin/wallet …", where, cmd)
			}
		}
	}
	if cur != nil {
		t.Fatalf("%s: walkthrough block %q not ended", readme, cur.name)
	}
	if len(parts) == 0 {
		t.Fatalf("%s has no <!-- walkthrough:begin PART --> block", readme)
	}
	for _, p := range parts {
		if p.devnetArgs == nil || len(p.commands) == 0 {
			t.Fatalf("%s: walkthrough block %q needs a `make devnet` line and bin/wallet commands", readme, p.name)
		}
	}
	return parts
}

// TestREADMEWalkthrough runs every README walkthrough block against a
// fresh devnet through scripts/walkthrough.sh (see the package comment).
func TestREADMEWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries and runs devnets of 6 processes; skipped with -short")
	}
	parts := readWalkthrough(t)
	names := make([]string, len(parts))
	for i, p := range parts {
		names[i] = p.name
	}
	for _, want := range []string{"bridge", "dispute"} {
		if !slices.Contains(names, want) {
			t.Fatalf("%s: no walkthrough block %q (blocks: %v)", readme, want, names)
		}
	}
	sh, err := filepath.Abs(script)
	if err != nil {
		t.Fatal(err)
	}
	bin := devnettest.BuildBinaries(t, "devnet", "validator", "sequencer", "challenger", "wallet")
	wallet := filepath.Join(bin, "wallet")
	l := devnet.Layout{Dir: filepath.Join(t.TempDir(), "devnet")}
	devnettest.DumpLogsOnFailure(t, l, 60)

	for i, p := range parts {
		// A later block's devnet must be fresh: a wrong output for an L2
		// block the chain is already past is never posted.
		if i > 0 && !p.reset {
			t.Fatalf("%s: walkthrough block %q starts a devnet after block %q without `bin/devnet reset`", readme, p.name, parts[i-1].name)
		}
		if p.reset && i > 0 {
			if out, err := exec.Command(filepath.Join(bin, "devnet"), "reset", "--datadir", l.Dir).CombinedOutput(); err != nil {
				t.Fatalf("%s: devnet reset: %v\n%s", p.name, err, out)
			}
		}
		offset := devnettest.FreeOffset(t, 4, 2600)
		args := append([]string{"--datadir", l.Dir, "--port-offset", fmt.Sprint(offset), "--quiet", "--bin-dir", bin}, p.devnetArgs...)
		readmeCmd := "make devnet"
		if len(p.devnetArgs) > 0 {
			readmeCmd += fmt.Sprintf(" DEVNET_ARGS=%q", strings.Join(p.devnetArgs, " "))
		}
		t.Logf("%s: %s → devnet up %s", p.name, readmeCmd, strings.Join(args, " "))
		up := devnettest.StartUp(t, filepath.Join(bin, "devnet"), stopTimeout, args...)
		up.WaitOutput(t, summaryMarker, startTimeout)
		eps, err := devnet.ReadEndpoints(l.EndpointsFile())
		if err != nil {
			t.Fatal(err)
		}
		seq, ok := eps.Sequencer()
		if !ok || len(eps.Validators()) == 0 {
			t.Fatalf("%s: endpoints.json has no sequencer or no validator: %+v", p.name, eps)
		}

		started := time.Now()
		out, err := runScript(sh, p.name, []string{"WALLET=" + wallet, "BILAYER_RPC=" + eps.Validators()[0].RPC,
			"BILAYER_L2_RPC=" + seq.RPC})
		took := time.Since(started)
		t.Logf("scripts/walkthrough.sh %s (%s):\n%s", p.name, took.Round(time.Second), out)
		if err != nil {
			t.Fatalf("scripts/walkthrough.sh %s: %v (devnet up printed:\n%s)", p.name, err, up.Output())
		}
		if ran := printedCommands(out); !slices.Equal(ran, p.commands) {
			t.Errorf("the README's walkthrough block %q and scripts/walkthrough.sh %s differ:\nREADME:\n  %s\nscript:\n  %s",
				p.name, p.name, strings.Join(p.commands, "\n  "), strings.Join(ran, "\n  "))
		}
		if p.name == "bridge" {
			t.Logf("deposit → L2 transfer → withdrawal → payout: %s (goal %s, challenge window 30 L1 blocks)", took.Round(100*time.Millisecond), bridgeGoal)
		}
		up.Interrupt(t)
	}
}

// printedCommands returns the commands the script printed as it ran them
// ("$ bin/wallet …" lines), in order.
func printedCommands(out string) []string {
	var cmds []string
	for line := range strings.SplitSeq(out, "\n") {
		if c, ok := strings.CutPrefix(line, "$ "); ok {
			cmds = append(cmds, strings.Join(strings.Fields(c), " "))
		}
	}
	return cmds
}

// runScript runs "sh walkthrough.sh part" with env added to the
// environment and returns its combined output. The script runs in its
// own process group, which is killed if it outlives scriptTimeout.
func runScript(sh, part string, env []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), scriptTimeout)
	defer cancel()
	var out devnettest.SyncBuffer
	cmd := exec.CommandContext(ctx, "sh", sh, part)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("still running after %s: %w", scriptTimeout, err)
	}
	return out.String(), err
}
