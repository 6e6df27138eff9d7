package l1bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the benchmark ran.
type Machine struct {
	Cores  int    `json:"cores"`
	CPU    string `json:"cpu_model"`
	Commit string `json:"git_commit"`
	GoOS   string `json:"goos"`
	CGO    bool   `json:"cgo"`
}

func describeMachine(root string) Machine {
	m := Machine{Cores: runtime.NumCPU(), CPU: "unknown", Commit: "unknown", GoOS: runtime.GOOS + "/" + runtime.GOARCH,
		CGO: os.Getenv("CGO_ENABLED") != "0"}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		s := bufio.NewScanner(f)
		for s.Scan() {
			if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		m.Commit = strings.TrimSpace(string(out))
	}
	return m
}

var txsPerSec = regexp.MustCompile(`([0-9.e+]+) tx/s`)

// measureTxCost runs the state-transition benchmark (1,000 signed transfers
// over 100k accounts, sender recovery and commit included) on one core and
// returns its throughput in transactions per second.
func measureTxCost(root string, benchtime string) (float64, string, error) {
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkApplyBlock1000Transfers$", "-cpu", "1",
		"-benchtime", benchtime, "./core/execution")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, out.String(), fmt.Errorf("state-transition benchmark: %w\n%s", err, out.String())
	}
	m := txsPerSec.FindStringSubmatch(out.String())
	if m == nil {
		return 0, out.String(), fmt.Errorf("state-transition benchmark printed no tx/s:\n%s", out.String())
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, out.String(), err
}

// rssMB returns the resident memory of a process in MiB.
func rssMB(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			fields := strings.Fields(line)
			if len(fields) >= 2 {
				kb, err := strconv.ParseFloat(fields[1], 64)
				return kb / 1024, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
