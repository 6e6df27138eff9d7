package node

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node/attacktest"
	"github.com/bilayer/bilayer/p2p"
	"github.com/bilayer/bilayer/p2p/libp2p"
	"github.com/bilayer/bilayer/store/memdb"
)

// TestHostilePeerOverLibp2pIsGraylisted aims the hostile peer at a node
// over real libp2p on loopback, as it would a process cluster: three
// batches of transactions with bad signatures (issue 16 item 4) get it
// rejected and, with gossipsub scoring on (item 7), scored below the
// graylist threshold, after which the node ignores all it sends.
func TestHostilePeerOverLibp2pIsGraylisted(t *testing.T) {
	gen := hostileGenesis(t, 0)
	host, err := libp2p.New(libp2p.Config{KeyFile: filepath.Join(t.TempDir(), "node.key"), LoopbackOnly: true,
		MaxMessageSize: p2p.ConsensusTopicMaxSize(int(gen.MaxBlockSize)), Heartbeat: 100 * time.Millisecond,
		RejectThreshold: 100, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { host.Close() })
	n, err := New(Config{Genesis: gen, DB: memdb.New(), Network: host})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	attacker, ahost, err := attacktest.DialLibp2p(host.Multiaddrs(), gen.ChainID, int(gen.MaxBlockSize))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { attacker.Close(); ahost.Close() })
	_, txs := attacker.Topics()
	waitfor.Until(t, 10*time.Second, func() error {
		if len(txs.Peers()) == 0 {
			return fmt.Errorf("the node has not joined the attacker's view of the tx topic")
		}
		return nil
	})
	for k := range 3 {
		bad, err := attacktest.BadSignatureTxs(new(big.Int).SetUint64(gen.ChainID), 10, uint64(k))
		if err != nil {
			t.Fatal(err)
		}
		if err := attacker.PublishTxs(context.Background(), bad); err != nil {
			t.Fatal(err)
		}
	}
	waitfor.Until(t, 10*time.Second, func() error {
		for _, p := range n.net.Peers() {
			if p.ID == attacker.ID() {
				if p.Score < libp2p.GraylistThreshold {
					return nil
				}
				return fmt.Errorf("the attacker's score is %.1f after %d rejects", p.Score, p.Rejects)
			}
		}
		return fmt.Errorf("the attacker is not connected")
	})
}
