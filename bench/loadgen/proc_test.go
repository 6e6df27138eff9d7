package loadgen

import (
	"os"
	"runtime"
	"testing"
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
