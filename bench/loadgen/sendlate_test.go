package loadgen

import (
	"context"
	"math/big"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// TestSendAllOffersWhatIsDueWhenASendRunsLate: a send whose answer comes
// back after the load's window has closed (a slow node, a loaded machine)
// does not end the load with transfers never offered: the pass after it
// offers everything still due. Ten transfers at 100 tx/s make a 0.1 s
// window; the first batch's answer comes 300 ms later by the send loop's
// clock, which the fake node moves on instead of making the test wait.
func TestSendAllOffersWhatIsDueWhenASendRunsLate(t *testing.T) {
	accounts, err := DeriveAccounts("late", 2)
	if err != nil {
		t.Fatal(err)
	}
	load, err := Presign(big.NewInt(1337), accounts, 10, DefaultFees(), 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	var requests, late atomic.Int64
	srv := httptest.NewServer(answerWithHashes(func() {
		if requests.Add(1) == 1 {
			late.Add(int64(300 * time.Millisecond)) // the node answers late
		}
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := &watcher{sentAt: map[common.Hash]time.Time{}}
	clock := func() time.Time { return time.Now().Add(time.Duration(late.Load())) }
	sent, accepted, errs, firstErr := sendAll(ctx, Config{URLs: []string{srv.URL}, Rate: 100, Connections: 1, now: clock}, load, w)
	if sent != 10 || accepted != 10 || errs != 0 {
		t.Fatalf("offered %d, accepted %d, refused %d (%v) of 10; want all offered and accepted", sent, accepted, errs, firstErr)
	}
	if requests.Load() < 2 {
		t.Fatalf("%d requests: the late answer did not come before the window closed", requests.Load())
	}
}
