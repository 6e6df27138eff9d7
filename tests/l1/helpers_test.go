package l1_test

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/bilayer/bilayer/devnet/cluster"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
)

func TestMain(m *testing.M) { os.Exit(cluster.RunTests(m)) }

// blockTime is the block time of every test cluster: the devnet default,
// which keeps the tests robust when other work loads the machine.
const blockTime = time.Second

// skipShort skips a test that starts processes when -short is given.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a multi-process validator cluster; skipped with -short")
	}
}

// newCluster starts a four-validator cluster with the admin API.
func newCluster(t *testing.T) *cluster.Cluster {
	t.Helper()
	return cluster.New(t, cluster.Options{Validators: 4, BlockTime: blockTime, Admin: true})
}

// testCtx returns a context that ends after d or when the test ends.
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// rpcBlock is the part of eth_getBlockByNumber the tests compare with what
// ethclient computes.
type rpcBlock struct {
	Hash       common.Hash `json:"hash"`
	ParentHash common.Hash `json:"parentHash"`
}

// blockHash returns the hash of block h on n as go-ethereum computes it from
// the header, after checking that it equals the hash the node reports.
func blockHash(ctx context.Context, n *cluster.Node, h uint64) (common.Hash, error) {
	b, err := n.Client().BlockByNumber(ctx, new(big.Int).SetUint64(h))
	if err != nil {
		return common.Hash{}, fmt.Errorf("%s: block %d: %w", n.Name, h, err)
	}
	var raw rpcBlock
	if err := n.Call(ctx, &raw, "eth_getBlockByNumber", hexutil.EncodeUint64(h), false); err != nil {
		return common.Hash{}, err
	}
	if b.Hash() != raw.Hash {
		return common.Hash{}, fmt.Errorf("%s: block %d: go-ethereum computes hash %s, the node reports %s", n.Name, h, b.Hash(), raw.Hash)
	}
	return b.Hash(), nil
}

// checkSameChain checks that every node holds the same block at every
// height in [from, to], and that each block's parent hash is the hash of
// the block below.
func checkSameChain(ctx context.Context, nodes []*cluster.Node, from, to uint64) error {
	var prev common.Hash
	for h := from; h <= to; h++ {
		want, err := blockHash(ctx, nodes[0], h)
		if err != nil {
			return err
		}
		for _, n := range nodes[1:] {
			got, err := blockHash(ctx, n, h)
			if err != nil {
				return err
			}
			if got != want {
				return fmt.Errorf("height %d: %s holds %s, %s holds %s", h, nodes[0].Name, want, n.Name, got)
			}
		}
		if h > from {
			b, err := nodes[0].Client().HeaderByNumber(ctx, new(big.Int).SetUint64(h))
			if err != nil {
				return fmt.Errorf("%s: header %d: %w", nodes[0].Name, h, err)
			}
			if b.ParentHash != prev {
				return fmt.Errorf("height %d: parent hash %s, but block %d is %s", h, b.ParentHash, h-1, prev)
			}
		}
		prev = want
	}
	return nil
}

// minHead returns the lowest head among nodes.
func minHead(ctx context.Context, nodes []*cluster.Node) (uint64, error) {
	var lowest uint64
	for i, n := range nodes {
		h, err := n.Head(ctx)
		if err != nil {
			return 0, err
		}
		if i == 0 || h < lowest {
			lowest = h
		}
	}
	return lowest, nil
}

// maxHead returns the highest head among nodes.
func maxHead(ctx context.Context, nodes []*cluster.Node) (uint64, error) {
	var highest uint64
	for _, n := range nodes {
		h, err := n.Head(ctx)
		if err != nil {
			return 0, err
		}
		highest = max(highest, h)
	}
	return highest, nil
}

// waitAll waits until every node has committed height h.
func waitAll(ctx context.Context, nodes []*cluster.Node, h uint64) error {
	for _, n := range nodes {
		if err := n.WaitHeight(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// checkNoEvidence checks that no node has seen an equivocation.
func checkNoEvidence(ctx context.Context, nodes []*cluster.Node) error {
	for _, n := range nodes {
		info, err := n.NodeInfo(ctx)
		if err != nil {
			return err
		}
		if len(info.Evidence) > 0 {
			return fmt.Errorf("%s reports equivocation evidence: %v", n.Name, info.Evidence)
		}
	}
	return nil
}
