package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ErrNoProfile marks a ProfileStep whose step ran but whose profile could
// not be had: the profiler busy with another client's profile ("cpu
// profiling already in use"), or not answering. The bench then keeps the
// run's figures and says the profile is missing, rather than throwing away
// minutes of measurements for want of it.
var ErrNoProfile = errors.New("no CPU profile")

// ProfileStep runs one more step at rate while the Go profiler of the
// process serving /debug/pprof/ at metricsAddr (host:port; the node runs
// with --pprof) records its CPU, and writes the profile to path. what names
// the profiled process in errors and the log line ("sequencer",
// "validator-0"). The accounts' nonces are read again afterwards if some
// of the step was not included, whether or not the profile was had; an
// error wrapping ErrNoProfile says the step ran but no profile was
// written.
func ProfileStep(ctx context.Context, sc SearchConfig, accounts []*Account, rate float64, metricsAddr, what, path string) error {
	// Presigning takes a few seconds before the sends start: profile the
	// tail of the step, which is all sending.
	seconds := max(1, int(sc.StepDuration.Seconds())-1)
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	run := sc.step
	if run == nil {
		count := int(rate * sc.StepDuration.Seconds())
		load, err := Presign(sc.ChainID, accounts, count, sc.Fees, 2000, sc.Recipients)
		if err != nil {
			return err
		}
		run = func(rate float64, _ uint64) (Result, error) {
			cfg := sc.Config
			cfg.Rate = rate
			return Run(ctx, cfg, load)
		}
	}
	go func() {
		data, err := fetchProfile(ctx, fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", metricsAddr, seconds))
		if err != nil {
			err = fmt.Errorf("%w of %s: %w", ErrNoProfile, what, err)
		}
		done <- result{data: data, err: err}
	}()
	res, err := run(rate, 2000)
	if err != nil {
		return fmt.Errorf("profile step: %w", err)
	}
	if sc.Log != nil {
		sc.Log(fmt.Sprintf("profiled step (%s): offered %.0f tx/s, included %.0f tx/s, CPU %s", what, rate, res.FinalizedTPS, CPUString(res.CPU)))
	}
	r := <-done
	if res.Partial() {
		if err := ResyncNonces(ctx, sc.WatchURL, accounts); err != nil {
			return err
		}
	}
	if r.err != nil {
		return r.err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err := os.WriteFile(path, r.data, 0o644); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	return nil
}

func fetchProfile(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s", resp.Status, bytes.TrimSpace(data))
	}
	return data, err
}

// CPUString prints the cores each process used, largest first.
func CPUString(cpu map[string]float64) string {
	if len(cpu) == 0 {
		return "n/a"
	}
	names := make([]string, 0, len(cpu))
	for n := range cpu {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if cpu[a] != cpu[b] {
			if cpu[a] > cpu[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s %.2f", n, cpu[n])
	}
	return strings.Join(parts, ", ")
}
