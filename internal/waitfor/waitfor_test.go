package waitfor

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestWithin: a condition that comes to hold is waited for; one that never
// does fails at the deadline with its last word.
func TestWithin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		start := time.Now()
		if err := Within(time.Second, func() error {
			calls++
			if calls < 4 {
				return errors.New("not yet")
			}
			return nil
		}); err != nil || calls != 4 {
			t.Fatalf("err %v after %d calls", err, calls)
		}
		if took := time.Since(start); took != 3*Poll {
			t.Errorf("took %v, want 3 polls", took)
		}
		err := Within(100*time.Millisecond, func() error { return errors.New("head 3, want 10") })
		if err == nil || err.Error() != "not within 100ms: head 3, want 10" {
			t.Fatalf("never-holding condition: %v", err)
		}
	})
}
