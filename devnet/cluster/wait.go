package cluster

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// ErrTimeout is returned when a condition did not hold before its deadline.
var ErrTimeout = errors.New("condition not met before the deadline")

// pollInterval is how often Eventually checks its condition.
const pollInterval = 50 * time.Millisecond

// Eventually calls cond until it returns nil or timeout passes. On timeout
// it returns ErrTimeout wrapped with cond's last error, which should say
// what was seen ("node 2 at height 3, want 10").
func Eventually(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w (%s): %v", ErrTimeout, timeout, err)
		}
		<-ticker.C
	}
}

// Await is Eventually for tests: it fails t with cond's last error if
// timeout passes first. Call it from the goroutine running t (a subtest's
// own t inside a subtest).
func Await(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	if err := Eventually(timeout, cond); err != nil {
		t.Fatal(err)
	}
}

// waitCtx is Eventually bounded by a context instead of a timeout.
func waitCtx(ctx context.Context, cond func() error) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %v", ctx.Err(), err)
		case <-ticker.C:
		}
	}
}
