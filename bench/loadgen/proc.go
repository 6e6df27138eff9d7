package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Machine describes where a benchmark ran.
type Machine struct {
	Cores  int    `json:"cores"`
	CPU    string `json:"cpu_model"`
	Commit string `json:"git_commit"`
	GoOS   string `json:"goos"`
	CGO    bool   `json:"cgo"`
}

// DescribeMachine returns this machine's cores and CPU model and the git
// commit of the repository at root.
func DescribeMachine(root string) Machine {
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

// ProcessRSSMB returns the resident memory of a process in MiB.
func ProcessRSSMB(pid int) (float64, error) {
	m, err := ProcessMemory(pid)
	return m.RSSMiB, err
}

// Memory is a process's resident memory, in MiB (2^20 bytes).
type Memory struct {
	// RSSMiB is its resident set now (VmRSS).
	RSSMiB float64 `json:"rss_mib"`
	// PeakMiB is the most it has held resident (VmHWM; 0 if the kernel
	// does not say).
	PeakMiB float64 `json:"peak_rss_mib"`
}

// ProcessMemory reads a process's resident memory from
// /proc/<pid>/status (Linux only: elsewhere it returns an error).
func ProcessMemory(pid int) (Memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	m, err := ParseStatusMemory(string(data))
	if err != nil {
		return Memory{}, fmt.Errorf("memory of pid %d: %w", pid, err)
	}
	return m, nil
}

// ParseStatusMemory reads VmRSS (required) and VmHWM (optional) from the
// text of a /proc/<pid>/status file, whose sizes are in kB (KiB).
func ParseStatusMemory(status string) (Memory, error) {
	var m Memory
	found := false
	for _, line := range strings.Split(status, "\n") {
		key, rest, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return Memory{}, fmt.Errorf("malformed %s line %q", key, line)
		}
		kb, err := strconv.ParseUint(fields[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("malformed %s line %q: %w", key, line, err)
		}
		if key == "VmRSS" {
			m.RSSMiB, found = float64(kb)/1024, true
		} else {
			m.PeakMiB = float64(kb) / 1024
		}
	}
	if !found {
		return Memory{}, errors.New("no VmRSS line (a kernel thread, or not Linux)")
	}
	return m, nil
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/<pid>/stat times;
// 100 on every Linux platform Go supports.
const clockTicks = 100

// ProcessCPU returns the user + system CPU time a process has used so far
// (pid 0: this process), from /proc/<pid>/stat.
func ProcessCPU(pid int) (time.Duration, error) {
	if pid == 0 {
		pid = os.Getpid()
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("cpu time of pid %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces; fields after its closing
	// parenthesis are space separated: state is field 3, utime 14, stime 15.
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("cpu time of pid %d: malformed /proc stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("cpu time of pid %d: malformed /proc stat", pid)
	}
	var ticks uint64
	for _, f := range fields[11:13] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("cpu time of pid %d: %w", pid, err)
		}
		ticks += v
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// OtherProcesses is the name under which Result.CPU reports the cores
// used by every process not named in Config.CPU: on a machine that is not
// quiet the measurement understates what the chain can do.
const OtherProcesses = "other processes"

// MachineBusy returns the CPU time all cores have spent busy (everything
// but idle, iowait and steal), from the first line of /proc/stat.
func MachineBusy() (time.Duration, error) {
	busy, _, err := MachineTimes()
	return busy, err
}

// MachineTimes returns, from the first line of /proc/stat, the CPU time
// all cores have spent busy (everything but idle, iowait and steal) and
// the time the hypervisor took from them: a virtual machine's steal time,
// while its cores were ready to run and the host ran another guest on
// them. On a shared host the steal rises with the host's load, not the
// guest's, and a step measured while it was high found less than the
// chain can do (issue 17, session 37: 15–50 % of two busy cores stolen in
// some minutes, under 5 % in others).
func MachineTimes() (busy, steal time.Duration, err error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("machine cpu time: %w", err)
	}
	return machineTimes(string(data))
}

// machineTimes is MachineTimes on the text of /proc/stat. A kernel that
// reports no steal column (before 2.6.11) reads as no steal.
func machineTimes(stat string) (busy, steal time.Duration, err error) {
	line, _, _ := strings.Cut(stat, "\n")
	fields := strings.Fields(line)
	if len(fields) < 8 || fields[0] != "cpu" {
		return 0, 0, errors.New("machine cpu time: malformed /proc/stat")
	}
	// user nice system idle iowait irq softirq [steal guest guest_nice];
	// guest time is counted in user time already.
	var ticks [8]uint64
	for i, f := range fields[1:min(len(fields), 9)] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("machine cpu time: %w", err)
		}
		ticks[i] = v
	}
	b := ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
	return time.Duration(b) * time.Second / clockTicks, time.Duration(ticks[7]) * time.Second / clockTicks, nil
}

// cpuTimes reads the CPU time of each named process, and the machine's
// busy time under OtherProcesses; unreadable ones are left out.
func cpuTimes(pids map[string]int) map[string]time.Duration {
	if len(pids) == 0 {
		return nil
	}
	out := make(map[string]time.Duration, len(pids)+1)
	for name, pid := range pids {
		if t, err := ProcessCPU(pid); err == nil {
			out[name] = t
		}
	}
	if t, err := MachineBusy(); err == nil {
		out[OtherProcesses] = t
	}
	return out
}

// stolenNote is a step's steal for its log line (", the hypervisor took
// 0.42 cores"), or nothing when it took less than a hundredth of a core.
func stolenNote(r Result) string {
	if r.StolenCores < 0.01 {
		return ""
	}
	return fmt.Sprintf(", the hypervisor took %.2f cores", r.StolenCores)
}

// stolen reads the machine's steal time (MachineTimes) when processes are
// named for CPU accounting (Config.CPU), and says why not otherwise.
func stolen(pids map[string]int) (time.Duration, error) {
	if len(pids) == 0 {
		return 0, errors.New("no CPU accounting asked for")
	}
	_, steal, err := MachineTimes()
	return steal, err
}

// cpuSeconds turns two readings into the CPU seconds each process used
// between them; OtherProcesses gets the machine's busy time the named
// processes do not account for.
func cpuSeconds(start, end map[string]time.Duration) map[string]float64 {
	if len(start) == 0 {
		return nil
	}
	out := make(map[string]float64, len(start))
	for name, t0 := range start {
		if t1, ok := end[name]; ok {
			out[name] = (t1 - t0).Seconds()
		}
	}
	// The machine's busy time counts the named processes too.
	if all, ok := out[OtherProcesses]; ok {
		for name, v := range out {
			if name != OtherProcesses {
				all -= v
			}
		}
		out[OtherProcesses] = max(0, all)
	}
	return out
}

// coresUsed turns two readings over wall into cores used.
func coresUsed(start, end map[string]time.Duration, wall time.Duration) map[string]float64 {
	if wall <= 0 {
		return nil
	}
	out := cpuSeconds(start, end)
	for name, v := range out {
		out[name] = v / wall.Seconds()
	}
	return out
}
