// Package waitfor is the tests' one way to wait: poll a condition on a
// ticker until it holds or a deadline passes, never sleep for a fixed
// time to let things settle. It imports nothing of bilayer, so every
// package's tests can use it (devnet/cluster has the cluster-aware form).
package waitfor

import (
	"fmt"
	"testing"
	"time"
)

// Poll is how often a condition is checked.
const Poll = 20 * time.Millisecond

// Condition returns nil once it holds, else what it sees ("head 3, want 10").
type Condition func() error

// Within polls cond until it holds or timeout passes, then returns nil or
// cond's last error wrapped with the timeout.
func Within(timeout time.Duration, cond Condition) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(Poll)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s: %w", timeout, err)
		}
		<-tick.C
	}
}

// Until is Within for tests: it fails t with cond's last error.
func Until(t testing.TB, timeout time.Duration, cond Condition) {
	t.Helper()
	if err := Within(timeout, cond); err != nil {
		t.Fatal(err)
	}
}
