package main

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bilayer/bilayer/wallet"
	"github.com/ethereum/go-ethereum/common"
)

// A transaction the node never sees times out with ErrNotIncluded and a
// hint to check later, after reporting progress at each interval.
func TestWaitReceiptTimesOutWithProgress(t *testing.T) {
	url := startDevnet(t)
	c, err := wallet.Dial(context.Background(), url, "is the devnet running?")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	var waited []time.Duration
	hash := common.HexToHash("0x" + strings.Repeat("cd", 32))
	_, err = c.WaitReceipt(context.Background(), hash, wallet.WaitOptions{
		Timeout: 500 * time.Millisecond, Poll: 20 * time.Millisecond, ProgressEvery: 100 * time.Millisecond,
		Progress: func(d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			waited = append(waited, d)
		},
	})
	if !errors.Is(err, wallet.ErrNotIncluded) || !strings.Contains(err.Error(), "wallet tx "+hash.Hex()) {
		t.Fatalf("err = %v, want ErrNotIncluded with a hint", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waited) == 0 {
		t.Fatal("no progress reported in 500ms at 100ms intervals")
	}
	for i, d := range waited {
		if d != time.Duration(i+1)*100*time.Millisecond {
			t.Fatalf("progress %v, want multiples of 100ms in order", waited)
		}
	}
}
