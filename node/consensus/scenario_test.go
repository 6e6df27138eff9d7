package consensus

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected traces in testdata/*.txt")

// TestScenarios replays the scripts in testdata/*.txt against one machine
// (v3 of four equal validators; proposer(r) = v(r mod 4)) and compares the
// trace of every command with the expected one written under it. Run with
// -update to regenerate after an intended change, then read the diff.
//
// Commands: start | proposal r= pol= value= | prevote r= value= from=0,1 |
// precommit r= value= from=0,1 | timeout step= r= | valid value= [ok=false] |
// built r= value= | commit r= value= from=0,1,2 | applied | state
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			runScenario(t, file)
		})
	}
}

type scenarioBlock struct {
	comments []string
	command  string
	expected string
}

func parseScenario(t *testing.T, data string) []scenarioBlock {
	var blocks []scenarioBlock
	var cur scenarioBlock
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, "#"):
			cur.comments = append(cur.comments, line)
		default:
			cur.command = line
			if i+1 >= len(lines) || lines[i+1] != "----" {
				t.Fatalf("line %d: command %q is not followed by ----", i+1, line)
			}
			i += 2
			var out []string
			for ; i < len(lines) && lines[i] != ""; i++ {
				out = append(out, lines[i])
			}
			cur.expected = strings.Join(out, "\n")
			blocks = append(blocks, cur)
			cur = scenarioBlock{}
		}
	}
	return blocks
}

func runScenario(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, 4, 3)
	var rewritten strings.Builder
	for _, b := range parseScenario(t, string(data)) {
		h.out.Reset()
		if err := h.exec(b.command); err != nil {
			t.Fatalf("%s: %v", b.command, err)
		}
		got := strings.TrimRight(h.out.String(), "\n")
		if !*update && got != b.expected {
			t.Errorf("%s\n--- expected:\n%s\n--- got:\n%s", b.command, b.expected, got)
		}
		for _, c := range b.comments {
			rewritten.WriteString(c + "\n")
		}
		fmt.Fprintf(&rewritten, "%s\n----\n%s\n\n", b.command, got)
	}
	if *update {
		if err := os.WriteFile(file, []byte(rewritten.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// exec runs one scenario command.
func (h *harness) exec(command string) error {
	fields := strings.Fields(command)
	args := map[string]string{}
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return fmt.Errorf("argument %q is not key=value", f)
		}
		args[k] = v
	}
	round := func(key string) Round {
		r, _ := strconv.Atoi(args[key])
		return Round(r)
	}
	from := func() []int {
		var out []int
		for _, s := range strings.Split(args["from"], ",") {
			i, _ := strconv.Atoi(s)
			out = append(out, i)
		}
		return out
	}
	switch fields[0] {
	case "start":
		h.start()
	case "proposal":
		h.feed(ProposalReceived{Proposal: h.proposal(round("r"), round("pol"), args["value"])})
	case "prevote", "precommit":
		t := Prevote
		if fields[0] == "precommit" {
			t = Precommit
		}
		for _, i := range from() {
			h.feed(VoteReceived{Vote: h.vote(i, t, round("r"), args["value"])})
		}
	case "timeout":
		steps := map[string]Step{"propose": StepPropose, "prevote": StepPrevote, "precommit": StepPrecommit}
		h.feed(TimeoutFired{Height: h.m.Height(), Round: round("r"), Step: steps[args["step"]]})
	case "valid":
		h.feed(ValidationResult{Height: h.m.Height(), BlockID: value(args["value"]), Valid: args["ok"] != "false"})
	case "built":
		h.feed(ValueBuilt{Height: h.m.Height(), Round: round("r"), BlockID: value(args["value"])})
	case "commit":
		c := Commit{Height: h.m.Height(), Round: round("r"), BlockID: value(args["value"])}
		for _, i := range from() {
			c.Precommits = append(c.Precommits, h.vote(i, Precommit, c.Round, args["value"]))
		}
		h.feed(CommitReceived{Commit: c})
	case "applied":
		h.feed(Applied{Height: h.m.Height(), Next: h.m.Validators().NextHeight()})
	case "state":
		fmt.Fprintf(&h.out, "%s\n", h.m.State())
	default:
		return fmt.Errorf("unknown command %q", fields[0])
	}
	return nil
}
