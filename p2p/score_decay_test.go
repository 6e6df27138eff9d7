package p2p

import (
	"testing"
	"time"
)

// TestRejectsDecay: rejects are forgotten one per RejectDecay, so a peer
// that relays the odd message its checks could not tell from a valid one
// is never banned over a long life, while a burst still bans at once
// (issue 15 item 2: the counts used to last for ever).
func TestRejectsDecay(t *testing.T) {
	{
		clock := time.Unix(1_700_000_000, 0)
		s := NewRejectScorer(8)
		s.now = func() time.Time { return clock }
		for range 7 {
			if s.Reject("p") {
				t.Fatal("banned below the threshold")
			}
		}
		clock = clock.Add(3 * RejectDecay)
		if got := s.Count("p"); got != 4 {
			t.Fatalf("count after three decays %d, want 4", got)
		}
		if s.Reject("p") {
			t.Fatal("banned at 5 recent rejects")
		}
		for i := range 100 {
			if s.Reject("q") {
				t.Fatalf("a peer with one reject per decay period banned at its reject %d", i+1)
			}
			clock = clock.Add(RejectDecay)
		}
		if got := s.Count("q"); got != 0 {
			t.Fatalf("count %d after every reject decayed", got)
		}
		bans := 0
		for range 10 {
			if s.Reject("r") {
				bans++
			}
		}
		if bans != 1 || s.Count("r") != 10 {
			t.Fatalf("a burst of 10: %d bans, count %d; want one ban, count 10", bans, s.Count("r"))
		}
	}
}
