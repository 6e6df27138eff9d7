package node

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
)

// TestExecutionPausesAdmission: while a block executes, admission waits;
// an execution that asks for the gate waits only for the admissions
// already under way, and admissions that arrive after it wait for it to
// finish; a nil gate (nodes built by tests) waits for nothing.
func TestExecutionPausesAdmission(t *testing.T) {
	g := &execGate{}
	g.exclusive(func() {
		if g.mu.TryRLock() {
			g.mu.RUnlock()
			t.Fatal("admission entered while a block executed")
		}
	})

	release := make(chan struct{})
	var mu sync.Mutex
	var order []string
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	var wg sync.WaitGroup
	entered := make(chan struct{})
	wg.Go(func() { g.admit(func() { close(entered); <-release; note("admission under way") }) })
	<-entered
	wg.Go(func() { g.exclusive(func() { note("execution") }) })
	// The execution is waiting once new admissions are kept out.
	waitfor.Until(t, 10*time.Second, func() error {
		if g.mu.TryRLock() {
			g.mu.RUnlock()
			return errors.New("the execution is not waiting yet")
		}
		return nil
	})
	wg.Go(func() { g.admit(func() { note("later admission") }) })
	close(release)
	wg.Wait()
	want := []string{"admission under way", "execution", "later admission"}
	if len(order) != len(want) {
		t.Fatalf("order %v, want %v", order, want)
	}
	for i := range want {
		if order[i] != want[i] {
			t.Fatalf("order %v, want %v", order, want)
		}
	}

	var none *execGate
	ran := 0
	none.admit(func() { ran++ })
	none.exclusive(func() { ran++ })
	if ran != 2 {
		t.Fatalf("a nil gate ran %d of 2", ran)
	}
}
