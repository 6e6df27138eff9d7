package p2p

import (
	"testing"
	"time"
)

// TestSeenCache: the first copy of an id is validated; later copies are
// duplicates while a copy is being validated or once one was accepted or
// rejected, until the TTL from the first sighting passes; after an ignored
// copy the next one is validated again; a peer is penalised at every
// DuplicateLimit copies more within the TTL, an honest re-sender (one copy
// a second) never.
func TestSeenCache(t *testing.T) {
	const ttl = 4 * time.Second
	c := NewSeenCache(ttl, 0)
	t0 := time.Unix(1000, 0)
	id := [32]byte{1}
	if v, p := c.Arrived(id, "a", t0); !v || p {
		t.Fatalf("first copy: validate %v penalize %v", v, p)
	}
	if v, _ := c.Arrived(id, "b", t0); v {
		t.Fatal("a copy was let through while the first is being validated")
	}
	c.Validated(id, Accept)
	if v, _ := c.Arrived(id, "b", t0.Add(ttl-time.Millisecond)); v {
		t.Fatal("a copy within the TTL of an accepted message was let through")
	}
	if v, _ := c.Arrived(id, "b", t0.Add(ttl)); !v {
		t.Fatal("a copy after the TTL was not let through")
	}
	c.Validated(id, Ignore)
	if v, _ := c.Arrived(id, "c", t0.Add(ttl+time.Second)); !v {
		t.Fatal("a copy after an ignored one was not validated again")
	}
	c.Validated(id, Reject)

	// Penalties: a flood of copies from one peer, none from an honest one.
	flood := [32]byte{2}
	penalties := 0
	for i := range 5 * DuplicateLimit {
		v, p := c.Arrived(flood, "attacker", t0)
		if i == 0 {
			c.Validated(flood, Accept)
		} else if v {
			t.Fatal("a duplicate was let through")
		}
		if p {
			penalties++
		}
	}
	if penalties != 4 {
		t.Errorf("%d penalties for %d copies, want 4", penalties, 5*DuplicateLimit)
	}
	resent := [32]byte{3}
	for s := range 60 {
		v, p := c.Arrived(resent, "author", t0.Add(time.Duration(s)*time.Second))
		if v {
			c.Validated(resent, Accept)
		}
		if p {
			t.Fatalf("an author re-sending once a second was penalised at second %d", s)
		}
	}
}

// TestSeenCacheStaysBounded: a full cache drops what it can.
func TestSeenCacheStaysBounded(t *testing.T) {
	c := NewSeenCache(time.Second, 100)
	t0 := time.Unix(1000, 0)
	for i := range 1000 {
		id := [32]byte{byte(i), byte(i >> 8)}
		c.Arrived(id, "p", t0)
		c.Validated(id, Accept)
	}
	if n := c.Len(); n > 100 {
		t.Fatalf("%d ids held, bound 100", n)
	}
}
