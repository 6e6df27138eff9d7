package loadgen

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestProfileStepKeepsTheStepWhenTheProfilerIsBusy: a profiler that
// answers as Go's does while another client holds the CPU profile
// ("cpu profiling already in use") makes ProfileStep report ErrNoProfile,
// naming the process and the profiler's answer (without the line break
// that ends it, so a log line stays one line), after the step ran and
// without writing the file; a profiler that answers writes its profile.
func TestProfileStepKeepsTheStepWhenTheProfilerIsBusy(t *testing.T) {
	busy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/debug/pprof/profile" || r.URL.Query().Get("seconds") != "1" {
			http.Error(w, "unexpected "+r.URL.String(), http.StatusNotFound)
			return
		}
		if busy {
			http.Error(w, "Could not enable CPU profiling: cpu profiling already in use", http.StatusInternalServerError)
			return
		}
		w.Write([]byte("profile bytes"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	var stepped []float64
	sc := SearchConfig{StepDuration: 2 * time.Second}
	sc.step = func(rate float64, _ uint64) (Result, error) {
		stepped = append(stepped, rate)
		return Result{OfferedRate: rate, FinalizedTPS: rate, Sent: 10, Included: 10}, nil
	}
	path := filepath.Join(t.TempDir(), "cpu.pb.gz")

	err := ProfileStep(context.Background(), sc, nil, 1500, host, "validator-0", path)
	if !errors.Is(err, ErrNoProfile) || !strings.Contains(err.Error(), "validator-0") || !strings.HasSuffix(err.Error(), "already in use") {
		t.Fatalf("busy profiler: got %v, want ErrNoProfile naming validator-0 and the profiler's answer", err)
	}
	if len(stepped) != 1 || stepped[0] != 1500 {
		t.Fatalf("steps run: %v, want the one at 1500 tx/s", stepped)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a profile file was written for a busy profiler (stat: %v)", err)
	}

	busy = false
	if err := ProfileStep(context.Background(), sc, nil, 1500, host, "validator-0", path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "profile bytes" {
		t.Fatalf("profile file: %q, %v", b, err)
	}
}
