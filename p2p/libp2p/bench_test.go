package libp2p

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/p2ptest"
)

// BenchmarkGossipBatches measures gossip throughput of transaction batches
// (1,000 transactions of 110 bytes, like a batched tx-topic message)
// between two hosts on loopback. The publisher keeps at most 16 batches in
// flight so the benchmark measures the pipe, not gossipsub's drop policy
// for full queues. Reports batches/s, tx/s and MB/s (b.SetBytes).
func BenchmarkGossipBatches(b *testing.B) {
	const (
		txPerBatch = 1000
		txSize     = 110
		window     = 16
	)
	hosts := cluster(b, 2, true, nil)
	p2ptest.WaitMesh(b, networks(hosts))
	pub, err := hosts[0].Join(p2p.TxTopic(1337), txPerBatch*txSize, nil)
	if err != nil {
		b.Fatal(err)
	}
	recvTopic, err := hosts[1].Join(p2p.TxTopic(1337), txPerBatch*txSize, func(_ p2p.PeerID, d []byte) p2p.Verdict {
		if len(d) != txPerBatch*txSize {
			return p2p.Reject
		}
		return p2p.Accept
	})
	if err != nil {
		b.Fatal(err)
	}
	sub, err := recvTopic.Subscribe()
	if err != nil {
		b.Fatal(err)
	}
	p2ptest.WaitTopicPeers(b, pub, 1)
	got := make(chan struct{}, window)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			if _, err := sub.Next(ctx); err != nil {
				return
			}
			got <- struct{}{}
		}
	}()
	batch := make([]byte, txPerBatch*txSize)
	b.SetBytes(int64(len(batch)))
	b.ResetTimer()
	start := time.Now()
	inFlight, received := 0, 0
	for i := 0; i < b.N; i++ {
		binary.BigEndian.PutUint64(batch, uint64(i)) // distinct content ids
		if err := pub.Publish(ctx, batch); err != nil {
			b.Fatal(err)
		}
		inFlight++
		for inFlight >= window {
			waitOne(b, got, received)
			inFlight--
			received++
		}
	}
	for ; inFlight > 0; inFlight-- {
		waitOne(b, got, received)
		received++
	}
	secs := time.Since(start).Seconds()
	b.ReportMetric(float64(received)/secs, "batches/s")
	b.ReportMetric(float64(received*txPerBatch)/secs, "tx/s")
}

func waitOne(b *testing.B, got <-chan struct{}, received int) {
	select {
	case <-got:
	case <-time.After(p2ptest.Timeout):
		b.Fatalf("a batch was lost (N=%d, received %d)", b.N, received)
	}
}
