package node

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/node/wire"
)

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestRewrappedProposalIsOneMessage is issue 16's first attack: the
// consensus envelope's nonce is not signed and the gossip id hashed the
// whole envelope, so a peer re-wrapping one valid proposal with fresh
// nonces had every copy decoded, verified and relayed to the whole network,
// and, on a node one height behind, kept in the future buffer (300 copies
// of a 1.1 MB proposal took a node from 80 to 1,140 MiB). A consensus
// message is now identified by what is signed: the copies are duplicates,
// dropped before they are validated, the node relays the proposal once,
// and a peer that sends p2p.DuplicateLimit copies more is scored down, so
// this one is banned long before its 300th copy.
func TestRewrappedProposalIsOneMessage(t *testing.T) {
	const txs, copies = 1000, 300
	gen := hostileGenesis(t, txs/100)
	data := heightTwoProposal(t, gen, txs) // height 2; the node is at 0
	s := newHostileSetup(t, gen)
	ctx := context.Background()
	before := heapInUse()
	for i := range copies {
		d, err := attacktest.Rewrap(data, s.attacker.MaxConsensusMsg(), uint64(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.attacker.PublishConsensus(ctx, d); err != nil {
			break // banned: the link is down
		}
	}
	// The node handles its messages in order: the ban comes after the
	// copies it took in.
	waitfor.Until(t, 10*time.Second, func() error {
		if n := s.rejects(s.attacker.ID()); n != -1 {
			return fmt.Errorf("the attacker is still connected, with %d rejects", n)
		}
		return nil
	})
	grown := int64(heapInUse()) - int64(before)
	want := wire.MessageID(data)
	relayed := 0
	for _, m := range s.observer.Consensus() {
		if wire.MessageID(m) == want {
			relayed++
		}
	}
	t.Logf("%d copies of a %d-byte proposal: relayed %d, heap grew %.1f MiB", copies, len(data), relayed, float64(grown)/(1<<20))
	if relayed != 1 {
		t.Errorf("the node relayed the proposal %d times, want once", relayed)
	}
	// Every copy the node took in would hold at least its own bytes.
	if limit := int64(len(data)) * copies / 8; grown > limit {
		t.Errorf("the node's heap grew by %d bytes, more than %d", grown, limit)
	}
}
