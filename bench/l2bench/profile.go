package l2bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/bilayer/bilayer/bench/loadgen"
)

// profileStep runs one more step at rate while the sequencer's profiler
// records its CPU, and writes the profile to path.
func profileStep(ctx context.Context, sc loadgen.SearchConfig, accounts []*loadgen.Account, rate float64, metricsAddr, path string) error {
	// Presigning takes a few seconds before the sends start: profile the
	// tail of the step, which is all sending.
	seconds := max(1, int(sc.StepDuration.Seconds())-1)
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	count := int(rate * sc.StepDuration.Seconds())
	load, err := loadgen.Presign(sc.ChainID, accounts, count, sc.Fees, 2000)
	if err != nil {
		return err
	}
	go func() {
		url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", metricsAddr, seconds)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: fmt.Errorf("sequencer profile: %w", err)}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("sequencer profile: %s: %s", resp.Status, data)
		}
		done <- result{data: data, err: err}
	}()
	cfg := sc.Config
	cfg.Rate = rate
	res, err := loadgen.Run(ctx, cfg, load)
	if err != nil {
		return fmt.Errorf("l2 profile step: %w", err)
	}
	if sc.Log != nil {
		sc.Log(fmt.Sprintf("profiled step: offered %.0f tx/s, soft-confirmed %.0f tx/s, CPU %s", rate, res.FinalizedTPS, cpuString(res.CPU)))
	}
	r := <-done
	if r.err != nil {
		return r.err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if err := os.WriteFile(path, r.data, 0o644); err != nil {
		return fmt.Errorf("write profile: %w", err)
	}
	if res.Included < res.Sent {
		return loadgen.ResyncNonces(ctx, sc.WatchURL, accounts)
	}
	return nil
}
