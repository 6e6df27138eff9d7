package loadgen

import (
	"math"
	"os"
	"runtime"
	"testing"
	"time"
)

// statusSample is the memory part of a real /proc/<pid>/status.
const statusSample = `Name:	validator
Umask:	0022
State:	S (sleeping)
VmPeak:	 2419004 kB
VmSize:	 2353468 kB
VmHWM:	  301234 kB
VmRSS:	  277504 kB
RssAnon:	  250000 kB
Threads:	14
`

func TestParseStatusMemory(t *testing.T) {
	m, err := ParseStatusMemory(statusSample)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSMiB != 271 || m.PeakMiB != 301234.0/1024 {
		t.Fatalf("parsed %+v; want RSS 271 MiB and peak %.3f MiB", m, 301234.0/1024)
	}
	// VmHWM is optional; VmRSS is not, and must be a number of kB.
	if m, err := ParseStatusMemory("VmRSS:\t1024 kB\n"); err != nil || m.RSSMiB != 1 || m.PeakMiB != 0 {
		t.Fatalf("VmRSS alone: %+v, %v", m, err)
	}
	for _, bad := range []string{"", "Name:\tkthreadd\nState:\tS\n", "VmRSS:\tlots kB\n", "VmRSS:\t12 MB\n", "VmRSS:\n"} {
		if m, err := ParseStatusMemory(bad); err == nil {
			t.Errorf("ParseStatusMemory(%q) = %+v, want an error", bad, m)
		}
	}
}

func TestProcessMemoryOfThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/<pid>/status is Linux's")
	}
	m, err := ProcessMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSMiB <= 0 || m.PeakMiB < m.RSSMiB {
		t.Fatalf("this process: %+v; want 0 < RSS <= peak", m)
	}
}

// TestCPUSecondsLeavesOthersTheRest: two readings give each process's CPU
// seconds between them, and the machine's busy time less theirs goes to
// OtherProcesses (never below zero); over a wall time they are cores.
func TestCPUSecondsLeavesOthersTheRest(t *testing.T) {
	start := map[string]time.Duration{"validator-0": time.Second, "load generator": 0, OtherProcesses: 10 * time.Second}
	end := map[string]time.Duration{"validator-0": 4 * time.Second, "load generator": time.Second, OtherProcesses: 15 * time.Second}
	got := cpuSeconds(start, end)
	want := map[string]float64{"validator-0": 3, "load generator": 1, OtherProcesses: 1}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for name, v := range want {
		if math.Abs(got[name]-v) > 1e-9 {
			t.Fatalf("%s: %.3f s, want %.3f (all: %v)", name, got[name], v, got)
		}
	}
	if cores := coresUsed(start, end, 2*time.Second); math.Abs(cores["validator-0"]-1.5) > 1e-9 || math.Abs(cores[OtherProcesses]-0.5) > 1e-9 {
		t.Fatalf("cores over 2 s: %v", cores)
	}
	end[OtherProcesses] = 12 * time.Second // the machine's counter lagged the processes'
	if got := cpuSeconds(start, end); got[OtherProcesses] != 0 {
		t.Fatalf("other processes %.3f s, want 0 when the named ones used more than the machine counted", got[OtherProcesses])
	}
	if cpuSeconds(nil, end) != nil || coresUsed(start, end, 0) != nil {
		t.Fatal("no first reading or no wall time must give nothing")
	}
}

// TestMachineTimesKeepsStealApart: the machine's busy time is user, nice,
// system, irq and softirq; steal (the hypervisor running another guest on
// this machine's cores) is read apart, and is not busy time, so "other
// processes" never counts it (issue 17, session 37). A kernel without the
// steal column reads none; a malformed line is an error.
func TestMachineTimesKeepsStealApart(t *testing.T) {
	busy, steal, err := machineTimes("cpu  100 20 30 5000 70 4 6 250 0 0\ncpu0 50 10 15 2500 35 2 3 125 0 0\n")
	if err != nil {
		t.Fatal(err)
	}
	if busy != 1600*time.Millisecond || steal != 2500*time.Millisecond {
		t.Fatalf("busy %s, steal %s; want 1.6s (160 ticks) and 2.5s (250 ticks)", busy, steal)
	}
	if _, steal, err := machineTimes("cpu  100 20 30 5000 70 4 6\n"); err != nil || steal != 0 {
		t.Fatalf("no steal column: steal %s, err %v; want 0, nil", steal, err)
	}
	for _, bad := range []string{"", "intr 1 2 3 4 5 6 7 8", "cpu 1 2 3 x 5 6 7 8"} {
		if _, _, err := machineTimes(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if got := stolenNote(Result{StolenCores: 0.42}); got != ", the hypervisor took 0.42 cores" {
		t.Errorf("stolenNote: %q", got)
	}
	if got := stolenNote(Result{StolenCores: 0.004}); got != "" {
		t.Errorf("stolenNote of a quiet host: %q, want nothing", got)
	}
}

// TestGaugeTimesItsWorkInThreadCPU: the gauge times its fixed piece of
// work in the CPU time of the thread that did it (Linux), a running gauge
// has read at least one piece by the time it is stopped, and an empty set
// of samples has no median.
func TestGaugeTimesItsWorkInThreadCPU(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("thread CPU time is read on Linux")
	}
	d, err := GaugeOnce()
	if err != nil {
		t.Fatal(err)
	}
	if d <= 0 || d > 10*time.Second {
		t.Fatalf("one piece of the gauge's work took %s of CPU", d)
	}
	if m, err := GaugeMedian(3); err != nil || m <= 0 {
		t.Fatalf("GaugeMedian(3) = %s, %v", m, err)
	}
	stop := StartGauge(time.Hour) // no tick: only the first piece
	if got := stop(); got <= 0 {
		t.Fatalf("a gauge stopped at once read %s, want its first piece", got)
	}
	if medianDuration(nil) != 0 {
		t.Error("no samples, a median")
	}
}
