package inproc_test

import (
	"context"
	"fmt"
	"math/big"
	"runtime"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/inproc"
	"github.com/bilayer/bilayer/internal/waitfor"
)

// TestCloseStopsEverything: a rollup that ran (transfers, a batch posted)
// leaves no goroutine behind once closed, and a second Close is harmless.
func TestCloseStopsEverything(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := inproc.Start(ctx, inproc.FastOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartBatcher(inproc.BadOutput{}); err != nil {
		t.Fatal(err)
	}
	if err := r.StartBatcher(inproc.BadOutput{}); err == nil {
		t.Fatal("a second batcher started")
	}
	if _, err := r.Transfer(ctx, 0, inproc.Recipient(0), big.NewInt(1e15)); err != nil {
		t.Fatal(err)
	}
	waitfor.Until(t, 10*time.Second, func() error {
		la, err := r.LastAccepted(ctx, nil)
		if err != nil {
			return err
		}
		if la.Number == 0 {
			return fmt.Errorf("no batch accepted yet (%v)", r.Err())
		}
		return nil
	})
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := waitfor.Within(5*time.Second, func() error {
		if n := runtime.NumGoroutine(); n > before {
			return fmt.Errorf("%d goroutines after Close, %d before Start", n, before)
		}
		return nil
	}); err != nil {
		buf := make([]byte, 1<<20)
		t.Fatalf("%v\n%s", err, buf[:runtime.Stack(buf, true)])
	}
}
