package inproc

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/bilayer/bilayer/core/block"
	"github.com/bilayer/bilayer/core/genesis"
	"github.com/bilayer/bilayer/ethrpc"
	"github.com/bilayer/bilayer/internal/waitfor"
	"github.com/bilayer/bilayer/node"
	"github.com/bilayer/bilayer/node/signer"
	"github.com/bilayer/bilayer/p2p/memnet"
	"github.com/bilayer/bilayer/store/memdb"
)

// validatorKey is the sole validator's key (node/nodetest's).
func validatorKey() *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(common.LeftPadBytes([]byte{0x42}, 32))
	if err != nil {
		panic(err) // a constant valid key
	}
	return k
}

// clockPoll is how often the block clock looks at the L1 head: the
// resolution of the times it notes.
const clockPoll = 5 * time.Millisecond

// l1node is the L1: a single validator over the in-memory network and
// database, with JSON-RPC on a loopback port. It is node/nodetest's node
// with a logger and no testing.TB, so benchmarks can run it too.
type l1node struct {
	url  string
	node *node.Node
	net  *memnet.Network
	host *memnet.Host
	srv  *ethrpc.Server

	mu   sync.Mutex
	seen []time.Time // seen[n]: when the clock first saw block n committed
}

// startL1 starts the node of genesis g and its JSON-RPC.
func startL1(g *genesis.Genesis, log *slog.Logger) (_ *l1node, err error) {
	n := &l1node{}
	defer func() {
		if err != nil {
			_ = n.close()
		}
	}()
	if n.net, err = memnet.New(memnet.Config{Seed: 1}); err != nil {
		return nil, fmt.Errorf("inproc: L1 network: %w", err)
	}
	if n.host, err = n.net.NewHost("v0"); err != nil {
		return nil, fmt.Errorf("inproc: L1 network: %w", err)
	}
	if n.node, err = node.New(node.Config{Genesis: g, DB: memdb.New(), Network: n.host, ValidatorKey: validatorKey(),
		SignerStore: signer.NewMemStore(), Logger: log}); err != nil {
		return nil, fmt.Errorf("inproc: L1 node: %w", err)
	}
	if err := n.node.Start(); err != nil {
		n.node = nil
		return nil, fmt.Errorf("inproc: L1 node: %w", err)
	}
	if n.srv, err = ethrpc.NewServer(n.node.RPCBackend(), log.With("part", "rpc")); err != nil {
		return nil, fmt.Errorf("inproc: L1 RPC: %w", err)
	}
	if err := n.srv.Register("bilayer", n.node.API()); err != nil {
		return nil, fmt.Errorf("inproc: L1 RPC: %w", err)
	}
	if err := n.srv.Start("127.0.0.1:0"); err != nil {
		n.srv = nil
		return nil, fmt.Errorf("inproc: L1 RPC: %w", err)
	}
	n.url = "http://" + n.srv.Addr()
	return n, nil
}

// close stops the RPC, the node and the network.
func (n *l1node) close() error {
	var errs []error
	if n.srv != nil {
		errs = append(errs, stopServer(n.srv)())
	}
	if n.node != nil {
		n.node.Stop()
	}
	if n.host != nil {
		errs = append(errs, n.host.Close())
	}
	if n.net != nil {
		errs = append(errs, n.net.Close())
	}
	return errors.Join(errs...)
}

// head is the node's last committed block.
func (n *l1node) head() block.L1Number { return block.L1Number(n.node.Chain().Head().Number()) }

// clock notes when each block is first seen committed, until ctx ends.
func (n *l1node) clock(ctx context.Context) {
	t := time.NewTicker(clockPoll)
	defer t.Stop()
	for {
		h, now := uint64(n.head()), time.Now()
		n.mu.Lock()
		for uint64(len(n.seen)) <= h {
			n.seen = append(n.seen, now)
		}
		n.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// seenAt returns when the clock first saw block b committed.
func (n *l1node) seenAt(b block.L1Number) (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if uint64(b) >= uint64(len(n.seen)) {
		return time.Time{}, false
	}
	return n.seen[b], true
}

// waitBlock waits, up to 30 s or the end of ctx, for block b.
func (n *l1node) waitBlock(ctx context.Context, b block.L1Number) error {
	return within(ctx, 30*time.Second, func() error {
		if h := n.head(); h < b {
			return fmt.Errorf("L1 head %d, want %d", h, b)
		}
		return nil
	})
}

// within is waitfor.Within that also ends with ctx: it returns nil once
// cond holds, ctx's error once ctx ends, else cond's last error wrapped
// with the timeout.
func within(ctx context.Context, timeout time.Duration, cond waitfor.Condition) error {
	err := waitfor.Within(timeout, func() error {
		if ctx.Err() != nil {
			return nil
		}
		return cond()
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
